"""What kmon itself costs: API calls per minute, metrics per hour, CloudWatch dollars per day."""

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
        t = Text()
        t.append(f"API {api.calls_per_min:.0f} calls/min")
        t.append(f" · {fmt.count(api.metrics_per_hour)} metrics/h")
        t.append(f" · CloudWatch ≈ {fmt.usd(api.cloudwatch_usd_per_day)}/day")
        t.append(f" · {api.calls} calls, {fmt.count(api.metrics_requested)} metrics so far")
        self.update(t)
