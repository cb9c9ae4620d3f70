"""The CloudWatch budget on screen: what it costs and does (footer), how old numbers are."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from kmon.model.cadence import Plan
from kmon.ui.app import KmonApp
from kmon.ui.messages import SnapshotReady
from kmon.ui.widgets.streams_table import StreamsTable
from kmon.ui.widgets.usage import UsageBar
from tests.ui.fleet import NOW, snapshot, stream


async def show(snap, size=(160, 40)):
    app = KmonApp(None, refresh_sec=60, context={"profile": "prod"}, clock=lambda: NOW)
    async with app.run_test(size=size) as pilot:
        app.post_message(SnapshotReady(snap))
        await pilot.pause()
        table = app.screen.query_one(StreamsTable)
        footer = str(app.screen.query_one(UsageBar).render())
        ages = {n: table.cells(n)["data_age"].plain for n in table.row_names()}
        await pilot.press("G")  # sort by data age: the oldest first
        await pilot.pause()
        return footer, ages, table.row_names()


async def test_footer_says_what_the_budget_does_and_old_numbers_say_their_age():
    streams = (
        stream("fresh", metrics_fetched_at=NOW - timedelta(seconds=20)),
        # 89 s is within a minute and a half: a stream read every minute shows nothing.
        stream("just-read", metrics_fetched_at=NOW - timedelta(seconds=89)),
        stream("healthy", metrics_fetched_at=NOW - timedelta(minutes=4, seconds=10)),
        stream("older", metrics_fetched_at=NOW - timedelta(minutes=12)),
    )
    snap = snapshot(streams)
    # 2,160 metrics/h x 24 / 1,000 x $0.01 = $0.52/day measured.
    snap = replace(snap, api=replace(snap.api, governor=Plan(3.0, 300.0, 2.016)))
    footer, ages, order = await show(snap)
    assert footer.startswith(
        "CloudWatch ≈ $0.52/day now of $3.00 · healthy streams every 5m (2.2k metrics/h"
    )
    assert ages == {"fresh": "", "just-read": "", "healthy": "4m old", "older": "12m old"}
    assert order[:2] == ["older", "healthy"]


async def test_over_budget_and_no_budget():
    snap = snapshot((stream("a", metrics_fetched_at=NOW),))
    over = replace(snap, api=replace(snap.api, governor=Plan(1.0, 3600.0, 3.36, True)))
    footer, _, _ = await show(over)
    assert "of $1.00 · over budget · healthy streams every 60m (" in footer
    unlimited = replace(snap, api=replace(snap.api, governor=Plan(0.0, None, 10.08)))
    footer, _, _ = await show(unlimited)
    assert footer.startswith("CloudWatch ≈ $0.52/day now (2.2k metrics/h")


async def test_before_anything_is_measured_the_footer_gives_the_plan():
    snap = snapshot((stream("a", metrics_fetched_at=NOW),))
    quiet = replace(snap.api, metrics_per_hour=0.0, governor=Plan(3.0, 300.0, 2.016))
    footer, _, _ = await show(replace(snap, api=quiet))
    assert footer.startswith("CloudWatch ≈ $2.02/day planned of $3.00 · healthy streams every 5m")
