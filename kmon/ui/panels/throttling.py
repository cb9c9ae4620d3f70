"""Throttling: records throttled or failed per minute, and the gauges of each limit now."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from kmon.model.detail import StreamDetail
from kmon.model.snapshot import StreamState
from kmon.ui import format as fmt
from kmon.ui.charts import ThrottleChart
from kmon.ui.panels.base import Panel, capacity
from kmon.ui.widgets.gauges import gauge

# Chart series key -> the detail's metric key.
METRICS = {
    "write": "write_throttled",
    "read": "read_throttled",
    "put_throttled": "put_throttled_records",
    "put_failed": "put_failed_records",
}


class ThrottlingPanel(Panel):
    def __init__(self, **kwargs) -> None:
        super().__init__("Throttling", **kwargs)

    def compose(self) -> ComposeResult:
        yield ThrottleChart(id="throttle-chart")
        yield Static(id="gauges", classes="now")

    def show(self, state: StreamState, detail: StreamDetail, now: int) -> None:
        # Per minute whatever the period (5-minute sums on the long windows).
        per_min = 60 / detail.period
        self.query_one(ThrottleChart).show(
            {
                key: tuple((t, v * per_min) for t, v in detail.values(metric))
                for key, metric in METRICS.items()
            },
            window_sec=detail.window_sec,
            now=now,
        )
        wb, wr, rb = capacity(state)
        rules = self.app.thresholds
        est = state.capacity_estimated  # on-demand: the write bytes limit is an estimate
        g = Text("\n").join(
            [
                gauge(label, pct, limit, rules.utilization(pct, estimated))
                for label, pct, limit, estimated in (
                    (
                        "write bytes",
                        state.write_bytes_utilization_pct,
                        fmt.bytes_rate(wb) + (" est." if est else ""),
                        est,
                    ),
                    (
                        "write records",
                        state.write_records_utilization_pct,
                        fmt.count_rate(wr),
                        False,
                    ),
                    ("read bytes", state.read_bytes_utilization_pct, fmt.bytes_rate(rb), False),
                )
            ]
        )
        self.query_one("#gauges", Static).update(g)
