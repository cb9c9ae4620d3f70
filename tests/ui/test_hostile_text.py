"""Text from AWS carrying terminal control sequences is shown as visible escapes on every
screen, never sent to the terminal: a lease owner with an OSC title sequence, a consumer
with a colour sequence, a stream name with a right-to-left override."""

from __future__ import annotations

from dataclasses import replace

from rich.segment import Segment
from textual.color import Color

from kmon.model.lag import ConsumerLag, LagStatus, ShardLag
from kmon.model.text import visible
from kmon.ui.app import KmonApp
from kmon.ui.filters import VisibleControls
from kmon.ui.messages import SnapshotReady
from kmon.ui.screens.consumer import ConsumerScreen
from kmon.ui.screens.kcl import KclScreen
from tests.ui.fleet import NOW, detail, snapshot, stream

TITLE = "ip-10-0-1-1\x1b]0;pwned-title\x07"
COLOUR = "fraud\x1b[31mscorer"
RTL = "orders\u202eevil"


def test_visible_escapes_controls_and_direction_overrides_and_keeps_the_rest():
    assert visible("plain name-1 [bold]x[/]") == "plain name-1 [bold]x[/]"
    assert visible("a\x1b[31mb") == "a\\x1b[31mb"
    assert visible("a\x9bb\x7f") == "a\\x9bb\\x7f"  # C1 CSI and DEL
    assert visible(RTL) == "orders\\u202eevil"
    assert visible("tab\there") == "tab\\x09here"


def test_the_filter_keeps_the_line_width():
    segments = [Segment("ab\x1b[31m", None), Segment("cd", None)]
    out = VisibleControls().apply(segments, Color(0, 0, 0))
    # The line had 8 cells (ESC takes none: "ab" + "[31m" + "cd"); escaped, it is cut to 8.
    assert "".join(s.text for s in out) == "ab\\x1b[3"
    assert all("\x1b" not in s.text for s in out)


def hostile_snapshot():
    kcl = ConsumerLag(
        "kcl",
        "hostile-app",
        5_000,
        LagStatus.OK,
        table="hostile-app",
        shards=(ShardLag("shardId-000000000000", TITLE, "1", 5_000, LagStatus.OK),),
        workers={TITLE: 1},
    )
    efo = ConsumerLag("efo", COLOUR, 800, LagStatus.OK, details={"arn": "arn:x\x1b[2J"})
    streams = (stream(RTL, consumers=(kcl, efo)), stream("payments-ledger"))
    return replace(snapshot(streams=streams), detail=detail(RTL))


def assert_clean(app, *expected: str) -> None:
    svg = app.export_screenshot()
    assert "\x1b" not in svg and "\u202e" not in svg and "\x07" not in svg
    for text in expected:
        assert text in svg, (type(app.screen).__name__, text)


async def test_hostile_text_is_visible_and_inert_on_every_screen():
    app = KmonApp(None, refresh_sec=60, context={"profile": "prod"}, clock=lambda: NOW)
    snap = hostile_snapshot()
    async with app.run_test(size=(160, 45)) as pilot:
        app.post_message(SnapshotReady(snap))
        await pilot.pause()
        assert_clean(app, "orders\\u202eevil")
        await pilot.press("w")
        await pilot.pause()
        assert_clean(app, "orders\\u202eevil")
        await pilot.press("w")
        app.open_stream(RTL)
        await pilot.pause()
        app.post_message(SnapshotReady(snap))
        await pilot.pause()
        assert_clean(app, "fraud\\x1b[31mscorer")
        app.push_screen(KclScreen(RTL, "hostile-app"))
        await pilot.pause()
        app.post_message(SnapshotReady(snap))
        await pilot.pause()
        assert_clean(app, "ip-10-0-1-1\\x1b]0;pwned-title")
        await pilot.press("escape")
        app.push_screen(ConsumerScreen(RTL, "efo", COLOUR))
        await pilot.pause()
        app.post_message(SnapshotReady(snap))
        await pilot.pause()
        assert_clean(app, "arn:x\\x1b[2J")
