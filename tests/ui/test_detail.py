"""Drill in and out: detail, time window, shards, palette jump, wall mode."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from kmon.ui.app import KmonApp
from kmon.ui.messages import SnapshotReady
from kmon.ui.screens.overview import OverviewScreen
from kmon.ui.screens.shards import ShardsScreen
from kmon.ui.screens.stream import StreamScreen
from kmon.ui.screens.wall import WallScreen
from kmon.ui.widgets.streams_table import StreamsTable
from tests.ui.fleet import NOW, detail, snapshot


class Recorder:
    """Stands in for the collector's set_focus: records what the UI asked to fetch."""

    def __init__(self) -> None:
        self.calls: list[tuple[str | None, int]] = []

    def __call__(self, stream: str | None, window_sec: int = 3600) -> None:
        self.calls.append((stream, window_sec))


class Clock:
    def __init__(self):
        self.t = NOW

    def __call__(self):
        return self.t


def make(focus=None, clock=None, **kw) -> KmonApp:
    return KmonApp(
        None, focus=focus, refresh_sec=60, context={}, clock=clock or (lambda: NOW), **kw
    )


async def post(app, pilot, snap):
    app.post_message(SnapshotReady(snap))
    await pilot.pause()


async def test_enter_opens_detail_and_escape_returns_with_cursor_kept():
    focus = Recorder()
    app = make(focus)
    async with app.run_test(size=(120, 40)) as pilot:
        await post(app, pilot, snapshot())
        await pilot.press("j", "j")
        chosen = app.screen.query_one(StreamsTable).selected_stream
        await pilot.press("enter")
        assert isinstance(app.screen, StreamScreen) and app.screen.stream_name == chosen
        assert focus.calls[-1] == (chosen, 3600)
        await post(app, pilot, replace(snapshot(), detail=detail(chosen)))
        titles = {p.border_title for p in app.screen.query("Panel")}
        assert titles == {"Throughput", "Iterator age", "Throttling", "Consumer lag"}
        await pilot.press("escape")
        assert isinstance(app.screen, OverviewScreen)
        assert focus.calls[-1][0] is None  # leaving stops the detail cost
        assert app.screen.query_one(StreamsTable).selected_stream == chosen


async def test_time_window_cycles_and_number_keys_jump():
    focus = Recorder()
    app = make(focus)
    async with app.run_test(size=(120, 40)) as pilot:
        await post(app, pilot, snapshot())
        app.open_stream("payments-ledger")
        await pilot.pause()
        await pilot.press("t")
        assert focus.calls[-1] == ("payments-ledger", 3 * 3600)
        await pilot.press("t", "t", "t")
        assert focus.calls[-1] == ("payments-ledger", 15 * 60)  # wrapped around
        await pilot.press("5")
        assert focus.calls[-1] == ("payments-ledger", 24 * 3600)
        assert app.screen.window_sec == 24 * 3600


async def test_detail_panels_show_limits_and_consumers():
    app = make(Recorder())
    async with app.run_test(size=(140, 45)) as pilot:
        await post(app, pilot, snapshot())
        app.open_stream("payments-ledger")
        await pilot.pause()
        await post(app, pilot, replace(snapshot(), detail=detail()))
        screen = app.screen
        summary = str(screen.query_one("#summary").render())
        assert "2 open / 0 closed" in summary and "EFO 0/20" in summary and "kms" in summary
        throughput = str(screen.query_one("#throughput-now").render())
        assert "(100% of 2.0 MiB/s)" in throughput
        table = screen.query_one("#consumer-table")
        names = [table.get_row_at(i)[0].plain for i in range(table.row_count)]
        assert names == ["ledger-projector", "fraud-scorer", "shared-throughput readers"]
        assert "loss in 3h 53m" in table.get_row_at(0)[3].plain
        assert table.get_row_at(0)[2].plain == "▲ WARN"


