"""On screen: an on-demand stream's estimated utilization and capacity, and the account's
quotas in the header, OK ones on the context line and one near its limit on the line below."""

from __future__ import annotations

from dataclasses import replace

from kmon.model.quotas import AccountLimits, account_quotas
from kmon.ui.app import KmonApp
from kmon.ui.messages import SnapshotReady
from kmon.ui.panels.summary import summary_fields
from kmon.ui.widgets.streams_table import StreamsTable
from tests.ui.fleet import MIB, NOW, snapshot, stream

NOW_TS = int(NOW.timestamp())
# A 3 MiB/s peak 10 days ago: capacity 6 MiB/s (estimated); 1.5 MiB/s now is 25% of it.
CLICKS = stream(
    "clicks",
    mode="ON_DEMAND",
    open_shards=4,
    incoming_bytes_per_sec=1.5 * MIB,
    write_bytes_utilization_pct=25.0,
    write_capacity_bytes_per_sec=6 * MIB,
    capacity_estimated=True,
    peak_write_bytes_per_sec=3 * MIB,
    peak_at=NOW_TS - 10 * 86400 - 5 * 3600,  # Nov 15 07:00 UTC
)
ORDERS = stream("orders", write_bytes_utilization_pct=62.0, write_capacity_bytes_per_sec=2 * MIB)


def app() -> KmonApp:
    return KmonApp(None, refresh_sec=60, context={"profile": "prod"}, clock=lambda: NOW)


def quotas(open_shards: int):
    return account_quotas(AccountLimits(500, open_shards, 3, 50))


async def show(pilot, snap) -> None:
    pilot.app.post_message(SnapshotReady(snap))
    await pilot.pause()


async def test_estimated_utilization_is_marked_and_measured_is_not():
    a = app()
    async with a.run_test(size=(160, 30)) as pilot:
        await show(pilot, snapshot(streams=[CLICKS, ORDERS]))
        table = a.screen.query_one(StreamsTable)
        assert table.cells("clicks")["write_util"].plain == "~25%"
        assert table.cells("orders")["write_util"].plain == "62%"


async def test_quotas_on_the_context_line_and_a_warning_on_the_line_below():
    a = app()
    async with a.run_test(size=(160, 30)) as pilot:
        await show(pilot, replace(snapshot(streams=[ORDERS]), quotas=quotas(120)))
        line1, line2 = a.screen.header.render_text().plain.splitlines()
        # 120 / 500 = 24%, 3 / 50 = 6%: both on the context line, the line below says nothing.
        assert line1.endswith("streams 1  shards 120 of 500  on-demand streams 3 of 50")
        assert "shards" not in line2
        # 412 / 500 = 82.4%: past 80%, it moves to the freshness line, where 80 columns keep it.
        await show(pilot, replace(snapshot(streams=[ORDERS]), quotas=quotas(412)))
        line1, line2 = a.screen.header.render_text().plain.splitlines()
        assert "shards" not in line1 and line1.endswith("on-demand streams 3 of 50")
        assert line2.endswith("12:00:30 UTC  ▲ shards 412 of 500 (82%) WARN")
        assert len(line2) < 78


def test_the_summary_shows_the_estimated_capacity_and_where_it_comes_from():
    texts = [f.plain for f in summary_fields("clicks", CLICKS, None, NOW_TS, 3600)]
    assert "capacity ≈ 6.0 MiB/s (2x 30-day peak 3.0 MiB/s at Nov 15 07:00) est." in texts
    assert not any(t.startswith("warm throughput") for t in texts)  # AWS reported none
    # A 1.5 MiB/s peak doubles to 3 MiB/s, under the 4 MiB/s the stream has at least.
    small = replace(
        CLICKS, peak_write_bytes_per_sec=1.5 * MIB, write_capacity_bytes_per_sec=4 * MIB
    )
    texts = [f.plain for f in summary_fields("clicks", small, None, NOW_TS, 3600)]
    assert "capacity ≈ 4.0 MiB/s (the minimum; 30-day peak 1.5 MiB/s at Nov 15 07:00) est." in (
        texts
    )
    warm = replace(CLICKS, warm_current_mibps=10, warm_target_mibps=20)
    texts = [f.plain for f in summary_fields("clicks", warm, None, NOW_TS, 3600)]
    assert "warm throughput 10 MiB/s (target 20 MiB/s)" in texts
    # A provisioned stream looks as it always did: no capacity or warm fields.
    texts = [f.plain for f in summary_fields("orders", ORDERS, None, NOW_TS, 3600)]
    assert not any(t.startswith(("capacity", "warm")) for t in texts)
