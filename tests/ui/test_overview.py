"""Drive the dashboard with Pilot: filter, sort, help, pause, quit, stale and error markers."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import timedelta

from rich.console import Console

from kmon.model.health import Health
from kmon.ui.app import KmonApp
from kmon.ui.messages import SnapshotReady
from kmon.ui.screens.help import HelpScreen
from kmon.ui.widgets.streams_table import StreamsTable
from tests.ui.fleet import NOW, STREAMS, snapshot


class Clock:
    def __init__(self, t=NOW):
        self.t = t

    def __call__(self):
        return self.t


def make_app(clock=None) -> KmonApp:
    return KmonApp(None, refresh_sec=60, context={"profile": "prod"}, clock=clock or Clock())


def names(app: KmonApp) -> list[str]:
    return app.screen.query_one(StreamsTable).row_names()


async def ready(app, pilot, snap=None):
    app.post_message(SnapshotReady(snap or snapshot()))
    await pilot.pause()


async def test_table_fills_worst_first_and_names_are_literal():
    app = make_app()
    async with app.run_test(size=(140, 30)) as pilot:
        await ready(app, pilot)
        rows = names(app)
        assert rows[:2] == ["payments-ledger", "inventory-updates"]
        assert "[bold]odd[/]name" in rows  # shown literally, not as markup
        assert len(rows) == len(STREAMS)


async def test_filter_narrows_as_you_type_enter_returns_escape_clears():
    app = make_app()
    async with app.run_test(size=(140, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("slash", "o", "r", "d")
        assert names(app) == ["orders-events"]
        await pilot.press("enter")
        assert isinstance(app.focused, StreamsTable)
        assert names(app) == ["orders-events"]
        await pilot.press("escape")
        assert len(names(app)) == len(STREAMS)
        await pilot.press("slash", "z", "z", "z")
        assert names(app) == []
        assert "no stream matches 'zzz'" in str(app.screen.query_one("#no-match").render())
        await pilot.press("escape")
        assert not app.screen.query_one("#no-match").display


async def test_sort_key_per_column_and_again_reverses():
    app = make_app()
    async with app.run_test(size=(140, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("A")  # iterator age, largest first
        assert names(app)[:3] == ["inventory-updates", "payments-ledger", "orders-events"]
        await pilot.press("A")
        assert names(app)[:3] == ["orders-events", "payments-ledger", "inventory-updates"]
        await pilot.press("N")
        assert names(app)[0] == "[bold]odd[/]name"


async def test_cursor_stays_on_its_stream_across_refreshes():
    app = make_app()
    async with app.run_test(size=(140, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("j", "j", "j")
        table = app.screen.query_one(StreamsTable)
        chosen = table.selected_stream
        # The chosen stream turns critical and moves to the top; the cursor follows it.
        changed = tuple(
            replace(s, health=Health.CRIT, iterator_age_ms=1) if s.name == chosen else s
            for s in STREAMS
        )
        await ready(app, pilot, snapshot(changed))
        assert table.selected_stream == chosen


async def test_help_lists_every_key_grouped():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(app.screen.help_table())
        text = console.export_text()
        for needle in (
            "Navigation",
            "View",
            "General",
            "Filter",
            "Sort by iterator age",
            "Quit",
            "Pause",
        ):
            assert needle in text, needle
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_pause_marks_header_and_quit_exits_zero():
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("p")
        assert "PAUSED" in app.screen.header.render_text().plain
        await pilot.press("q")
    assert app.return_code == 0


async def test_stale_and_error_markers_keep_last_numbers():
    clock = Clock()
    app = make_app(clock)
    async with app.run_test(size=(140, 30)) as pilot:
        await ready(app, pilot)
        assert "STALE" not in app.screen.header.render_text().plain
        clock.t = NOW + timedelta(seconds=125)
        failing = snapshot(
            at=clock.t, errors={"metrics": "cannot reach http://127.0.0.1:9/: check the network"}
        )
        # The last good stream list is from before the outage.
        failing = replace(failing, sources=snapshot().sources + failing.sources[1:])
        await ready(app, pilot, failing)
        header = app.screen.header.render_text().plain
        assert "STALE" in header and "ERROR" in header and "cannot reach" in header
        assert "payments-ledger" in names(app)


def test_every_remappable_key_id_exists():
    from kmon.config import KEY_IDS
    from kmon.ui.screens.overview import OverviewScreen
    from kmon.ui.screens.stream import StreamScreen
    from kmon.ui.screens.wall import WallScreen

    ids = {
        b.id
        for cls in (KmonApp, OverviewScreen, StreamScreen, WallScreen)
        for b in cls.BINDINGS
        if getattr(b, "id", None)
    }
    assert set(KEY_IDS) <= ids


async def test_config_keymap_remaps_a_binding():
    app = KmonApp(None, refresh_sec=60, clock=Clock(), keymap={"pause": "z"})
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("p")
        assert not app.paused
        await pilot.press("z")
        assert app.paused
