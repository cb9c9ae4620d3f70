"""The detail screen's summary: the stream's name, health and facts on a fixed number of rows.

Fields are whole ("retention 24h"), in order of importance, never split across rows: a field
that does not fit on the row moves to the next one, and when the rows run out it goes, with
every less important field after it. The height never changes, so nothing below moves between
streams."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

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
    shards = f"{fmt.count(s.open_shards)} open"
    if d is not None and d.closed_shards is not None:
        shards += f" / {d.closed_shards} closed"
    fields += [
        field("status", s.status),
        field("mode", (s.mode or fmt.DASH).lower().replace("_", "-")),
        field("shards", shards),
        field("retention", fmt.hours(s.retention_hours)),
        field("window", window_label(window_sec)),
    ]
    if d is not None:
        fields += [
            field("EFO", f"{fmt.count(s.efo_consumers)}/{d.efo_consumer_limit}"),
            field("enhanced monitoring", "on" if d.enhanced_monitoring else "off"),
            field("encryption", (d.encryption or fmt.DASH).lower()),
        ]
        if d.max_record_kib:
            fields.append(field("max record", fmt.bytes_(d.max_record_kib * 1024)))
    return fields


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
