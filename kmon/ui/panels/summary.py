"""The detail screen's summary: the stream's name, health and facts on a fixed number of rows.

Fields are whole ("retention 24h"), in order of importance, never split across rows: a field
that does not fit on the row moves to the next one, and when the rows run out it goes, with
every less important field after it. The height never changes, so nothing below moves between
streams."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from kmon.model import limits
from kmon.model.detail import StreamDetail
from kmon.model.snapshot import StreamState
from kmon.ui import format as fmt

SEPARATOR = "  "


def window_label(seconds: int) -> str:
    return f"{seconds // 3600}h" if seconds >= 3600 else f"{seconds // 60}m"


def field(label: str, value: str) -> Text:
    t = Text()
    t.append(f"{label} ", style="dim")
    t.append(value)
    return t


def replication_text(s: StreamState) -> Text:
    """``→ eu-west-1/orders, replication lag 4s`` (or ``← us-east-1/orders`` on the copy)."""
    r = s.replication
    t = Text()
    # Spaces end spans rather than start them: every renderer keeps them.
    t.append("→ " if r.role == "source" else "← ", style="bold")
    t.append(f"{r.peer}, ")
    t.append("replication lag ", style="dim")
    t.append(fmt.duration_ms(r.lag_ms) + (" " if r.via else ""))
    if r.via:
        t.append(f"({r.via})", style="dim")
    return t


def summary_fields(
    name: str,
    state: StreamState | None,
    detail: StreamDetail | None,
    now: int,
    window_sec: int,
    gone: bool = False,
) -> list[Text]:
    """The summary's fields, most important first."""
    fields = [Text(name, style="bold")]
    if gone:
        fields.append(Text(" GONE ", style="bold reverse red"))
        fields.append(Text("this stream no longer exists; showing its last data", style="red"))
        return fields
    s, d = state, detail
    if s is None:
        fields.append(Text("loading…", style="italic"))
        return fields
    for_sec = None if s.since is None else now - s.since
    fields.append(fmt.health(s.health, for_sec, stale=s.stale))
    if s.stale and s.as_of is not None:
        fields.append(Text(f"as of {s.as_of:%H:%M}", style="dim italic"))
    if s.replication is not None:
        fields.append(replication_text(s))
    shards = f"{fmt.count(s.open_shards)} open"
    if d is not None and d.closed_shards is not None:
        shards += f" / {d.closed_shards} closed"
    fields += [
        field("status", s.status),
        field("mode", (s.mode or fmt.DASH).lower().replace("_", "-")),
        *_on_demand_fields(s),
        field("shards", shards),
        field("retention", fmt.hours(s.retention_hours)),
        field("window", window_label(window_sec)),
        *_cost_total(s),
    ]
    if d is not None:
        fields += [
            field("EFO", f"{fmt.count(s.efo_consumers)}/{s.efo_consumer_limit}"),
            field("enhanced monitoring", "on" if d.enhanced_monitoring else "off"),
            field("encryption", (d.encryption or fmt.DASH).lower()),
        ]
        if d.max_record_kib:
            fields.append(field("max record", fmt.bytes_(d.max_record_kib * 1024)))
    return fields + _cost_parts(s)


def _cost_total(s: StreamState) -> list[Text]:
    """'cost ≈ $10.06/day est.'; '≥' when traffic is unknown: the shape's cost, a floor."""
    if s.cost is None:
        return []
    sign = "≈" if s.cost.traffic_known else "≥"
    return [field("cost", f"{sign} {fmt.usd(s.cost.usd_per_day)}/day est.")]


def _cost_parts(s: StreamState) -> list[Text]:
    """What the cost is made of, last: '(shards $1.44 · PUT $0.60 · EFO $2.88)'."""
    if s.cost is None:
        return []
    t = Text("(")
    for i, (label, usd) in enumerate(s.cost.parts()):
        if i:
            t.append(" · ")
        t.append(f"{label} ", style="dim")
        t.append(fmt.usd(usd))
    if not s.cost.traffic_known:
        t.append("; no traffic data" if s.cost.parts() else "no traffic data", style="dim")
    t.append(")")
    return [t]


def _on_demand_fields(s: StreamState) -> list[Text]:
    """The estimated write capacity and what it comes from; warm throughput where AWS
    reports it. Nothing for a stream without them."""
    out = []
    cap, peak = s.write_capacity_bytes_per_sec, s.peak_write_bytes_per_sec
    if s.capacity_estimated and cap is not None and peak is not None:
        if s.peak_at is None:
            basis = "no writes in 30 days: the starting capacity"
        else:
            at = datetime.fromtimestamp(s.peak_at, tz=timezone.utc).strftime("%b %d %H:%M")
            doubled = limits.ON_DEMAND_PEAK_MULTIPLIER * peak
            basis = (
                f"{limits.ON_DEMAND_PEAK_MULTIPLIER}x 30-day peak {fmt.bytes_rate(peak)} at {at}"
                if doubled >= cap
                else f"the minimum; 30-day peak {fmt.bytes_rate(peak)} at {at}"
            )
        out.append(field("capacity", f"≈ {fmt.bytes_rate(cap)} ({basis}) est."))
    if s.warm_current_mibps is not None or s.warm_target_mibps is not None:
        now = "–" if s.warm_current_mibps is None else f"{s.warm_current_mibps} MiB/s"
        target = "" if s.warm_target_mibps is None else f" (target {s.warm_target_mibps} MiB/s)"
        out.append(field("warm throughput", now + target))
    return out


def pack(fields: Sequence[Text], width: int, rows: int) -> list[list[Text]]:
    """``fields`` in order over ``rows`` rows of ``width`` cells: a field that does not fit
    on the current row starts the next; when none is left, it and the rest go. The first
    field (the name) is cut with an ellipsis rather than left out."""
    lines: list[list[Text]] = [[]]
    used = 0
    for i, f in enumerate(fields):
        need = f.cell_len + (len(SEPARATOR) if lines[-1] else 0)
        if used + need <= width:
            lines[-1].append(f)
            used += need
            continue
        if i == 0:
            cut = f.copy()
            cut.truncate(max(1, width), overflow="ellipsis")
            lines[-1].append(cut)
            used = cut.cell_len
            continue
        if len(lines) == rows or f.cell_len > width:
            break
        lines.append([f])
        used = f.cell_len
    return lines


class SummaryBar(Widget):
    """Renders its fields packed to its own width and height (set by the screen's CSS)."""

    DEFAULT_CSS = """
    SummaryBar { height: 2; padding: 0 1; text-wrap: nowrap; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.fields: list[Text] = []

    def show(self, fields: Sequence[Text]) -> None:
        self.fields = list(fields)
        self.refresh()

    def lines(self) -> list[list[Text]]:
        rows = max(1, self.content_size.height)
        return pack(self.fields, self.content_size.width, rows)

    def render(self) -> RenderResult:
        out = Text(no_wrap=True, overflow="ellipsis", end="")
        for r, line in enumerate(self.lines()):
            if r:
                out.append("\n")
            for i, f in enumerate(line):
                out.append_text(f)
                if i < len(line) - 1:
                    out.append(SEPARATOR)  # ends the field: no span starts with spaces
        return out
