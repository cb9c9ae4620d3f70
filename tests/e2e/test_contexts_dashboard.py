"""Two regions on the real dashboard: eu-west-1 behind the fault proxy, us-east-1 straight
to moto. A denied region keeps its last numbers, dimmed, with its error named after it; the
other refreshes on time; the denial ending is seen at the next refresh."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest
from moto.kinesis.models import kinesis_backends

from kmon.collector.collector import Collector, CollectorOptions
from kmon.collector.fleet import FleetCollector
from kmon.demo import moto_patches
from kmon.model.identity import Context
from kmon.ui.app import KmonApp
from tests.collector.test_faults import Clocks
from tests.collector.test_fleet import EU, seeder_in
from tests.e2e.harness import REFRESH, SIZE, Dashboard
from tests.faultproxy import FaultProxy
from tests.seed import ACCOUNT, MIB, REGION


@asynccontextmanager
async def two_region_dashboard(us_url: str, eu_url: str, clocks: Clocks):
    members = [
        (
            Context(region, region),
            Collector(
                CollectorOptions(
                    region=region,
                    endpoint_url=url,
                    refresh=REFRESH,
                    budget_usd_per_day=0.0,
                ),
                clock=clocks.wall,
                monotonic=clocks.monotonic,
                sleep=clocks.sleep,
            ),
        )
        for region, url in ((REGION, us_url), (EU, eu_url))
    ]
    fleet = FleetCollector(members, refresh_sec=REFRESH, clock=clocks.wall)
    app = KmonApp(
        fleet.poll,
        focus=fleet.set_focus,
        retry=fleet.retry_now,
        refresh_sec=REFRESH,
        clock=clocks.wall,
    )
    async with app.run_test(size=SIZE) as pilot:
        d = Dashboard(app, pilot, clocks, fleet)
        await d.idle()
        for timer in list(app._timers):
            timer.pause()
        yield d


def line(d: Dashboard, key: str) -> str:
    rows = [row for row in d.text().splitlines() if row[1:].startswith(f"{key} ")]
    assert len(rows) == 1, d.text()
    return rows[0]


@pytest.fixture
def regions(endpoint, seeder):
    moto_patches.account_settings(kinesis_backends[ACCOUNT][EU])
    seeder.stream("orders", shards=2)
    seeder.steady("orders", "IncomingBytes", 60 * 1.0 * MIB)  # 1 MiB/s: 50% of 2 MiB/s
    eu = seeder_in(endpoint, EU)
    eu.stream("orders", shards=1)
    eu.steady("orders", "IncomingBytes", 60 * 0.25 * MIB)  # 0.25 MiB/s: 25% of 1 MiB/s
    return endpoint


async def test_a_denied_region_keeps_its_numbers_and_the_other_refreshes(regions):
    clocks = Clocks()
    with FaultProxy(regions) as proxy:
        async with two_region_dashboard(regions, proxy.url, clocks) as d:
            assert "50%" in line(d, "us-east-1/orders")
            assert "25%" in line(d, "eu-west-1/orders")
            assert "us-east-1 ok 1 stream" in d.header()

            proxy.set("*", "deny")
            await d.tick()
            header = d.header()
            assert "eu-west-1 ERR 1 stream" in header and "us-east-1 ok 1 stream" in header
            assert "ERROR" in header and "eu-west-1 · " in header and "access denied" in header
            assert "STALE" not in header and "updated 0s ago" in header  # us-east-1 answers
            eu = d.snapshot.stream("eu-west-1/orders")
            assert eu.write_bytes_utilization_pct == 25.0  # its last numbers, kept
            assert "25%" in line(d, "eu-west-1/orders")
            us = d.snapshot.stream("us-east-1/orders")
            assert not us.stale and us.write_bytes_utilization_pct == 50.0

            proxy.clear()
            took = await d.recover(lambda: "eu-west-1 ok" in d.header())
    assert took == REFRESH  # the first refresh after the denial ended
