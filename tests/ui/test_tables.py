"""Keyed table updates: only changed cells are touched, and colour counts as a change."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from kmon.ui.widgets.tables import add_columns, sync_rows

COLUMNS = (("name", "Name", 10), ("pct", "Write%", 6))


class One(App):
    def compose(self) -> ComposeResult:
        yield DataTable()


async def test_same_text_in_a_new_colour_is_redrawn_and_gone_rows_go():
    app = One()
    async with app.run_test():
        table = app.query_one(DataTable)
        add_columns(table, COLUMNS)
        keys = [k for k, _, _ in COLUMNS]
        sync_rows(table, {"a": (Text("a"), Text("80%")), "b": (Text("b"), Text("1%"))}, keys)
        # 79.6% then 80.4%: both read "80%", only the second is past the warning line.
        sync_rows(table, {"a": (Text("a"), Text("80%", style="yellow"))}, keys)
        assert table.row_count == 1
        assert str(table.get_cell("a", "pct").style) == "yellow"
