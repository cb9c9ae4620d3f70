"""The oldest unread record's age against the warning line and the retention-risk line.

The scale fits the age, so a climb from one minute to an hour fills the chart; a line far
above it (12 h of a 24 h retention) is named at the top edge with the age's share of it."""

from __future__ import annotations

from kmon.ui import format as fmt
from kmon.ui.charts.base import Style, TimeChart


class IteratorAgeChart(TimeChart):
    SERIES = (Style("age", "iterator age", "cyan", "hd", short="age"),)
    LIMITS = (
        Style("warn", "warn", "orange", "╌"),
        Style("risk", "retention risk", "red", "─"),
    )
    SCALE = "duration"

    @staticmethod
    def tick(value: float) -> str:
        # Under a minute a tick may fall between seconds (1.5s): said as it is, not rounded.
        if 0 < value < 1000:
            return f"{value:g}ms"
        if 0 < value < 60_000:
            return f"{value / 1000:g}s"
        return fmt.axis_duration_ms(value)
