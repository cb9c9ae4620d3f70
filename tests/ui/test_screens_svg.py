"""SVG snapshots of every screen at wall-screen and laptop sizes, with a frozen clock."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kmon.ui.app import KmonApp
from kmon.ui.messages import SnapshotReady
from tests.ui.fleet import NOW, detail, snapshot

SIZES = [(120, 40), (80, 24)]


def frozen_app(**kw) -> KmonApp:
    return KmonApp(None, refresh_sec=60, context={"profile": "prod"}, clock=lambda: NOW, **kw)


def loaded(*keys: str, error: str | None = None, with_detail: bool = False):
    async def run_before(pilot) -> None:
        snap = snapshot(errors={"metrics": error} if error else None)
        if with_detail:
            snap = replace(snap, detail=detail())
        pilot.app.post_message(SnapshotReady(snap))
        await pilot.pause()
        for key in keys:
            if key == "open":
                pilot.app.open_stream("payments-ledger")
                await pilot.pause()
                pilot.app.post_message(SnapshotReady(snap))
            else:
                await pilot.press(key)
            await pilot.pause()
        # Charts draw at their settled size: let layout and any animation finish first.
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.2)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_overview(snap_compare, size):
    assert snap_compare(frozen_app(), terminal_size=size, run_before=loaded())


def test_overview_with_error(snap_compare):
    run = loaded(error="access denied: kmon needs cloudwatch:GetMetricData")
    assert snap_compare(frozen_app(), terminal_size=(120, 40), run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_stream_detail(snap_compare, size):
    run = loaded("open", with_detail=True)
    assert snap_compare(frozen_app(), terminal_size=size, run_before=run)


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


@pytest.mark.parametrize("size", SIZES)
def test_wall(snap_compare, size):
    assert snap_compare(frozen_app(wall=True), terminal_size=size, run_before=loaded())
