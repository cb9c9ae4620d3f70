"""The overview table at real terminal sizes: nothing cut mid-value, Stream and Health pinned,
hidden columns counted and paged through, the cursor keeps the health colour, only the rows on
screen are drawn."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rich.color import Color
from textual.geometry import Region

from kmon.model.health import Health
from kmon.ui.app import KmonApp
from kmon.ui.messages import SnapshotReady
from kmon.ui.screens.stream import StreamScreen
from kmon.ui.widgets.streams_table import (
    COLUMN_BY_KEY,
    FIRST_CUT,
    GAP,
    GUTTER,
    PAGED,
    StreamsTable,
    middle_cut,
)
from tests.ui.fleet import NOW, STREAMS, snapshot, stream
from tests.ui.long_fleet import LONG_STREAMS

SIZES = [(80, 24), (120, 40), (160, 45)]
FLEETS = {"fleet": STREAMS, "long names": LONG_STREAMS}


def make_app() -> KmonApp:
    return KmonApp(None, refresh_sec=60, context={"profile": "prod"}, clock=lambda: NOW)


async def ready(app, pilot, streams) -> StreamsTable:
    app.post_message(SnapshotReady(snapshot(streams)))
    await pilot.pause()
    return app.screen.query_one(StreamsTable)


def lines(table: StreamsTable) -> list[str]:
    """What the table draws, line by line: the header, the rows on screen, the status."""
    return [table.render_line(y).text for y in range(table.scrollable_content_region.height)]


def on_screen(table: StreamsTable) -> list[int]:
    """Indexes of the rows drawn."""
    top = round(table.scroll_y)
    rows = table.scrollable_content_region.height - 2
    return list(range(top, min(top + rows, table.row_count)))


def check_no_cut(table: StreamsTable) -> None:
    """Every drawn cell holds its value's whole text; a name is cut (in the middle) only when
    the terminal cannot hold it; free text only when it alone is wider than the room."""
    layout = table.layout
    assert layout.used <= table.scrollable_content_region.width
    drawn = lines(table)
    header = drawn[0]
    view = table.view
    for col, x, w in layout.cells():
        label = header[x : x + w].strip()
        assert label.removesuffix(" ▼").removesuffix(" ▲") == col.label, (col.key, label)
    for index in on_screen(table):
        line = drawn[index - round(table.scroll_y) + 1]
        s = table.visible()[index]
        for col, x, w in layout.cells():
            shown = line[x : x + w].strip()
            full = col.text(s, view).strip()
            if shown == full:
                continue
            if col.key == "name":
                assert w < len(full) and "…" in shown and len(shown) == w, (shown, w)
                head, tail = shown.split("…")
                assert full.startswith(head) and full.endswith(tail)
                # only when the whole name and the first other column do not fit together
                widths = table.widths
                first = min(widths[PAGED[0].key], FIRST_CUT)
                whole = GUTTER + widths["name"] + GAP + widths["health"] + GAP + first
                assert whole > layout.width, (whole, layout.width)
            else:
                assert col.cuttable and shown.endswith("…"), (col.key, shown, full)
                assert full.startswith(shown[:-1])
                assert len(layout.columns) == 1  # cut only when it alone is too wide


def red(color: Color | None) -> bool:
    """Red as the eye sees it, whether a named colour or the theme's truecolor."""
    if color is None:
        return False
    r, g, b = color.get_truecolor()
    return r > 2 * max(g, b, 30)


def status(table: StreamsTable) -> str:
    return lines(table)[-1]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("fleet", FLEETS, ids=str)
async def test_no_value_is_cut_and_hidden_columns_are_counted(size, fleet):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        table = await ready(app, pilot, FLEETS[fleet])
        check_no_cut(table)
        # A column blank in every row (Data, while every stream's numbers are current) is
        # left out, not counted as hidden.
        hidden = len(said(table)) - len(table.layout.columns)
        text = status(table)
        assert f"{len(FLEETS[fleet])} streams" in text
        if hidden:
            assert f"{hidden} column{'s' if hidden > 1 else ''} hidden" in text
            assert "→" in text
        else:
            assert "hidden" not in text


