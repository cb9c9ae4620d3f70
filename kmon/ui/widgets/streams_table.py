"""The streams overview table: a line-API widget that draws only the rows on screen.

Stream and Health are pinned on the left. Every other column is as wide as its widest current
value (and its label with a sort arrow) needs; when the terminal is too narrow the least
important columns are left out, never cut, the line under the table says how many, and
right/left page through them. Applying a snapshot re-sorts and re-measures the rows (plain
strings, a few columns, values shared by many streams measured once) and renders nothing:
rows are rendered when they are drawn, and only those on screen are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import ClassVar, NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kmon.model.health import Health
from kmon.model.identity import filter_matches
from kmon.model.rules import Thresholds
from kmon.model.snapshot import StreamState
from kmon.model.text import visible
from kmon.ui import format as fmt
from kmon.ui.stale import STALE_STYLE, stale_label, stale_suffix
from kmon.ui.styles import HEALTH_STYLE, LAG_STYLE


@dataclass(frozen=True)
class View:
    """What a cell is rendered against besides its stream: the rules and the time."""

    rules: Thresholds
    now: float  # epoch seconds


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    sort_key: str  # the key that sorts by this column
    value: Callable[[StreamState], object]  # what sorting compares (None sorts last)
    render: Callable[[StreamState, View], Text]  # the cell, styled
    text: Callable[[StreamState, View], str]  # the cell's plain text (what sizes the column)
    numeric: bool = True  # first press sorts largest first
    justify: str = "right"
    # When the text is a function of the value alone: values shared by many streams (0, 24h,
    # ACTIVE) are measured once.
    formats: Callable[[object], str] | None = None
    # Free text that may be cut with an ellipsis when it alone is wider than the terminal.
    cuttable: bool = False
    # Blank in every row: left out (not even listed as hidden) rather than shown empty.
    blank_hidden: bool = False

    @property
    def long(self) -> str:
        return LONG_NAMES.get(self.key, self.label.lower())


LONG_NAMES = {
    "cause": "cause",
    "in_bytes": "incoming bytes/s",
    "in_records": "incoming records/s",
    "write_util": "write utilization",
    "out_bytes": "outgoing bytes/s",
    "iter_age": "iterator age",
    "worst_lag": "worst consumer lag",
    "write_thr": "write throttles",
    "read_thr": "read throttles",
    "efo": "EFO consumers",
    "shards": "open shards",
    "retention": "retention",
    "cost": "estimated cost a day",
    "data_age": "age of the numbers",
    "replica": "replication lag",
}

MODES = {"ON_DEMAND": "on-dem", "PROVISIONED": "prov"}


def _figure(
    key: str,
    label: str,
    sort_key: str,
    value: Callable[[StreamState], object],
    formats: Callable[[object], str],
    style: Callable[[object, View], str] | None = None,
    numeric: bool = True,
    justify: str = "right",
) -> Column:
    """A column whose text depends on its value alone (a figure, a status word)."""

    def render(s: StreamState, v: View) -> Text:
        x = value(s)
        return Text(formats(x), style=style(x, v) if style else "")

    return Column(
        key,
        label,
        sort_key,
        value,
        render,
        lambda s, v: formats(value(s)),
        numeric,
        justify,
        formats,
    )


def _name_text(shown: str, qualified: bool) -> Text:
    """A stream's name, after its context's label (dimmed) when there are several."""
    label, sep, rest = shown.rpartition("/")
    if not (sep and qualified):
        return Text(shown)  # literal, never markup
    return Text.assemble((label + sep, "dim"), rest)


def _replica_plain(s: StreamState, v: View) -> str:
    r = s.replication
    if r is None:
        return ""
    arrow = "→" if r.role == "source" else "←"
    # The copy usually has the stream's name: then its context alone says where it is.
    where, _, name = r.peer.rpartition("/")
    peer = where if name == s.name and where else r.peer
    return f"{arrow} {peer} {fmt.duration_ms(r.lag_ms)}"


def _word(value: object) -> str:
    return fmt.DASH if value is None else str(value)


def _mode(value: object) -> str:
    return fmt.DASH if value is None else MODES.get(str(value), str(value))


def _cost(s: StreamState) -> float | None:
    return None if s.cost is None else s.cost.usd_per_day


def _cost_plain(s: StreamState, v: View) -> str:
    """$1.32; ≥$0.72 when traffic is not known (the shape's cost alone, a floor)."""
    if s.cost is None:
        return fmt.DASH
    return ("" if s.cost.traffic_known else "≥") + fmt.usd(s.cost.usd_per_day)


def _write_util(s: StreamState) -> float | None:
    vals = [
        v for v in (s.write_bytes_utilization_pct, s.write_records_utilization_pct) if v is not None
    ]
    return max(vals) if vals else None


def _write_util_plain(s: StreamState, v: View) -> str:
    return fmt.util_pct(_write_util(s), s.capacity_estimated)


def _write_util_text(s: StreamState, v: View) -> Text:
    """``62%``; ``~25%`` against an on-demand stream's estimated capacity."""
    level = v.rules.utilization(_write_util(s), s.capacity_estimated)
    return Text(_write_util_plain(s, v), style=fmt.util_style(level))


def _data_age_plain(s: StreamState, v: View) -> str:
    age = s.data_age(v.now)
    return "" if age is None else f"{fmt.compact_duration(age)} old"


def _throttle_style(value: object, v: View) -> str:
    return "bold red" if value else ""


def _for_sec(s: StreamState, v: View) -> float | None:
    if s.since is None or s.health not in (Health.WARN, Health.CRIT):
        return None
    return max(0.0, v.now - s.since)


def _health_plain(s: StreamState, v: View) -> str:
    label = HEALTH_STYLE[s.health][0]
    for_sec = _for_sec(s, v)
    return label if for_sec is None else f"{label} {fmt.compact_duration(for_sec)}"


def _health_text(s: StreamState, v: View) -> Text:
    """✖ CRIT 1h12m: how long it has been this bad, from history (the separator ends the
    coloured word, so an SVG export keeps it)."""
    label, style = HEALTH_STYLE[s.health]
    for_sec = _for_sec(s, v)
    if for_sec is None:
        text = Text(label, style=style)
    else:
        text = Text(f"{label} ", style=style)
        text.append(fmt.compact_duration(for_sec))
    if s.stale:
        text.stylize("dim")
    return text


def _cause_parts(s: StreamState) -> list[tuple[str, str]]:
    """The worst finding in a few words (+N more); a stale row says as of when."""
    parts: list[tuple[str, str]] = []
    if s.stale and s.as_of is not None:
        parts.append((f"as of {s.as_of:%H:%M} ", "italic"))
    if s.findings:
        top = s.findings[0]
        more = len(s.findings) - 1
        tail = " " if more else ""
        parts.append((f"{top.summary or top.cause}{tail}", fmt.LEVEL_STYLE.get(top.severity, "")))
        if more:
            parts.append((f"+{more}", "dim"))
    elif not parts:
        parts.append((fmt.DASH, ""))
    return parts


def _cause_plain(s: StreamState, v: View) -> str:
    return "".join(text for text, _ in _cause_parts(s))


def _cause_text(s: StreamState, v: View) -> Text:
    return Text.assemble(*_cause_parts(s))


def _worst_lag_key(s: StreamState) -> tuple[int, float] | None:
    c = s.worst_consumer
    return None if c is None else (c.status.rank, c.lag_ms or 0.0)


def _worst_lag_parts(s: StreamState) -> tuple[str, str, str]:
    """The consumer furthest behind (or stopped): its lag, its name and the lag's colour,
    e.g. '4m 12s projector'."""
    c = s.worst_consumer
    if c is None:
        return fmt.DASH, "", ""
    lag = fmt.duration_ms(c.lag_ms) if c.lag_ms is not None else c.status.value.upper()
    # literal, never markup; the shared readers' long name would crowd out the lag
    name = "shared readers" if c.kind == "shared" else c.name
    return lag, name, LAG_STYLE.get(c.status.value, "")


def _worst_lag_plain(s: StreamState, v: View) -> str:
    lag, name, _ = _worst_lag_parts(s)
    c = s.worst_consumer
    return (f"{lag} {name}" if name else lag) + ("" if c is None else stale_suffix(c, v.now))


def _worst_lag_text(s: StreamState, v: View) -> Text:
    """A consumer whose source failed keeps its last judgement: dimmed, and saying how old
    ('4m 12s payments-app (stale 3m)')."""
    lag, name, style = _worst_lag_parts(s)
    c = s.worst_consumer
    label = None if c is None else stale_label(c, v.now)
    if label is None:
        return Text(f"{lag} {name}" if name else lag, style=style)
    # The separating space ends the lag's span: an SVG export drops a span's leading spaces.
    text = Text.assemble((f"{lag} {name} ", style), f"({label})")
    text.stylize(STALE_STYLE)
    return text


# Most important first: name and health (pinned), what is wrong, then the health signals
# (utilization, iterator age, throttling), then traffic; the control-plane columns last.
# A narrow terminal leaves out columns from the end; right/left page through them.
COLUMNS: tuple[Column, ...] = (
    Column(
        "name",
        "Stream",
        "N",
        # With several contexts the key (label/name) sorts them together: a sort by name
        # groups the fleet by context.
        lambda s: s.key.lower(),
        lambda s, v: _name_text(s.key, s.qualified),
        lambda s, v: s.key,
        numeric=False,
        justify="left",
    ),
    Column(
        "health",
        "Health",
        "H",
        lambda s: s.health.rank,
        _health_text,
        _health_plain,
        justify="left",
    ),
    Column(
        "cause",
        "Cause",
        "X",
        lambda s: s.findings[0].summary if s.findings else None,
        _cause_text,
        _cause_plain,
        numeric=False,
        justify="left",
        cuttable=True,
    ),
    Column(
        "worst_lag",
        "Worst lag",
        "L",
        _worst_lag_key,
        _worst_lag_text,
        _worst_lag_plain,
        justify="left",
        cuttable=True,
    ),
    Column("write_util", "Write%", "U", _write_util, _write_util_text, _write_util_plain),
    _figure("iter_age", "Iter age", "A", attrgetter("iterator_age_ms"), fmt.duration_ms),
    _figure(
        "write_thr", "W thr", "W", attrgetter("write_throttled_per_min"), fmt.count, _throttle_style
    ),
    _figure(
        "read_thr", "R thr", "T", attrgetter("read_throttled_per_min"), fmt.count, _throttle_style
    ),
    # How old the numbers are, once older than a minute (a budget reads healthy streams every
    # few minutes); blank while current.
    Column(
        "data_age",
        "Data",
        "G",
        lambda s: s.metrics_fetched_at and -s.metrics_fetched_at.timestamp(),
        lambda s, v: Text(_data_age_plain(s, v), style="dim"),
        _data_age_plain,
        blank_hidden=True,
    ),
    # A stream copied to (or from) another region or account, and how far behind the copy is.
    Column(
        "replica",
        "Replica",
        "P",
        lambda s: s.replication.lag_ms if s.replication else None,
        lambda s, v: Text(_replica_plain(s, v)),
        _replica_plain,
        justify="left",
        cuttable=True,
        blank_hidden=True,
    ),
    _figure("in_bytes", "In", "I", attrgetter("incoming_bytes_per_sec"), fmt.bytes_rate),
    _figure("out_bytes", "Out", "O", attrgetter("outgoing_bytes_per_sec"), fmt.bytes_rate),
    _figure("shards", "Shards", "S", attrgetter("open_shards"), fmt.count),
    _figure("in_records", "In rec", "C", attrgetter("incoming_records_per_sec"), fmt.count_rate),
    _figure("efo", "EFO", "E", attrgetter("efo_consumers"), fmt.count),
    _figure("retention", "Retain", "R", attrgetter("retention_hours"), fmt.hours),
    _figure("mode", "Mode", "M", attrgetter("mode"), _mode, numeric=False, justify="left"),
    _figure("status", "Status", "Y", attrgetter("status"), _word, numeric=False, justify="left"),
    # An estimate from list prices, shown last: the first column a narrow terminal leaves out.
    Column("cost", "$/day est.", "D", _cost, lambda s, v: Text(_cost_plain(s, v)), _cost_plain),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
PINNED = COLUMNS[:2]  # Stream and Health never scroll away
PAGED = COLUMNS[2:]

GUTTER = 1  # the cursor marker
GAP = 2  # between columns
ARROW = 2  # " ▼": every label has room for it, so sorting never moves a column
NAME_MIN = 12  # a long name is cut in the middle, down to this, only when space is short
FIRST_CUT = 24  # a cause or a consumer wider than the room left is cut to fit, down to half this
CHROME = 2  # the header line above the rows and the status line below them
CURSOR_MARK = "▶"
DIM = Style(dim=True)


def sort_order(streams: Sequence[StreamState], column: str, descending: bool) -> list[str]:
    """Keys in display order; None values last in either direction, ties by key."""
    return [s.key for s in _sorted(streams, column, descending)]


def _sorted(streams: Sequence[StreamState], column: str, descending: bool) -> list[StreamState]:
    value = COLUMN_BY_KEY[column].value
    keyed = [(value(s), s) for s in streams]
    have = [pair for pair in keyed if pair[0] is not None]
    missing = [s for v, s in keyed if v is None]
    have.sort(key=lambda pair: pair[1].key)
    have.sort(key=lambda pair: pair[0], reverse=descending)
    missing.sort(key=attrgetter("key"))
    return [s for _, s in have] + missing


def middle_cut(text: str, width: int) -> str:
    """``text`` in ``width`` cells, its middle replaced with … when it is longer: both the
    prefix and the suffix of a stream name tell streams apart."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    head = width // 2
    tail = width - 1 - head
    return text[:head] + "…" + (text[-tail:] if tail else "")


def key_cut(label: str, name: str, width: int) -> str:
    """``label/name`` in ``width`` cells: the label is cut first (``us-e…/orders``), then it
    goes and the name is cut in the middle: the name tells streams apart, the label only
    where they live (sorting by name groups them, `g` shows one context)."""
    key = f"{label}/{name}"
    if cell_len(key) <= width:
        return key
    room = width - cell_len(name) - 1  # what is left for the label before the slash
    if room >= 2:
        return f"{label[: room - 1]}…/{name}"
    return middle_cut(name, width)


class Layout(NamedTuple):
    """Which columns are drawn at a width and how wide: the pinned two, then a run of the
    others starting at ``first``."""

    width: int
    name: int
    health: int
    columns: tuple[tuple[Column, int], ...]  # after Health, in order
    first: int  # index in PAGED of the first column shown

    @property
    def hidden(self) -> int:
        return len(PAGED) - len(self.columns)

    @property
    def used(self) -> int:
        """Cells the drawn columns take, gutter and gaps included."""
        return GUTTER + self.name + GAP + self.health + sum(GAP + w for _, w in self.columns)

    def cells(self) -> list[tuple[Column, int, int]]:
        """(column, x, width) of every column drawn, left to right."""
        out = [(PINNED[0], GUTTER, self.name)]
        x = GUTTER + self.name + GAP
        out.append((PINNED[1], x, self.health))
        x += self.health
        for col, w in self.columns:
            x += GAP
            out.append((col, x, w))
            x += w
        return out


def _all_shown(shown: list[tuple[Column, int]], columns: Sequence[Column]) -> bool:
    keys = {col.key for col, _ in shown}
    return all(col.key in keys for col in columns)


def fit(widths: dict[str, int], width: int, first: int) -> Layout:
    """The columns shown at ``width`` cells starting at the ``first`` paged column: each at
    its full width, in priority order, leaving out any that does not fit. The name gets its
    full width when the first paged column still fits beside it (or when it takes no more
    than half of the room); only then is a long name cut in the middle."""
    health = widths["health"]
    room = width - GUTTER - GAP - health
    beside = room - GAP - min(widths[PAGED[0].key], FIRST_CUT)
    name = max(1, min(widths["name"], max(NAME_MIN, room // 2, beside), room))
    avail = room - name
    first = max(0, min(first, len(PAGED) - 1))
    shown: list[tuple[Column, int]] = []
    for col in PAGED[first:]:
        need = widths[col.key]
        if not need:
            continue  # nothing to say in any row
        if GAP + need <= avail:
            shown.append((col, need))
            avail -= GAP + need
        elif not shown and col.cuttable and avail - GAP >= FIRST_CUT // 2:
            # Free text wider than all the room left: the first column on a page is shown
            # cut with an ellipsis, rather than never.
            shown.append((col, avail - GAP))
            avail = 0
        # else dropped: a narrower column after it may still fit (whole, never cut)
    # The last page (or a terminal made wider) fills the room with the columns before it.
    while shown and first > 0 and _all_shown(shown, [c for c in PAGED[first:] if widths[c.key]]):
        need = widths[PAGED[first - 1].key]
        if GAP + need > avail or shown[0][1] < widths[shown[0][0].key]:
            break
        first -= 1
        if need:
            shown.insert(0, (PAGED[first], need))
            avail -= GAP + need
    return Layout(width, name, health, tuple(shown), first)


def measure(
    streams: Sequence[StreamState], view: View, memo: dict[str, dict] | None = None
) -> dict[str, int]:
    """Each column's width: its widest value, or its label with the sort arrow. ``memo``
    (column key -> value -> width) carries measured values from one poll to the next."""
    memo = {} if memo is None else memo
    widths: dict[str, int] = {}
    for col in COLUMNS:
        need = cell_len(col.label) + ARROW
        if streams:
            if col.formats is not None:
                known = memo.setdefault(col.key, {})
                if len(known) > 10_000:
                    known.clear()
                formats = col.formats
                fresh = []  # a rate or an age: seldom seen twice, not worth remembering
                for value in set(map(col.value, streams)):
                    if value.__class__ is float and not value.is_integer():
                        fresh.append(value)
                        continue
                    w = known.get(value)
                    if w is None:
                        w = known[value] = cell_len(formats(value))
                    if w > need:
                        need = w
                if fresh:
                    need = max(need, max(map(cell_len, map(formats, fresh))))
            else:
                text = col.text
                texts = [text(s, view) for s in streams]
                if col.blank_hidden and not any(texts):
                    widths[col.key] = 0
                    continue
                for t in texts:
                    if not t.isprintable():
                        t = visible(t)  # measured as drawn (see render_line)
                    w = len(t) if t.isascii() else cell_len(t)
                    if w > need:
                        need = w
        elif col.blank_hidden:
            need = 0
        widths[col.key] = need
    return widths


NULL_STYLE = Style()


def _spaces_apart(segments: Iterable[Segment]) -> list[Segment]:
    """Leading spaces as segments of their own: an SVG export (screenshots, snapshots) draws
    a segment's text from its first visible character, so a right-aligned number or a cell
    after a coloured one would land left of its column there."""
    out = []
    for seg in segments:
        text = seg.text
        if text == "\n":
            continue  # a Text's line end: a strip is one line
        style = seg.style or NULL_STYLE  # a monochrome terminal's filter needs a style
        body = text.lstrip(" ")
        if body and len(body) < len(text):
            out.append(Segment(text[: len(text) - len(body)], style))
            out.append(Segment(body, style))
        else:
            out.append(Segment(text, style))
    return out


class StreamsTable(ScrollView, can_focus=True, inherit_bindings=False):
    """Every stream, sorted and filtered, one line each. Only the lines on screen are drawn;
    the cursor stays on its stream across polls, sorts and filters."""

    BINDINGS: ClassVar = [
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("pagedown", "cursor_page_down", "Page down", show=False),
        Binding("pageup", "cursor_page_up", "Page up", show=False),
        Binding("home", "cursor_first", "First stream", show=False),
        Binding("end", "cursor_last", "Last stream", show=False),
        Binding("right", "next_columns", "Show the next columns", key_display="→", show=False),
        Binding(
            "left", "previous_columns", "Show the previous columns", key_display="←", show=False
        ),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "streams-table--header",
        "streams-table--cursor",
        "streams-table--cursor-blurred",
        "streams-table--even-row",
        "streams-table--status",
    }

    # The cursor row keeps every cell's own colour (a CRIT stays red): it only changes the
    # background, with a marker in the gutter for monochrome terminals.
    DEFAULT_CSS = """
    StreamsTable {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        height: 1fr;

        & > .streams-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .streams-table--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .streams-table--cursor {
            background: $primary 35%;
            text-style: bold;
        }
        & > .streams-table--cursor-blurred {
            background: $primary 20%;
        }
        & > .streams-table--status {
            color: $text-muted;
            background: $surface;
        }
    }
    """

    class Opened(Message):
        """A click on the row under the cursor (or a double click on any row)."""

        def __init__(self, table: StreamsTable, stream: str) -> None:
            super().__init__()
            self.table = table
            self.stream = stream

        @property
        def control(self) -> StreamsTable:
            return self.table

    def __init__(self, rules: Thresholds = Thresholds(), **kwargs) -> None:
        super().__init__(**kwargs)
        self.rules = rules
        self.now = 0.0
        self.sort_column = "health"
        self.sort_descending = True
        self.filter_text = ""
        self.context_filter: str | None = None  # one context's streams only (the `g` key)
        self._streams: tuple[StreamState, ...] = ()
        self._shown = False  # a snapshot came
        self._names: list[str] = []  # lower-cased, for the filter
        self._rows: list[StreamState] = []  # sorted and filtered: what is drawn
        self._index: dict[str, int] = {}
        self._cursor = 0
        self._wanted: str | None = None  # the stream the user chose, while a poll lacks it
        self._widths = measure((), View(rules, 0.0))
        self._memo: dict[str, dict] = {}
        self._first = 0  # the first paged column shown
        self._layout: Layout | None = None
        self._lines: LRUCache[tuple, Strip] = LRUCache(512)
        self._styles: dict[str, Style] = {}
        self._combined: dict[tuple, Style] = {}

    # -- public API -----------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def selected_stream(self) -> str | None:
        return self._rows[self._cursor].key if self._rows else None

    def visible(self) -> list[StreamState]:
        """The streams the filter lets through, in display order."""
        return list(self._rows)

    def row_names(self) -> list[str]:
        """The rows' keys (names, with one context) in display order."""
        return [s.key for s in self._rows]

    def show(self, streams: tuple[StreamState, ...], now: float | None = None) -> None:
        """A new snapshot: measured and re-sorted; rows are rendered only when drawn."""
        self._streams = tuple(streams)
        self._shown = True
        if now is not None:
            self.now = now
        self._names = [s.name.lower() for s in self._streams]
        self._widths = measure(self._streams, self.view, self._memo)
        self._layout = None
        self._rebuild()

    def set_sort(self, column: str) -> None:
        """Sort by ``column``; choosing the same column again reverses the order."""
        if column == self.sort_column:
            self.sort_descending = not self.sort_descending
        else:
            self.sort_column = column
            self.sort_descending = COLUMN_BY_KEY[column].numeric
        self._rebuild()

    def set_context(self, label: str | None) -> None:
        """Only the streams of the context labelled ``label`` (None: every context's)."""
        self.context_filter = label
        self._rebuild(first_when_gone=True)

    def set_filter(self, text: str) -> None:
        """Only the streams whose name contains ``text`` (``eu-west-1/ord``, ``prod:``: in
        that context); the cursor stays on its stream, or goes to the first match (what Enter
        then opens)."""
        self.filter_text = text
        self._rebuild(first_when_gone=True)

    @property
    def view(self) -> View:
        return View(self.rules, self.now)

    @property
    def layout(self) -> Layout:
        """The columns drawn at the current width."""
        width = self._room.width
        if self._layout is None or self._layout.width != width or self._layout.first != self._first:
            self._layout = fit(self._widths, width, self._first)
            self._first = self._layout.first
            self._lines.clear()
        return self._layout

    @property
    def widths(self) -> dict[str, int]:
        """Each column's full width (widest value, or label and sort arrow), by key."""
        return dict(self._widths)

    @property
    def hidden_columns(self) -> list[Column]:
        shown = {col.key for col, _ in self.layout.columns}
        widths = self.widths
        return [c for c in PAGED if c.key not in shown and widths[c.key]]

    def cells(self, key: str) -> dict[str, Text]:
        """Every column's cell of one stream, styled as drawn (stale rows dimmed), uncut."""
        s = self._rows[self._index[key]]
        view = self.view
        out = {}
        for col in COLUMNS:
            cell = col.render(s, view)
            if s.stale:
                cell.stylize("dim")
            out[col.key] = cell
        return out

    # -- rows -----------------------------------------------------------------------------

    def _rebuild(self, first_when_gone: bool = False) -> None:
        """Filter and sort; the cursor stays on its stream and the scroll where it was (moved
        only as far as showing the cursor needs). When its stream is gone, the cursor keeps
        its row until the stream is back, or with ``first_when_gone`` goes to the first row."""
        wanted = self._wanted or self.selected_stream
        needle = self.filter_text.strip().lower()
        if not needle:
            streams = self._streams
        elif "/" in needle or ":" in needle:
            streams = [s for s in self._streams if filter_matches(s, needle)]
        else:
            streams = [s for s, low in zip(self._streams, self._names) if needle in low]
        if self.context_filter is not None:
            streams = [s for s in streams if s.context == self.context_filter]
        self._rows = _sorted(streams, self.sort_column, self.sort_descending)
        self._index = {s.key: i for i, s in enumerate(self._rows)}
        if wanted in self._index:
            self._cursor = self._index[wanted]
            self._wanted = None
        elif first_when_gone:
            self._cursor = 0
            self._wanted = None
        else:
            self._cursor = max(0, min(self._cursor, len(self._rows) - 1))
            self._wanted = wanted  # back on it when a later poll has it again
        self._lines.clear()
        self.virtual_size = Size(0, len(self._rows) + CHROME)
        self._scroll_to_cursor()
        self.refresh()

    @property
    def _room(self) -> Size:
        return self.scrollable_content_region.size

    @property
    def _page_rows(self) -> int:
        return max(1, self._room.height - CHROME)

    def _scroll_to_cursor(self) -> None:
        """Scroll no further than needed to show the cursor (or the rows a filter left)."""
        top = round(self.scroll_y)
        if self._cursor < top:
            top = self._cursor
        elif self._cursor >= top + self._page_rows:
            top = self._cursor - self._page_rows + 1
        top = max(0, min(top, len(self._rows) - self._page_rows))
        if top != round(self.scroll_y):
            self.scroll_to(y=top, animate=False)

    def move_cursor(self, row: int) -> None:
        if not self._rows:
            return
        row = max(0, min(row, len(self._rows) - 1))
        old, self._cursor = self._cursor, row
        self._wanted = None
        self._scroll_to_cursor()
        for index in {old, row}:
            self._refresh_row(index)

    def _refresh_row(self, index: int) -> None:
        y = index - round(self.scroll_y) + 1
        if 1 <= y < self._room.height - 1:
            self.refresh(Region(0, y, self.size.width, 1))

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def action_cursor_page_down(self) -> None:
        self.move_cursor(self._cursor + self._page_rows)

    def action_cursor_page_up(self) -> None:
        self.move_cursor(self._cursor - self._page_rows)

    def action_cursor_first(self) -> None:
        self.move_cursor(0)

    def action_cursor_last(self) -> None:
        self.move_cursor(len(self._rows) - 1)

    # -- columns --------------------------------------------------------------------------

    def action_next_columns(self) -> None:
        """The next page of columns: the first one hidden on the right comes first."""
        layout = self.layout
        shown = {col.key for col, _ in layout.columns}
        hidden = [
            i
            for i in range(layout.first, len(PAGED))
            if PAGED[i].key not in shown and self._widths[PAGED[i].key]
        ]
        if hidden:
            self._first = hidden[0]
            self.refresh()

    def action_previous_columns(self) -> None:
        """The page before: as many columns before the first shown as fit with it."""
        layout = self.layout
        if layout.first == 0:
            return
        start = layout.first - 1
        while start > 0:
            trial = fit(self._widths, layout.width, start - 1)
            wanted = [c for c in PAGED[start - 1 : layout.first] if self._widths[c.key]]
            if not _all_shown(list(trial.columns), wanted):
                break
            start -= 1
        self._first = start
        self.refresh()

    # -- drawing --------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._combined.clear()
        self._lines.clear()

    def on_focus(self, event: events.Focus) -> None:
        self._lines.clear()
        self.refresh()

    def on_blur(self, event: events.Blur) -> None:
        self._lines.clear()
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self._scroll_to_cursor()
        self.refresh()

    def _style(self, name: str) -> Style:
        """The widget's style (``base``) or a row's: the base with only the background and
        text style of a component on top, so cells keep their own colours. Looked up once
        per theme: Textual computes them walking the DOM."""
        style = self._styles.get(name)
        if style is None:
            base = self.rich_style
            if name == "base":
                style = base
            elif name == "streams-table--header" or name == "streams-table--status":
                style = self.get_component_rich_style(name)
            else:
                st = self.get_component_rich_style(name)
                style = base + Style(
                    bgcolor=st.bgcolor, bold=st.bold, italic=st.italic, underline=st.underline
                )
            self._styles[name] = style
        return style

    def render_line(self, y: int) -> Strip:
        height = self._room.height
        if y == 0:
            return self._cached(("header", self.sort_column, self.sort_descending), self._header)
        if y == height - 1 and height >= CHROME:
            key = ("status", len(self._rows), self.filter_text, self.context_filter)
            return self._cached(key, self._status)
        index = round(self.scroll_y) + y - 1
        if index >= len(self._rows) or y >= height - 1:
            return Strip.blank(self.size.width, self._style("base"))
        key = ("row", index, index == self._cursor, self.has_focus)
        strip = self._lines.get(key)
        if strip is None:
            strip = self._lines[key] = self._row(index, self.layout)
        return strip

    def _cached(self, key: tuple, make: Callable[[], Text]) -> Strip:
        strip = self._lines.get(key)
        if strip is None:
            width = self.size.width
            text = make()
            text.truncate(width, pad=True)
            strip = Strip(_spaces_apart(text.render(self.app.console)), width)
            self._lines[key] = strip
        return strip

    def _header(self) -> Text:
        cells = self.layout.cells()
        style = self._style("streams-table--header")
        line = Text(" " * GUTTER, style=style, end="")
        for i, (col, _, w) in enumerate(cells):
            label = col.label
            if col.key == self.sort_column:
                label += " ▼" if self.sort_descending else " ▲"
            label = label[:w]
            pad = " " * (w - cell_len(label))
            sep = " " * GAP if i < len(cells) - 1 else ""
            # A span per label, so each label is a segment of its own (for SVG exports).
            if col.justify == "right":
                line.append(pad)
                line.append(label + sep, style=style)
            else:
                line.append(label + pad + sep, style=style)
        return line

    def _status(self) -> Text:
        """How many streams, and how many columns the width leaves out and which; the
        wordiest version that fits."""
        style = self._style("streams-table--status")
        width = self.layout.width
        shown, total = len(self._rows), len(self._streams)
        if not self._shown:
            return Text(" waiting for the first poll…", style=style, end="")
        if self.filter_text or self.context_filter:
            what = " and ".join(
                part
                for part in (
                    self.context_filter and f"in {self.context_filter}",
                    self.filter_text and f"match {self.filter_text!r}",
                )
                if part
            )
            count = f"{shown:,} of {total:,} streams {what}"
        else:
            count = f"{total:,} stream" + ("" if total == 1 else "s")
        hidden = self.hidden_columns
        if not hidden:
            return Text(f" {count}", style=style, end="")
        layout = self.layout
        before = layout.first > 0
        after = layout.first + len(layout.columns) < len(PAGED)
        keys = "←/→" if before and after else ("←" if before else "→")
        n = len(hidden)
        columns = f"{n} column{'' if n == 1 else 's'} hidden"
        tail = f" ({keys} to show)"
        head = f" {count}  ·  {columns}"
        names = ", ".join(c.label for c in hidden)
        room = width - cell_len(head) - len(tail) - 2
        if room >= 8:
            cut = names if len(names) <= room else names[: room - 1] + "…"
            return Text(f"{head}: {cut}{tail}", style=style, end="")
        for line in (head + tail, f" {count} · {columns} {keys}", f" {columns} {keys}"):
            if cell_len(line) <= width:
                return Text(line, style=style, end="")
        return Text(f" +{n} {keys}", style=style, end="")

    def _row(self, index: int, layout: Layout) -> Strip:
        """One stream's line, straight to segments. Every padding is a segment of its own
        and every cell starts with a visible character (SVG exports need that)."""
        s = self._rows[index]
        view = self.view
        cursor = index == self._cursor
        if cursor:
            name = "streams-table--cursor" if self.has_focus else "streams-table--cursor-blurred"
        else:
            name = "streams-table--even-row" if index % 2 == 0 else "base"
        base = self._style(name)
        console = self.app.console
        segments = [Segment(CURSOR_MARK if cursor else " " * GUTTER, base)]
        cells = layout.cells()
        last = len(cells) - 1
        for i, (col, _, w) in enumerate(cells):
            if col.key == "name":
                shown = (
                    key_cut(visible(s.context), visible(s.name), w)
                    if s.qualified and s.context
                    else middle_cut(visible(s.key), w)
                )
                cell = _name_text(shown, s.qualified)
            else:
                cell = col.render(s, view)
            plain = cell.plain
            if not plain.isprintable():
                # Escaped here, as measured, not by the line filter after layout: a name with
                # control characters keeps the rest of its row in its columns.
                cell = Text(visible(plain), style=cell.style)
                plain = cell.plain
            n = len(plain) if plain.isascii() else cell_len(plain)
            if n > w:
                cell.truncate(w, overflow="ellipsis")
                plain = cell.plain
                n = cell_len(plain)
            pad = " " * (w - n)
            sep = " " * GAP if i < last else ""
            if col.justify == "right" and pad:
                segments.append(Segment(pad, base))
                pad = ""
            if not cell.spans:
                segments.append(Segment(plain, self._on(base, cell.style)))
            else:
                segments.extend(
                    Segment(text, self._on(base, style)) for text, style, _ in cell.render(console)
                )
            if pad or sep:
                segments.append(Segment(pad + sep, base))
        if s.stale:  # the last known judgement: shown, dimmed
            head = segments[0]
            segments = [head] + [Segment(t, st + DIM) for t, st, _ in segments[1:]]
        width = self.size.width
        used = layout.used
        if used < width:
            segments.append(Segment(" " * (width - used), base))
            return Strip(segments, width)
        return Strip(segments, used).crop(0, width)

    def _on(self, base: Style, style: Style | str | None) -> Style:
        """A cell's style over its row's, cached: most cells share a handful of styles."""
        if not style:
            return base
        key = (base, style)
        combined = self._combined.get(key)
        if combined is None:
            if isinstance(style, str):
                style = self.app.console.get_style(style)
            combined = self._combined[key] = base + style
        return combined

    # -- mouse ----------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            for col, x, w in self.layout.cells():
                if x <= offset.x < x + w + GAP:
                    self.set_sort(col.key)
                    break
            return
        index = round(self.scroll_y) + offset.y - 1
        if offset.y >= self._room.height - 1 or not 0 <= index < len(self._rows):
            return
        if index == self._cursor or event.chain > 1:
            self.move_cursor(index)
            self.post_message(self.Opened(self, self._rows[index].key))
        else:
            self.move_cursor(index)
