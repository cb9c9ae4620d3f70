"""The streams overview: every stream, its throughput against capacity, and its health."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Input, Static

from kmon.model.snapshot import FleetSnapshot
from kmon.ui.screens.base import KmonScreen
from kmon.ui.widgets.streams_table import COLUMNS, StreamsTable
from kmon.ui.widgets.usage import UsageBar

SORT_BINDINGS = [
    Binding(c.sort_key, f"sort('{c.key}')", f"Sort by {c.long}", show=False) for c in COLUMNS
]


class OverviewScreen(KmonScreen):
    BINDINGS = [
        Binding("slash", "filter", "Filter", key_display="/", id="filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("enter", "open_stream", "Open stream", id="open"),
        Binding("g", "next_context", "Context", id="context"),
        *SORT_BINDINGS,
    ]

    def compose(self) -> ComposeResult:
        yield self.make_header()
        yield Input(
            placeholder="filter streams by name (Enter: back to table, Esc: clear)", id="filter"
        )
        yield StreamsTable(self.app.thresholds, id="streams")
        yield Static(id="no-match")
        yield UsageBar(id="usage")
        yield Footer()

    @property
    def table(self) -> StreamsTable:
        return self.query_one(StreamsTable)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#filter", Input)

    def on_mount(self) -> None:
        self.filter_input.display = False
        self._update_no_match()
        self.table.focus()

    def show(self, snapshot: FleetSnapshot) -> None:
        self.header.show(snapshot)
        self.table.show(snapshot.streams, snapshot.generated_at.timestamp())
        self._update_no_match()
        self.query_one(UsageBar).show(snapshot.api, snapshot.streams_usd_per_day)

    # -- actions --------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.filter_input.display = True
        # Focus now, not after the next refresh: keys typed right after "/" belong to the filter.
        self.app.set_focus(self.filter_input)

    def action_clear_filter(self) -> None:
        self.filter_input.value = ""
        self.filter_input.display = False
        self.table.set_context(None)
        self.table.set_filter("")
        self._update_no_match()
        self.table.focus()

    def action_next_context(self) -> None:
        """Only one context's streams, then the next's, then all again (the line under the
        table says which). Sorting by name groups them instead."""
        snap = self.app.snapshot
        labels = [c.label for c in snap.contexts] if snap is not None else []
        if len(labels) < 2:
            self.app.flash("one account and region: no other context to show")
            return
        options: list[str | None] = [None, *labels]
        current = self.table.context_filter
        i = options.index(current) + 1 if current in options else 1
        self.table.set_context(options[i % len(options)])
        self._update_no_match()

    def action_open_stream(self) -> None:
        name = self.table.selected_stream
        if name is not None:
            self.app.open_stream(name)

    @on(StreamsTable.Opened, "#streams")
    def _row_chosen(self, event: StreamsTable.Opened) -> None:
        self.app.open_stream(event.stream)

    def action_sort(self, column: str) -> None:
        self.table.set_sort(column)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_filter(event.value)
        self._update_no_match()

    def _update_no_match(self) -> None:
        """Say why the table is empty when the filter hides every stream."""
        note = self.query_one("#no-match", Static)
        hidden = self.table.filter_text and not self.table.row_count
        note.display = bool(hidden)
        if hidden:
            where = f" in {self.table.context_filter}" if self.table.context_filter else ""
            note.update(Text(f"no stream{where} matches {self.table.filter_text!r} (Esc clears)"))

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        if not event.value:
            self.filter_input.display = False
        self.table.focus()
