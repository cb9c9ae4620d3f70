"""The whole path: real collector, real moto over HTTP, the endpoint dies and comes back."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import boto3
from moto.server import ThreadedMotoServer

from kmon.collector.collector import Collector, CollectorOptions
from kmon.ui.app import KmonApp
from tests.seed import MIB, REGION, Seeder
from tests.ui.fleet import NOW


class Clock:
    def __init__(self):
        self.t = NOW

    def __call__(self):
        return self.t


async def wait_poll(app, pilot, timeout=15.0):
    await pilot.pause(0.05)
    for _ in range(int(timeout / 0.05)):
        if not app.polling:
            break
        await asyncio.sleep(0.05)
    await pilot.pause()


async def test_outage_shows_within_two_refreshes_and_recovers(endpoint):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    kw = dict(endpoint_url=url, region_name=REGION)
    seeder = Seeder(boto3.client("kinesis", **kw), boto3.client("cloudwatch", **kw))
    seeder.stream("live-orders", shards=1)
    seeder.steady("live-orders", "IncomingBytes", 30 * MIB, minutes=5)

    clock = Clock()
    collector = Collector(CollectorOptions(region=REGION, endpoint_url=url, refresh=5), clock=clock)
    app = KmonApp(collector.poll, refresh_sec=5, context={"endpoint": url}, clock=clock)
    try:
        async with app.run_test(size=(140, 30)) as pilot:
            await wait_poll(app, pilot)
            assert [s.name for s in app.snapshot.streams] == ["live-orders"]
            assert app.snapshot.streams[0].incoming_bytes_per_sec == 0.5 * MIB

            server.stop()
            clock.t = NOW + timedelta(seconds=11)
            await pilot.press("r")
            await wait_poll(app, pilot)
            header = app.screen.header.render_text().plain
            assert "ERROR" in header and f"cannot reach {url}" in header
            assert "STALE" in header  # data is older than two refreshes
            assert app.snapshot.streams[0].name == "live-orders"  # last good numbers stay

            server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            server.start()
            clock.t = NOW + timedelta(seconds=20)
            await pilot.press("r")
            await wait_poll(app, pilot)
            header = app.screen.header.render_text().plain
            assert "ERROR" not in header and "STALE" not in header
            assert "updated 0s ago" in header
    finally:
        server.stop()