async def test_the_short_fleet_fits_whole_names_and_values():
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        table = await ready(app, pilot, STREAMS)
        drawn = "\n".join(lines(table))
        for needle in ("1.9k/s", "850/s", "34s ledger-projector", "inventory-updates", "312"):
            assert needle in drawn, needle
        shown = [c.key for c, _ in table.layout.columns]
        # The health signals come first, then traffic.
        signals = ["cause", "worst_lag", "write_util", "iter_age", "write_thr", "read_thr"]
        assert shown[:6] == signals
        assert "Worst lag" in drawn.splitlines()[0]


def said(table) -> set[str]:
    """The paged columns with something to say in some row."""
    return {c.key for c in PAGED if table.widths[c.key]}


@pytest.mark.parametrize("fleet", FLEETS, ids=str)
async def test_right_pages_through_every_column_stream_and_health_stay(fleet):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = await ready(app, pilot, FLEETS[fleet])
        first_page = [c.key for c, _ in table.layout.columns]
        seen = set(first_page)
        for _ in range(len(PAGED)):
            await pilot.press("right")
            layout = table.layout
            seen |= {c.key for c, _ in layout.columns}
            check_no_cut(table)
            header = lines(table)[0]
            assert header.lstrip().startswith("Stream") and "Health" in header
            name = table.visible()[0].name
            assert lines(table)[1].startswith("▶" + middle_cut(name, layout.name))
            hidden = len(said(table)) - len(layout.columns)
            assert f"{hidden} column{'s' if hidden > 1 else ''} hidden" in status(table)
        assert seen == said(table)  # every column with something to say can be reached
        assert table.layout.columns[-1][0].key == PAGED[-1].key
        assert "←" in status(table)
        for _ in range(len(PAGED)):
            await pilot.press("left")
        assert [c.key for c, _ in table.layout.columns] == first_page
        assert "(→ to show)" in status(table)


async def test_sort_keys_and_header_clicks_still_sort_with_columns_paged():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = await ready(app, pilot, STREAMS)
        await pilot.press("I")  # incoming bytes, off screen: still sorts
        assert table.sort_column == "in_bytes" and table.sort_descending
        assert table.row_names()[0] == "clickstream"
        await pilot.press("right")
        col, x, _ = next(c for c in table.layout.cells() if c[0].key == "iter_age")
        await pilot.click(StreamsTable, offset=(x + 1, 0))
        assert table.sort_column == "iter_age"
        assert table.row_names()[0] == "inventory-updates"
        assert "Iter age ▼" in lines(table)[0]


async def test_cursor_row_keeps_its_health_colour():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await ready(app, pilot, STREAMS)
        assert table.cursor_row == 0 and table.selected_stream == "payments-ledger"
        strip = table.render_line(1)
        assert strip.text.startswith("▶payments-ledger")
        crit = next(seg for seg in strip if "CRIT" in seg.text)
        assert red(crit.style.color) and crit.style.bold
        cursor_bg = crit.style.bgcolor
        assert cursor_bg is not None and not red(cursor_bg)
        # The write utilization at the limit stays red too; the row has the cursor background.
        assert red(next(seg for seg in strip if seg.text == "100%").style.color)
        plain = table.render_line(2)
        assert not plain.text.startswith("▶")
        assert all(seg.style.bgcolor != cursor_bg for seg in plain)
        # and as Textual composes the widget (its styles applied to the lines)
        (composed,) = table.render_lines(Region(0, 1, table.size.width, 1))
        crit = next(seg for seg in composed if "CRIT" in seg.text)
        assert red(crit.style.color) and crit.style.bgcolor == cursor_bg


async def test_stale_rows_are_dim_and_names_literal():
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        table = await ready(app, pilot, LONG_STREAMS)
        index = table.row_names().index("orders-dlq")
        strip = table.render_line(index + 1)
        assert all(seg.style.dim for seg in list(strip)[1:] if seg.text.strip())
        assert "as of 11:53" in strip.text
        odd = table.row_names().index("[bold]odd[/]name-5-team-shared-stream")
        assert "[bold]odd[/]name-5-team-shared-stream" in table.render_line(odd + 1).text


async def test_filter_without_a_match_says_so_and_how_to_clear():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = await ready(app, pilot, STREAMS)
        await pilot.press("slash", "z", "z")
        assert table.row_count == 0 and table.selected_stream is None
        note = str(app.screen.query_one("#no-match").render())
        assert "no stream matches 'zz' (Esc clears)" in note
        assert "0 of 6 streams match 'zz'" in status(table)
        await pilot.press("escape")
        assert table.row_count == 6 and not app.screen.query_one("#no-match").display


