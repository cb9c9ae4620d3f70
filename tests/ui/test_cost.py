"""What each stream costs, on screen: the overview's $/day column (the first a narrow
terminal leaves out, sortable with D), the fleet's total in the footer beside kmon's own
CloudWatch cost, and the detail's cost with its parts. Every figure says it is an estimate."""

from __future__ import annotations

from dataclasses import replace

from kmon.model.cost import Traffic, stream_cost
from kmon.ui.app import KmonApp
from kmon.ui.messages import SnapshotReady
from kmon.ui.widgets.streams_table import PAGED, StreamsTable
from kmon.ui.widgets.usage import UsageBar
from tests.ui.fleet import NOW, STREAMS, detail, snapshot

KIB = 1024
MIB = 1024 * KIB

# payments-ledger: 4 shards, 48 h, 2 EFO consumers, 500 records/s of 3 KiB. Shards
# 4 x 24 x $0.015 = $1.44, PUT 43.2 M units x $0.014 = $0.60, extended retention
# 4 x 24 x $0.02 = $1.92, EFO 2 x 4 x 24 x $0.015 = $2.88, EFO reads 2 x 1,536,000 B/s a day
# = 247.2 GiB x $0.013 = $3.21: $10.06 a day.
LEDGER = stream_cost(
    mode="PROVISIONED",
    open_shards=4,
    retention_hours=48,
    efo_consumers=2,
    traffic=Traffic(500, 500 * 3 * KIB),
)
# orders-events, not measured: its 4 shards alone, 4 x 24 x $0.015 = $1.44 at least.
ORDERS = stream_cost(
    mode="PROVISIONED", open_shards=4, retention_hours=24, efo_consumers=0, traffic=None
)
COSTS = {"payments-ledger": LEDGER, "orders-events": ORDERS}


def priced(streams=STREAMS):
    shape = {"payments-ledger": dict(open_shards=4, retention_hours=48, efo_consumers=2)}
    return tuple(replace(s, cost=COSTS.get(s.name), **shape.get(s.name, {})) for s in streams)


def make() -> KmonApp:
    return KmonApp(None, refresh_sec=60, context={}, clock=lambda: NOW)


async def test_cost_column_sorts_is_left_out_first_and_the_footer_adds_the_fleet():
    app = make()
    async with app.run_test(size=(240, 20)) as pilot:
        app.post_message(SnapshotReady(snapshot(priced())))
        await pilot.pause()
        table = app.screen.query_one(StreamsTable)
        assert table.hidden_columns == []
        header = table.render_line(0).text
        assert "$/day est." in header
        assert table.cells("payments-ledger")["cost"].plain == "$10.06"
        assert table.cells("orders-events")["cost"].plain == "≥$1.44"  # a floor
        await pilot.press("D")  # most expensive first, the unpriced last
        assert table.row_names()[:2] == ["payments-ledger", "orders-events"]
        footer = str(app.screen.query_one(UsageBar).render())
        # 10.06 + 1.44 = $11.50, right after kmon's own CloudWatch figure.
        assert "CloudWatch ≈ $" in footer and " · streams ≈ $11.50/day est." in footer
        assert footer.index("CloudWatch") < footer.index("streams ≈")
        await pilot.resize_terminal(120, 20)
        await pilot.pause()
        assert table.hidden_columns[-1].key == "cost" == PAGED[-1].key


async def test_detail_shows_the_cost_and_its_parts():
    app = make()
    async with app.run_test(size=(160, 40)) as pilot:
        snap = replace(snapshot(priced()), detail=detail())
        app.post_message(SnapshotReady(snap))
        await pilot.pause()
        app.open_stream("payments-ledger")
        await pilot.pause()
        app.post_message(SnapshotReady(snap))
        await pilot.pause()
        rows = app.screen.query_one("#summary").render().plain
        assert "cost ≈ $10.06/day est." in rows
        assert "(shards $1.44 · PUT $0.60 · retention $1.92 · EFO $2.88 · EFO reads $3.21)" in rows
