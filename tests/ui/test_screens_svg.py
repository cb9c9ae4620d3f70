"""SVG snapshots of every screen with a frozen clock: the overview, a stream's detail and the
wall from the demo world at laptop to wall-screen sizes, the drill-downs from a model fleet."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import pytest

from kmon.model.snapshot import ApiUsage
from kmon.ui.app import KmonApp
from kmon.ui.messages import SnapshotReady
from kmon.ui.screens.wall import Countdown
from scripts.screenshots import FROZEN, THROTTLED, demo_snapshots
from tests.ui.fleet import NOW, detail, snapshot

SIZES = [(120, 40), (80, 24)]
ALL_SIZES = pytest.mark.parametrize(
    "size", [(80, 24), (120, 40), (160, 45)], ids=["80x24", "120x40", "160x45"]
)
# What kmon's own calls cost depends on how long the world took to build: fixed here.
API = ApiUsage(calls=42, metrics_requested=1200, calls_per_min=8.0, metrics_per_hour=4800)


@cache
def _demo():
    overview, detailed = demo_snapshots()
    return replace(overview, api=API), replace(detailed, api=API)


@pytest.fixture
def demo(endpoint):
    """The demo world's snapshots, built once, on a freshly reset emulator: moto's backends
    are shared by every server in the process, so another test's streams would join in."""
    return _demo


def frozen_app(clock=NOW, **kw) -> KmonApp:
    return KmonApp(None, refresh_sec=60, context={"profile": "prod"}, clock=lambda: clock, **kw)


def demo_app(**kw) -> KmonApp:
    return KmonApp(
        None, refresh_sec=60, context={"region": "us-east-1"}, clock=lambda: FROZEN, **kw
    )


def loaded(*keys: str, error: str | None = None, with_detail: bool = False, snaps=None, wall=False):
    async def run_before(pilot) -> None:
        if snaps is not None:
            first, detailed = snaps()
            stream = THROTTLED
        else:
            first = snapshot(errors={"metrics": error} if error else None)
            detailed = replace(first, detail=detail()) if with_detail else first
            stream = "payments-ledger"
        pilot.app.post_message(SnapshotReady(first))
        await pilot.pause()
        for key in keys:
            if key == "open":
                pilot.app.open_stream(stream)
                await pilot.pause()
                pilot.app.post_message(SnapshotReady(detailed))
            else:
                await pilot.press(key)
            await pilot.pause()
        # Charts draw at their settled size: let layout and any animation finish first.
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.2)
        if wall:  # the countdown stops where it began, however slow the machine
            screen = pilot.app.screen
            start = screen._deadline - screen.cycle_sec
            screen.monotonic = lambda: start
            screen.query_one(Countdown).tick(screen.remaining())
            await pilot.pause()

    return run_before


@ALL_SIZES
def test_demo_overview(snap_compare, size, demo):
    assert snap_compare(demo_app(), terminal_size=size, run_before=loaded(snaps=demo))


@ALL_SIZES
def test_demo_detail(snap_compare, size, demo):
    run = loaded("open", snaps=demo)
    assert snap_compare(demo_app(), terminal_size=size, run_before=run)


@ALL_SIZES
def test_demo_wall(snap_compare, size, demo):
    run = loaded(snaps=demo, wall=True)
    assert snap_compare(demo_app(wall=True), terminal_size=size, run_before=run)


def test_overview_with_error(snap_compare):
    run = loaded(error="access denied: kmon needs cloudwatch:GetMetricData")
    assert snap_compare(frozen_app(), terminal_size=(120, 40), run_before=run)


def test_errors_view(snap_compare):
    run = loaded("x", error="access denied: kmon needs cloudwatch:GetMetricData")
    assert snap_compare(frozen_app(), terminal_size=(120, 40), run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_shards_view(snap_compare, size):
    run = loaded("open", "s", with_detail=True)
    assert snap_compare(frozen_app(), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_kcl_leases(snap_compare, size):
    # j walks the panels to the consumer table; Enter on the KCL application opens its leases.
    run = loaded("open", "j", "j", "j", "enter", with_detail=True)
    assert snap_compare(frozen_app(), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, size):
    assert snap_compare(frozen_app(), terminal_size=size, run_before=loaded("question_mark"))
