"""What every kmon screen shares: its own header, and rendering the newest snapshot."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from kmon.model.snapshot import FleetSnapshot
from kmon.ui.widgets.header import HeaderBar
from kmon.ui.widgets.tables import Col, FitTable, add_columns


class KmonScreen(Screen):
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def action_cursor_down(self) -> None:
        """k9s habit: j moves down the focused table, else on to the next panel."""
        if isinstance(self.focused, DataTable):
            self.focused.action_cursor_down()
        else:
            self.focus_next()

    def action_cursor_up(self) -> None:
        if isinstance(self.focused, DataTable):
            self.focused.action_cursor_up()
        else:
            self.focus_previous()

    def make_header(self) -> HeaderBar:
        app = self.app
        self.header = HeaderBar(app.clock, app.refresh_sec, app.context)
        return self.header

    def show(self, snapshot: FleetSnapshot) -> None:
        self.header.show(snapshot)

    def on_screen_resume(self) -> None:
        # A screen shown again renders the newest snapshot it missed while hidden.
        snapshot = getattr(self.app, "snapshot", None)
        if snapshot is not None:
            self.show(snapshot)


class TableScreen(KmonScreen):
    """A drill-down screen around one keyed table: a title line, the table, a note line.
    Esc goes back. ``COLUMNS`` as ``Col`` makes a table that sizes its columns from their
    cells and the terminal (``FitTable``); as (key, label, width) one with fixed widths."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]
    TABLE_ID = ""
    COLUMNS: tuple[tuple[str, str, int], ...] | tuple[Col, ...] = ()

    def compose(self) -> ComposeResult:
        yield self.make_header()
        yield Static(id=f"{self.TABLE_ID}-title", classes="table-title")
        options = dict(id=self.TABLE_ID, cursor_type="row", zebra_stripes=True)
        if self.COLUMNS and isinstance(self.COLUMNS[0], Col):
            yield FitTable(self.COLUMNS, **options)
        else:
            yield DataTable(**options)
        yield Static(id=f"{self.TABLE_ID}-note", classes="table-note")
        yield Footer()

    def on_mount(self) -> None:
        if not isinstance(self.table, FitTable):
            add_columns(self.table, self.COLUMNS)
        self.table.focus()

    @property
    def table(self) -> DataTable:
        return self.query_one(f"#{self.TABLE_ID}", DataTable)
