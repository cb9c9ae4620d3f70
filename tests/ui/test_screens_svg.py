"""SVG snapshots of the overview at wall-screen and laptop sizes, with a frozen clock."""

from __future__ import annotations

import pytest

from kmon.ui.app import KmonApp
from kmon.ui.messages import SnapshotReady
from tests.ui.fleet import NOW, snapshot


def frozen_app() -> KmonApp:
    return KmonApp(None, refresh_sec=60, context={"profile": "prod"}, clock=lambda: NOW)


async def _load(pilot) -> None:
    pilot.app.post_message(SnapshotReady(snapshot()))
    await pilot.pause()


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_overview_snapshot(snap_compare, size):
    assert snap_compare(frozen_app(), terminal_size=size, run_before=_load)


def test_overview_with_error_snapshot(snap_compare):
    async def load(pilot):
        pilot.app.post_message(
            SnapshotReady(
                snapshot(errors={"metrics": "access denied: kmon needs cloudwatch:GetMetricData"})
            )
        )
        await pilot.pause()

    assert snap_compare(frozen_app(), terminal_size=(120, 40), run_before=load)
