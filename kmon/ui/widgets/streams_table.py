"""The streams overview table: rows keyed by stream name, updated cell by cell."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import DataTable

from kmon.model.rules import Thresholds
from kmon.model.snapshot import StreamState
from kmon.ui import format as fmt
from kmon.ui.styles import LAG_STYLE
from kmon.ui.widgets.tables import shown


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    sort_key: str  # the key that sorts by this column
    value: Callable[[StreamState], object]  # what sorting compares (None sorts last)
    render: Callable[[StreamState, View], Text]
    numeric: bool = True  # first press sorts largest first

    @property
    def long(self) -> str:
        return LONG_NAMES.get(self.key, self.label.lower())


@dataclass(frozen=True)
class View:
    """What a cell is rendered against besides its stream: the rules and the time."""

    rules: Thresholds
    now: float  # epoch seconds


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
}


def _right(s: str) -> Text:
    return Text(s, justify="right")


MODES = {"ON_DEMAND": "on-dem", "PROVISIONED": "prov"}

# Most important first, so a narrow terminal still shows name, health and its cause, then
# utilization, iterator age and throttling; the control-plane columns come last.
COLUMNS: tuple[Column, ...] = (
    Column(
        "name", "Stream", 24, "N", lambda s: s.name.lower(), lambda s, v: fmt.plain(s.name), False
    ),
    Column("health", "Health", 12, "H", lambda s: s.health.rank, lambda s, v: _health_text(s, v)),
    Column(
        "cause",
        "Cause",
        30,
        "X",
        lambda s: s.findings[0].summary if s.findings else None,
        lambda s, v: _cause_text(s),
        False,
    ),
    Column(
        "write_util",
        "Write%",
        6,
        "U",
        lambda s: _write_util(s),
        lambda s, v: _util_text(_write_util(s), v.rules),
    ),
    Column(
        "iter_age",
        "Iter age",
        8,
        "A",
        lambda s: s.iterator_age_ms,
        lambda s, v: _right(fmt.duration_ms(s.iterator_age_ms)),
    ),
    Column(
        "write_thr",
        "W thr",
        5,
        "W",
        lambda s: s.write_throttled_per_min,
        lambda s, v: _throttle_text(s.write_throttled_per_min),
    ),
    Column(
        "read_thr",
        "R thr",
        5,
        "T",
        lambda s: s.read_throttled_per_min,
        lambda s, v: _throttle_text(s.read_throttled_per_min),
    ),
    Column(
        "in_bytes",
        "In",
        10,
        "I",
        lambda s: s.incoming_bytes_per_sec,
        lambda s, v: _right(fmt.bytes_rate(s.incoming_bytes_per_sec)),
    ),
    Column(
        "out_bytes",
        "Out",
        10,
        "O",
        lambda s: s.outgoing_bytes_per_sec,
        lambda s, v: _right(fmt.bytes_rate(s.outgoing_bytes_per_sec)),
    ),
    Column(
        "worst_lag",
        "Worst lag",
        22,
        "L",
        lambda s: _worst_lag_key(s),
        lambda s, v: _worst_lag_text(s),
    ),
    Column(
        "shards",
        "Shards",
        6,
        "S",
        lambda s: s.open_shards,
        lambda s, v: _right(fmt.count(s.open_shards)),
    ),
    Column("status", "Status", 8, "Y", lambda s: s.status, lambda s, v: fmt.plain(s.status), False),
    Column(
        "mode",
        "Mode",
        6,
        "M",
        lambda s: s.mode,
        lambda s, v: fmt.plain(MODES.get(s.mode or "", s.mode)),
        False,
    ),
    Column(
        "in_records",
        "In rec",
        8,
        "C",
        lambda s: s.incoming_records_per_sec,
        lambda s, v: _right(fmt.count_rate(s.incoming_records_per_sec)),
    ),
    Column(
        "efo",
        "EFO",
        3,
        "E",
        lambda s: s.efo_consumers,
        lambda s, v: _right(fmt.count(s.efo_consumers)),
    ),
    Column(
        "retention",
        "Retain",
        6,
        "R",
        lambda s: s.retention_hours,
        lambda s, v: _right(fmt.hours(s.retention_hours)),
    ),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}


def _write_util(s: StreamState) -> float | None:
    vals = [
        v for v in (s.write_bytes_utilization_pct, s.write_records_utilization_pct) if v is not None
    ]
    return max(vals) if vals else None


def _worst_lag_key(s: StreamState) -> tuple[int, float] | None:
    c = s.worst_consumer
    return None if c is None else (c.status.rank, c.lag_ms or 0.0)


def _worst_lag_text(s: StreamState) -> Text:
    """The consumer furthest behind (or stopped): its lag and name, e.g. '4m 12s projector'."""
    c = s.worst_consumer
    if c is None:
        return Text(fmt.DASH)
    t = Text(style=LAG_STYLE.get(c.status.value, ""))
    t.append(fmt.duration_ms(c.lag_ms) if c.lag_ms is not None else c.status.value.upper())
    t.append(" ")
    # literal, never markup; the shared readers' long name would crowd out the lag
    t.append("shared readers" if c.kind == "shared" else c.name)
    return t


def _util_text(pct: float | None, rules: Thresholds) -> Text:
    return Text(fmt.pct(pct), style=fmt.util_style(rules.utilization(pct)), justify="right")


def _health_text(s: StreamState, v: View) -> Text:
    """✖ CRIT 1h12m: how long it has been this bad, from history."""
    for_sec = None if s.since is None else max(0.0, v.now - s.since)
    return fmt.health(s.health, for_sec, stale=s.stale)


def _cause_text(s: StreamState) -> Text:
    """The worst finding in a few words (+N more); a stale row says as of when."""
    t = Text()
    if s.stale and s.as_of is not None:
        t.append(f"as of {s.as_of:%H:%M} ", style="italic")
    if s.findings:
        top = s.findings[0]
        t.append(top.summary or top.cause, style=fmt.LEVEL_STYLE.get(top.severity, ""))
        if len(s.findings) > 1:
            t.append(f" +{len(s.findings) - 1}", style="dim")
    elif not t:
        t.append(fmt.DASH)
    return t


def _throttle_text(v: float | None) -> Text:
    return Text(fmt.count(v), style="bold red" if v else "", justify="right")


def sort_order(streams: Sequence[StreamState], column: str, descending: bool) -> list[str]:
    """Names in display order; None values last in either direction, ties by name."""
    col = COLUMN_BY_KEY[column]
    have = [s for s in streams if col.value(s) is not None]
    missing = [s for s in streams if col.value(s) is None]
    have.sort(key=lambda s: s.name)
    have.sort(key=col.value, reverse=descending)
    missing.sort(key=lambda s: s.name)
    return [s.name for s in have + missing]


class StreamsTable(DataTable):
    """Rows keyed by stream name. A refresh touches only the cells whose text changed, so the
    cursor and scroll position survive every poll."""

    def __init__(self, rules: Thresholds = Thresholds(), **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.rules = rules
        self.now = 0.0
        self.sort_column = "health"
        self.sort_descending = True
        self.filter_text = ""
        self._streams: tuple[StreamState, ...] = ()
        self._cells: dict[str, tuple[object, ...]] = {}
        self._states: dict[str, StreamState] = {}  # what each row was rendered from
        self._order: list[str] = []

    def on_mount(self) -> None:
        for col in COLUMNS:
            # Room for the sort arrow, so choosing a column never truncates its label.
            self.add_column(self._label(col), key=col.key, width=max(col.width, len(col.label) + 2))

    def _label(self, col: Column) -> Text:
        label = Text(col.label)
        if col.key == self.sort_column:
            label.append(" ▼" if self.sort_descending else " ▲", style="bold")
        return label

    @property
    def selected_stream(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:
            return None

    def set_sort(self, column: str) -> None:
        """Sort by ``column``; choosing the same column again reverses the order."""
        if column == self.sort_column:
            self.sort_descending = not self.sort_descending
        else:
            self.sort_column = column
            self.sort_descending = COLUMN_BY_KEY[column].numeric
        for col in COLUMNS:
            self.columns[col.key].label = self._label(col)
        self._refresh_rows()

    def set_filter(self, text: str) -> None:
        self.filter_text = text
        self._refresh_rows()

    def show(self, streams: tuple[StreamState, ...], now: float | None = None) -> None:
        self._streams = streams
        if now is not None:
            self.now = now
        self._refresh_rows()

    def visible(self) -> list[StreamState]:
        needle = self.filter_text.strip().lower()
        return (
            [s for s in self._streams if needle in s.name.lower()]
            if needle
            else list(self._streams)
        )

    def _refresh_rows(self) -> None:
        selected = self.selected_stream
        rows = self.visible()
        wanted = {s.name for s in rows}
        changed_rows = False
        for name in [n for n in self._cells if n not in wanted]:
            self.remove_row(name)
            del self._cells[name]
            self._states.pop(name, None)
            changed_rows = True
        for s in rows:
            if self._states.get(s.name) == s and s.name in self._cells and not s.since:
                continue  # an unchanged stream is not even re-rendered
            self._states[s.name] = s
            view = View(self.rules, self.now)
            cells = tuple(col.render(s, view) for col in COLUMNS)
            if s.stale:  # the last known judgement: shown, dimmed
                for cell in cells:
                    cell.stylize("dim")
            signature = tuple(shown(c) for c in cells)
            old = self._cells.get(s.name)
            if old is None:
                self.add_row(*cells, key=s.name)
                changed_rows = True
            elif old != signature:
                for col, cell, before, after in zip(COLUMNS, cells, old, signature):
                    if before != after:
                        self.update_cell(s.name, col.key, cell)
            self._cells[s.name] = signature
        order = sort_order(rows, self.sort_column, self.sort_descending)
        if changed_rows or order != self._order:
            index = {name: i for i, name in enumerate(order)}
            self.sort("name", key=lambda cell: index[cell.plain])
            self._order = order
            if selected in wanted:
                self.move_cursor(row=self.get_row_index(selected), animate=False)
