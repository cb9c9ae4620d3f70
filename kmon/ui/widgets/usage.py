"""What kmon itself costs: the current rate (the last five minutes) and the totals so far."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from kmon.model.snapshot import ApiUsage
from kmon.ui import format as fmt


class UsageBar(Static):
    DEFAULT_CSS = """
    UsageBar { height: 1; padding: 0 1; color: $text-muted; }
    """

    def show(self, api: ApiUsage) -> None:
        # The rate first: on a narrow terminal the line is cut at the right, totals go first.
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(f"CloudWatch ≈ {fmt.usd(api.cloudwatch_usd_per_day)}/day now")
        t.append(f" ({fmt.count(api.metrics_per_hour)} metrics/h, last 5 min)")
        t.append(f" · API {api.calls_per_min:.0f} calls/min")
        t.append(
            f" · since start {fmt.usd(api.cloudwatch_usd_so_far)}: "
            f"{fmt.count(api.metrics_requested)} metrics, {fmt.count(api.calls)} calls"
        )
        self.update(t)