async def test_a_filter_puts_the_cursor_on_the_first_match_and_clearing_it_keeps_it_there():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await ready(app, pilot, STREAMS)
        await pilot.press("j", "j", "j")
        chosen = table.selected_stream
        assert chosen != "orders-events"
        await pilot.press("slash", "e", "v", "e", "n", "t", "s", "enter")
        assert table.selected_stream == "orders-events" and table.cursor_row == 0
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, StreamScreen) and app.screen.stream_name == "orders-events"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")  # clears the filter
        assert table.row_count == len(STREAMS) and table.selected_stream == "orders-events"


async def test_a_stream_missing_from_one_poll_gets_the_cursor_back_when_it_returns():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await ready(app, pilot, STREAMS)
        await pilot.press("j", "j")
        chosen = table.selected_stream
        await ready(app, pilot, [s for s in STREAMS if s.name != chosen])
        assert table.selected_stream != chosen and table.cursor_row == 2
        await ready(app, pilot, STREAMS)
        assert table.selected_stream == chosen


async def test_click_selects_a_row_and_a_second_click_opens_it():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await ready(app, pilot, STREAMS)
        await pilot.click(StreamsTable, offset=(3, 3))  # the third row
        assert table.cursor_row == 2
        assert not isinstance(app.screen, StreamScreen)
        chosen = table.selected_stream
        await pilot.click(StreamsTable, offset=(3, 3))
        await pilot.pause()
        assert isinstance(app.screen, StreamScreen) and app.screen.stream_name == chosen


def big_fleet(n: int, tick: int = 0) -> tuple:
    healths = (Health.OK, Health.OK, Health.WARN, Health.CRIT)
    return tuple(
        stream(
            f"stream-{i:04d}",
            health=healths[(i + tick) % 4],
            incoming_bytes_per_sec=float((i * 37 + tick * 101) % 997) * 1024,
            iterator_age_ms=float((i * 331 + tick * 1000) % 90_000),
        )
        for i in range(n)
    )


async def test_fleet_scale_draws_only_the_rows_on_screen_and_keeps_cursor_and_scroll():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = await ready(app, pilot, big_fleet(2000))
        drawn: list[int] = []
        row = table._row

        def counting(index, layout):
            drawn.append(index)
            return row(index, layout)

        table._row = counting
        await ready(app, pilot, big_fleet(2000, 1))
        rows_on_screen = table.scrollable_content_region.height - 2
        assert 0 < len(set(drawn)) <= rows_on_screen
        await pilot.press("home")  # the cursor followed its stream down the list
        assert table.cursor_row == 0 and round(table.scroll_y) == 0
        for _ in range(3):
            await pilot.press("pagedown")
        await pilot.press("j")
        chosen, index = table.selected_stream, table.cursor_row
        assert index == 3 * rows_on_screen + 1
        top = round(table.scroll_y)
        assert top <= index < top + rows_on_screen
        # A poll that changes nothing about this stream's place keeps the scroll too.
        await ready(app, pilot, big_fleet(2000, 5))  # the same healths as tick 1
        assert table.selected_stream == chosen and round(table.scroll_y) == top
        # One that moves it: the cursor follows its stream and stays on screen.
        await ready(app, pilot, big_fleet(2000, 2))
        assert table.selected_stream == chosen and table.cursor_row != index
        top = round(table.scroll_y)
        assert top <= table.cursor_row < top + rows_on_screen
        check_no_cut(table)
        await pilot.press("end")
        assert table.cursor_row == 1999
        assert f"{2000:,} streams" in status(table)


async def test_a_40x12_terminal_keeps_working():
    app = make_app()
    async with app.run_test(size=(40, 12)) as pilot:
        table = await ready(app, pilot, LONG_STREAMS)
        for key in ["right"] * (len(PAGED) + 1) + ["left"] * 3 + ["j", "pagedown", "end"]:
            await pilot.press(key)
            check_no_cut(table)
            assert "hidden" in status(table)
        assert app.is_running


def test_every_column_sizes_from_the_text_it_draws():
    from kmon.model.rules import Thresholds
    from kmon.ui.widgets.streams_table import View

    view = View(Thresholds(), NOW.timestamp())
    for s in (*STREAMS, *LONG_STREAMS, replace(STREAMS[0], stale=True)):
        for key, col in COLUMN_BY_KEY.items():
            assert col.render(s, view).plain == col.text(s, view), (key, s.name)
