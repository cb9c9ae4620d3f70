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


# -- the overview's column fitting (kmon.ui.widgets.streams_table) -------------------------


def test_fit_keeps_the_priority_order_and_never_goes_past_the_width():
    from kmon.ui.widgets.streams_table import PAGED, fit

    widths = {c.key: 8 for c in PAGED} | {"name": 20, "health": 12}
    for width in (40, 80, 120, 160, 400):
        layout = fit(widths, width, 0)
        assert layout.used <= width
        assert [c for c, _ in layout.columns] == list(PAGED[: len(layout.columns)])
        assert layout.hidden == len(PAGED) - len(layout.columns)
    assert fit(widths, 400, 0).hidden == 0
    # a later page starts where asked, Stream and Health still first
    layout = fit(widths, 80, 3)
    assert layout.columns[0][0] is PAGED[3]
    assert [c.key for c, _, _ in layout.cells()][:2] == ["name", "health"]


def test_a_long_name_is_cut_in_the_middle_only_when_there_is_no_room():
    from kmon.ui.widgets.streams_table import NAME_MIN, PAGED, fit, middle_cut

    widths = {c.key: 8 for c in PAGED} | {"name": 58, "health": 12}
    assert fit(widths, 160, 0).name == 58  # room enough: whole
    narrow = fit(widths, 80, 0)
    assert NAME_MIN <= narrow.name < 58 and narrow.columns  # cut, and something beside it
    assert middle_cut("analytics-clickstream-enriched", 12) == "analyt…iched"
    assert middle_cut("short", 12) == "short"


def test_widths_come_from_the_widest_value_or_the_label_with_its_arrow():
    from kmon.model.rules import Thresholds
    from kmon.ui.widgets.streams_table import View, measure
    from tests.ui.fleet import NOW, STREAMS

    widths = measure(STREAMS, View(Thresholds(), NOW.timestamp()))
    assert widths["name"] == len("inventory-updates")
    assert widths["in_records"] == len("In rec ▼")  # 1.9k/s is narrower
    assert widths["in_bytes"] == len("2.0 MiB/s")
    assert widths["worst_lag"] == len("34s ledger-projector")
    memo: dict = {}
    assert measure(STREAMS, View(Thresholds(), NOW.timestamp()), memo) == widths
    assert measure(STREAMS, View(Thresholds(), NOW.timestamp()), memo) == widths  # memoised
