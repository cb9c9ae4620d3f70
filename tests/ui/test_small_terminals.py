"""A 40x12 terminal and resizing while running: every screen stays up and says something."""

from __future__ import annotations

from dataclasses import replace

from kmon.ui.app import KmonApp
from kmon.ui.messages import SnapshotReady
from tests.ui.fleet import NOW, detail, snapshot

SIZES = [(40, 12), (160, 45), (80, 24), (40, 12), (120, 40)]


def screen_text(app) -> str:
    return app.export_screenshot()


async def visit(app, pilot, snap) -> None:
    """Every size in turn, re-posting the snapshot; the screen must keep readable text."""
    for width, height in SIZES:
        await pilot.resize_terminal(width, height)
        app.post_message(SnapshotReady(snap))
        await pilot.pause()
        assert app.is_running
        svg = screen_text(app)
        # Something readable: the header's kmon (or the wall's fleet line) is on screen.
        assert "kmon" in svg or "fleet" in svg, (width, height, type(app.screen).__name__)


async def test_every_screen_survives_40x12_and_resizing():
    app = KmonApp(None, refresh_sec=60, context={"profile": "prod"}, clock=lambda: NOW)
    snap = replace(snapshot(), detail=detail())
    async with app.run_test(size=(40, 12)) as pilot:
        app.post_message(SnapshotReady(snap))
        await pilot.pause()
        await visit(app, pilot, snap)  # overview
        for key in ("w", "x", "e", "question_mark"):
            await pilot.press(key)
            await pilot.pause()
            await visit(app, pilot, snap)
            await pilot.press("escape" if key != "w" else "w")
            await pilot.pause()
        app.open_stream("payments-ledger")
        await pilot.pause()
        await visit(app, pilot, snap)  # the stream's detail
        for key in ("s", "f"):
            await pilot.press(key)
            await pilot.pause()
            await visit(app, pilot, snap)
            await pilot.press("escape")
            await pilot.pause()
        assert app.is_running


async def test_monochrome_terminal_renders_every_screen(monkeypatch):
    """NO_COLOR: Textual filters every segment to monochrome, which needs a style on each."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = KmonApp(None, refresh_sec=60, context={"profile": "prod"}, clock=lambda: NOW)
    snap = replace(snapshot(), detail=detail())
    async with app.run_test(size=(120, 30)) as pilot:
        app.post_message(SnapshotReady(snap))
        await pilot.pause()
        assert "payments-ledger" in screen_text(app)
        for key in ("w", "w", "x", "escape", "e", "escape"):
            await pilot.press(key)
            await pilot.pause()
            assert "kmon" in screen_text(app)
        app.open_stream("payments-ledger")
        await pilot.pause()
        app.post_message(SnapshotReady(snap))
        await pilot.pause()
        assert "CRIT" in screen_text(app)
