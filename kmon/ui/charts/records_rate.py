"""Records in and out per second against the stream's write limit."""

from __future__ import annotations

from kmon.ui.charts.base import Style, TimeChart, count_tick


class RecordsChart(TimeChart):
    SERIES = (
        Style("in", "in", "cyan", "hd"),
        Style("out", "out", "green", "•"),
    )
    LIMITS = (Style("write", "write limit", "red", "─"),)
    MEASURED = {"write": ("in",)}
    TICK_WIDTH = 10  # as the bytes chart above it: 2.5k rec/s, 512 KiB/s

    @staticmethod
    def tick(value: float) -> str:
        return f"{count_tick(value)} rec/s"
