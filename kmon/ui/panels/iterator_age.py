"""Iterator age: how old the oldest unread record is, against the warning line and the line
past which records expire unread, and when that line is reached at this rate."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from kmon.model.detail import StreamDetail, time_to_reach
from kmon.model.snapshot import StreamState
from kmon.ui import format as fmt
from kmon.ui.charts import IteratorAgeChart, Limit
from kmon.ui.panels.base import Panel

# A growing iterator age only earns a countdown when the retention line is this close.
RETENTION_ETA_HORIZON_SEC = 48 * 3600


class IteratorAgePanel(Panel):
    def __init__(self, **kwargs) -> None:
        super().__init__("Iterator age", **kwargs)

    def compose(self) -> ComposeResult:
        yield IteratorAgeChart(id="age-chart")
        yield Static(id="iterator-now", classes="now")

    def show(self, state: StreamState, detail: StreamDetail, now: int) -> None:
        rules = self.app.thresholds
        warn = rules.iterator_age_warn_ms
        risk = rules.retention_risk_ms(state.retention_hours)
        lines = [Limit("warn", warn, f"warn {fmt.duration_ms(warn)}")]
        if risk:
            label = rules.retention_risk_label
            lines.append(
                Limit(
                    "risk",
                    risk,
                    f"{label} {fmt.duration_ms(risk)}",
                    f"{label} {fmt.axis_duration_ms(risk)}",
                )
            )
        self.query_one(IteratorAgeChart).show(
            {"age": detail.values("iterator_age_ms")}, lines, window_sec=detail.window_sec, now=now
        )
        # Two lines, whatever the stream (the screen fixes the height): the age and its trend;
        # the retention line and when it is reached at that trend. Separators end the span
        # before them (the SVG export drops a span's leading spaces).
        t = Text()
        t.append("now ", style="dim")
        t.append(fmt.duration_ms(state.iterator_age_ms), style="bold")
        shared = next((c for c in state.consumers if c.kind == "shared"), None)
        slope = shared.trend_ms_per_min if shared else None
        if slope is not None and abs(slope) >= 100:
            arrow = "↑ growing" if slope > 0 else "↓ falling"
            t.append("  ")
            t.append(f"{arrow} {fmt.duration_ms(abs(slope))}/min", style="yellow")
        if risk:
            t.append("\n")
            t.append(f"{rules.retention_risk_label} ", style="dim")
            t.append(fmt.duration_ms(risk))
            eta = time_to_reach(state.iterator_age_ms or 0.0, risk, slope)
            if eta == 0:
                t.append("  ")
                t.append("PAST IT: records expire unread", style="bold red")
            elif eta is not None and eta <= RETENTION_ETA_HORIZON_SEC:
                t.append("  ")
                t.append(f"reached in {fmt.duration(eta)}", style="bold red")
        self.query_one("#iterator-now", Static).update(t)
