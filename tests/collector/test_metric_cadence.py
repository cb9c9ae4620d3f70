"""Three clocks: whatever the refresh, a metric is asked at most once a minute, and under a
budget healthy off-screen streams are asked every max_staleness. Counted where the requests
arrive (the proxy in front of the emulator), as CloudWatch would bill them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kmon.collector.collector import Collector, CollectorOptions
from kmon.model.health import Health
from tests.faultproxy import FaultProxy
from tests.seed import MIB, NOW, REGION


class Clocks:
    def __init__(self) -> None:
        self.mono = 1000.0
        self.now = NOW

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.now += timedelta(seconds=seconds)

    def sleep(self, seconds: float) -> None:
        self.mono += seconds


def collector(url: str, clocks: Clocks, **kw) -> Collector:
    options = CollectorOptions(region=REGION, endpoint_url=url, **kw)
    return Collector(
        options, clock=lambda: clocks.now, monotonic=lambda: clocks.mono, sleep=clocks.sleep
    )


@pytest.fixture
def proxy(endpoint):
    with FaultProxy(endpoint) as p:
        yield p


def test_a_5s_refresh_asks_each_metric_once_a_minute(seeder, proxy):
    for i in range(20):
        seeder.stream(f"s{i:02d}")
        seeder.steady(f"s{i:02d}", "IncomingBytes", 60 * 0.1 * MIB)
    clocks = Clocks()  # 12:00:30
    c = collector(proxy.url, clocks, refresh=5.0, budget_usd_per_day=0)
    c.poll(complete=True)
    # The first poll: 20 streams x 7 overview metrics = 140 metrics, in one request.
    assert proxy.metrics["GetMetricData"] == 140
    for _ in range(36):  # three minutes at a 5 s refresh, to 12:03:30
        clocks.advance(5)
        c.poll()
    # Three new minutes (12:01, 12:02, 12:03) -> 3 x 140 more. Asking at every poll, as kmon
    # used to, would have been 36 x 140 = 5,040 more: 12x the floor.
    assert proxy.metrics["GetMetricData"] == 140 + 3 * 140
    assert c.poll().stream("s00").incoming_bytes_per_sec == pytest.approx(0.1 * MIB)


def test_under_a_budget_healthy_streams_wait_and_one_turning_crit_is_seen_in_time(seeder, proxy):
    for name in ("calm", "quiet"):
        seeder.stream(name)
        # 100 KiB/s written, for the hour before and after NOW.
        seeder.metric(name, "IncomingBytes", {ago: 60 * 0.1 * MIB for ago in range(-60, 11)})
    # From the minute after the first poll's newest one (12:00), "quiet" is throttled hard.
    throttled = {ago: 600 for ago in range(-60, 1)}
    seeder.metric("quiet", "WriteProvisionedThroughputExceeded", throttled)
    clocks = Clocks()
    c = collector(proxy.url, clocks, refresh=60.0, budget_usd_per_day=3.0, max_staleness_sec=300)
    snap = c.poll(complete=True)
    assert snap.stream("quiet").health is Health.OK
    assert proxy.metrics["GetMetricData"] == 2 * 7
    assert snap.api.governor is None  # a one-shot (complete) poll: no budget governs it
    seen_at = None
    for minute in range(1, 7):  # 12:01:30 ... 12:06:30
        clocks.advance(60)
        snap = c.poll()
        if seen_at is None and snap.stream("quiet").health is Health.CRIT:
            seen_at = minute
    # Both healthy: asked again only at 12:05:30, when 12:05 - 12:00 reaches 5 minutes; from
    # then "quiet" is CRIT and asked every minute (12:06:30), "calm" waits till 12:10.
    assert seen_at == 5
    assert proxy.metrics["GetMetricData"] == 2 * 7 + 2 * 7 + 7
    # The first throttled minute (12:00) was complete at 12:01:00; shown at 12:05:30: 4.5 min,
    # within max_staleness.
    governor = snap.api.governor
    assert governor is not None and governor.healthy_every_sec == 300
    calm = snap.stream("calm")
    assert calm.health is Health.OK
    assert calm.incoming_bytes_per_sec == pytest.approx(0.1 * MIB)  # judged as of 12:05
    assert calm.metrics_fetched_at == NOW + timedelta(minutes=5)
