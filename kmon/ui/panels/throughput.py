"""Throughput: bytes and records per second, in and out, against the stream's limits."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from kmon.model import limits
from kmon.model.detail import StreamDetail
from kmon.model.snapshot import StreamState
from kmon.model.units import limit_rate
from kmon.ui import format as fmt
from kmon.ui.charts import BytesChart, Limit, RecordsChart
from kmon.ui.panels.base import Panel, capacity


class ThroughputPanel(Panel):
    def __init__(self, **kwargs) -> None:
        super().__init__("Throughput", **kwargs)

    def compose(self) -> ComposeResult:
        # The records chart below has the same window: its time labels serve both.
        yield BytesChart(x_labels=False, id="bytes-chart")
        yield RecordsChart(id="records-chart")
        yield Static(id="throughput-now", classes="now")

    def show(self, state: StreamState, detail: StreamDetail, now: int) -> None:
        wb, wr, rb = capacity(state)
        est = state.capacity_estimated
        bytes_limits = []
        if wb and est:  # on-demand: twice the 30-day peak, an estimate
            bytes_limits.append(
                Limit("write", wb, f"est. write limit {fmt.bytes_rate(wb)}", "est. write")
            )
        elif wb:
            bytes_limits.append(
                Limit("write", wb, f"write limit {fmt.bytes_rate(wb)}", f"write {limit_rate(wb)}")
            )
        if rb:
            bytes_limits.append(
                Limit("read", rb, f"read limit {fmt.bytes_rate(rb)}", f"read {limit_rate(rb)}")
            )
        self.query_one(BytesChart).show(
            {"in": detail.rate("incoming_bytes"), "out": detail.rate("outgoing_bytes")},
            bytes_limits,
            window_sec=detail.window_sec,
            now=now,
        )
        self.query_one(RecordsChart).show(
            {"in": detail.rate("incoming_records"), "out": detail.rate("outgoing_records")},
            [Limit("write", wr, f"write limit {fmt.count_rate(wr)}", f"write {fmt.count(wr)}")]
            if wr
            else [],
            window_sec=detail.window_sec,
            now=now,
        )
        rules = self.app.thresholds
        s = state
        t = Text()
        t.append("in ", style="dim")
        t.append(f"{fmt.bytes_rate(s.incoming_bytes_per_sec)} ")
        share = _of(s.write_bytes_utilization_pct, wb, fmt.bytes_rate, rules, est)
        if share:
            t.append_text(share)
            t.append(" ")  # the separator starts no span (the SVG export drops such spaces)
        t.append("· ", style="dim")
        # The records limit is in the records chart's legend: its share is enough here, and
        # the line fits half a 120-column terminal.
        t.append(f"{fmt.count(s.incoming_records_per_sec)} rec/s ")
        t.append_text(_of(s.write_records_utilization_pct, wr, None, rules))
        t.append("\n")
        t.append("out ", style="dim")
        t.append(f"{fmt.bytes_rate(s.outgoing_bytes_per_sec)} ")
        t.append_text(_of(s.read_bytes_utilization_pct, rb, fmt.bytes_rate, rules))
        if s.mode == "ON_DEMAND" and not est:
            t.append("\n")
            t.append(
                "on-demand: starts at "
                f"{fmt.bytes_rate(limits.ON_DEMAND_INITIAL_WRITE_BYTES_PER_SEC)} write, adapts "
                f"to {limits.ON_DEMAND_PEAK_MULTIPLIER}x the 30-day peak",
                style="dim",
            )
        self.query_one("#throughput-now", Static).update(t)


def _of(pct: float | None, limit: float | None, unit, rules, estimated: bool = False) -> Text:
    """``(62% of 2.0 MiB/s)``, or ``(62%)`` without a unit, coloured as the rules judge it;
    ``(~25% of 6.0 MiB/s est.)`` against an estimated limit."""
    if pct is None or not limit:
        return Text("")
    style = fmt.util_style(rules.utilization(pct, estimated))
    value = fmt.util_pct(pct, estimated)
    share = value if unit is None else f"{value} of {unit(limit)}" + (" est." if estimated else "")
    return Text(f"({share})", style=style)
