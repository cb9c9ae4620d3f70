"""Two contexts on the dashboard: rows keyed by context, the header per context, the
replica column, `g` to go through the contexts, and a stream opened by its key."""

from __future__ import annotations

from dataclasses import replace

from kmon.model.fleet import Part, merge
from kmon.model.health import Health
from kmon.model.identity import Context
from kmon.model.lag import ConsumerLag, LagStatus
from kmon.model.snapshot import SourceStatus
from kmon.ui.screens.stream import StreamScreen
from kmon.ui.screens.wall import fleet_counts
from tests.ui.fleet import MIB, snapshot, stream
from tests.ui.test_overview import make_app, names, ready

US, EU = Context("us-east-1", "us-east-1"), Context("eu-west-1", "eu-west-1")
COPIER = ConsumerLag("lambda", "orders-replicate-eu-west-1", 4_000, LagStatus.OK)


def two_regions(eu_error: str | None = None):
    us = snapshot(
        [
            stream("orders", incoming_bytes_per_sec=3 * MIB, consumers=(COPIER,)),
            stream("payments", health=Health.WARN),
        ]
    )
    eu = snapshot([stream("orders", incoming_bytes_per_sec=0.5 * MIB, open_shards=1)])
    eu = replace(eu, region="eu-west-1")
    if eu_error:
        eu = replace(eu, sources=eu.sources + (SourceStatus("metrics", None, eu_error),))
    return merge([Part(US, us), Part(EU, eu)])


async def test_same_name_twice_is_two_rows_and_g_goes_through_the_contexts():
    app = make_app()
    async with app.run_test(size=(160, 30)) as pilot:
        await ready(app, pilot, two_regions())
        assert sorted(names(app)) == ["eu-west-1/orders", "us-east-1/orders", "us-east-1/payments"]
        table = app.screen.table
        us_cells = table.cells("us-east-1/orders")
        assert us_cells["in_bytes"].plain == "3.0 MiB/s"
        assert us_cells["replica"].plain == "→ eu-west-1 4s"
        assert table.cells("eu-west-1/orders")["in_bytes"].plain == "512 KiB/s"
        assert table.cells("eu-west-1/orders")["replica"].plain == "← us-east-1 4s"
        header = app.screen.header.render_text().plain
        assert "us-east-1 ok 2 streams" in header and "eu-west-1 ok 1 stream" in header

        await pilot.press("g")
        assert sorted(names(app)) == ["us-east-1/orders", "us-east-1/payments"]
        status = table.render_line(table.size.height - 1).text
        assert "2 of 3 streams in us-east-1" in status
        await pilot.press("g")
        assert names(app) == ["eu-west-1/orders"]
        await pilot.press("g")
        assert len(names(app)) == 3

        await pilot.press("slash", *"eu-west-1/ord", "enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, StreamScreen)
        assert app.screen.stream_name == "eu-west-1/orders"


async def test_a_failing_context_is_named_in_the_header_and_on_the_wall():
    app = make_app()
    snap = two_regions(eu_error="access denied: kmon needs cloudwatch:GetMetricData")
    async with app.run_test(size=(160, 30)) as pilot:
        await ready(app, pilot, snap)
        header = app.screen.header.render_text().plain
        assert "eu-west-1 ERR 1 stream" in header and "us-east-1 ok 2 streams" in header
        assert "eu-west-1 · metrics: access denied" in header
    counts = fleet_counts(snap.streams, snap.contexts).plain
    assert counts.startswith("us-east-1 ▲ 1 WARN ✓ 1 OK")
    assert "│ eu-west-1 ERR ✓ 1 OK" in counts


def test_a_long_key_cuts_its_label_before_its_name():
    from kmon.ui.widgets.streams_table import key_cut

    assert key_cut("us-east-1", "payments-ledger", 40) == "us-east-1/payments-ledger"
    assert key_cut("us-east-1", "payments-ledger", 20) == "us-…/payments-ledger"
    assert key_cut("us-east-1", "payments-ledger", 18) == "u…/payments-ledger"
    assert key_cut("us-east-1", "payments-ledger", 12) == "paymen…edger"