async def test_enter_on_a_kcl_consumer_opens_its_leases_literally():
    from kmon.ui.screens.kcl import KclScreen

    app = make(Recorder())
    async with app.run_test(size=(140, 45)) as pilot:
        await post(app, pilot, snapshot())
        app.open_stream("payments-ledger")
        await pilot.pause()
        await post(app, pilot, replace(snapshot(), detail=detail()))
        # j/k walk the panels, then the consumer table's rows.
        await pilot.press("j", "j", "j")
        consumers = app.screen.query_one("#consumer-table")
        assert app.screen.focused is consumers
        await pilot.press("j")
        assert consumers.cursor_row == 1
        await pilot.press("k")
        assert consumers.cursor_row == 0
        await pilot.press("enter")
        assert isinstance(app.screen, KclScreen)
        await post(app, pilot, replace(snapshot(), detail=detail()))
        table = app.screen.query_one("#leases")
        first, second = table.get_row_at(0), table.get_row_at(1)
        assert first[1].plain == "[bold]w2[/]"  # an owner is data, never markup
        assert second[1].plain == "UNOWNED" and second[3].plain == "■ STOP"
        assert second[4].plain == "4" and second[4].style == "bold red"  # thrashing
        balance = str(app.screen.query_one("#leases-note").render())
        assert "[bold]w2[/] 1" in balance and "unowned 1" in balance


async def test_shards_view_flags_the_hot_shard():
    app = make(Recorder())
    async with app.run_test(size=(140, 40)) as pilot:
        await post(app, pilot, snapshot())
        app.open_stream("payments-ledger")
        await pilot.pause()
        await post(app, pilot, replace(snapshot(), detail=detail()))
        await pilot.press("s")
        assert isinstance(app.screen, ShardsScreen)
        await post(app, pilot, replace(snapshot(), detail=detail()))
        table = app.screen.query_one("#shards")
        column = [key.value for key in table.columns].index("hot")
        hot = [table.get_row_at(i)[column].plain for i in range(table.row_count)]
        assert hot == ["▲ HOT", ""]
        await pilot.press("escape")
        assert isinstance(app.screen, StreamScreen)


async def test_colon_palette_jumps_to_a_stream():
    app = make(Recorder())
    async with app.run_test(size=(120, 40)) as pilot:
        await post(app, pilot, snapshot())
        await pilot.press("colon")
        await pilot.pause()
        for ch in "inventory":
            await pilot.press(ch)
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, StreamScreen)
        assert app.screen.stream_name == "inventory-updates"


async def test_wall_cycles_worst_first_and_banners_stale_data():
    clock = Clock()
    app = make(clock=clock, wall=True, cycle_sec=30)
    async with app.run_test(size=(120, 40)) as pilot:
        await post(app, pilot, snapshot())
        wall = app.screen
        assert isinstance(wall, WallScreen)
        assert wall.current == "payments-ledger"  # the critical one first
        wall.action_next_stream()
        assert wall.current == "inventory-updates"
        assert not wall.query_one("#banner").display
        clock.t = NOW + timedelta(minutes=5)
        failing = snapshot(at=clock.t, errors={"streams": "cannot reach x"})
        # The last good stream list is from before the outage.
        await post(app, pilot, replace(failing, sources=snapshot().sources + failing.sources[1:]))
        banner = str(wall.query_one("#banner").render())
        assert "DATA STALE" in banner and "cannot reach x" in banner
        assert wall.current == "inventory-updates"  # a new snapshot keeps the place
        await pilot.press("w")
        assert isinstance(app.screen, OverviewScreen)


async def test_deleted_stream_on_detail_screen_says_so():
    app = make(Recorder())
    async with app.run_test(size=(120, 40)) as pilot:
        await post(app, pilot, snapshot())
        app.open_stream("payments-ledger")
        await pilot.pause()
        await post(app, pilot, replace(snapshot(), detail=detail()))
        gone = tuple(s for s in snapshot().streams if s.name != "payments-ledger")
        await post(app, pilot, snapshot(streams=gone))
        assert "GONE" in str(app.screen.query_one("#summary").render())


async def test_wall_from_a_stream_stops_its_detail_cost_and_back_restores_it():
    focus = Recorder()
    app = make(focus)
    async with app.run_test(size=(120, 40)) as pilot:
        await post(app, pilot, snapshot())
        app.open_stream("payments-ledger")
        await pilot.pause()
        await pilot.press("w")
        assert isinstance(app.screen, WallScreen)
        assert app.screen.current == "payments-ledger"  # starts where you were
        assert focus.calls[-1] == (None, 3600)  # the wall runs for days: no detail metrics
        await pilot.press("w")
        assert isinstance(app.screen, StreamScreen)
        assert focus.calls[-1] == ("payments-ledger", 3600)
