"""On-demand capacity from the 30-day peak, and the account's quotas, through the real collector
over HTTP against moto: known datapoints in, known capacity and utilization out."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from kmon.collector.budget import Accounting
from kmon.collector.clients import build_clients
from kmon.collector.peaks import PEAK_TTL_SEC, PeakWatch
from kmon.demo import moto_patches
from kmon.demo.emulator import backends
from tests.collector.test_collector import FakeMonotonic, by_name, make
from tests.faultproxy import FaultProxy
from tests.seed import ACCOUNT, MIB, NOW, REGION

DAY_MIN = 24 * 60


def five_minutes(days_ago: int, mib_per_sec: float) -> dict[int, float]:
    """One 5-minute period of per-minute Sums, ``days_ago`` days back: the minutes 11:55-11:59
    (NOW is 12:00:30), all inside the period that starts at 11:55."""
    return {days_ago * DAY_MIN + i: 60 * mib_per_sec * MIB for i in range(1, 6)}


@pytest.fixture
def on_demand(seeder):
    # busy: a 3 MiB/s peak 10 days ago -> capacity max(4, 2 x 3) = 6 MiB/s; 1.5 MiB/s now = 25%.
    seeder.stream("busy", on_demand=True)
    seeder.metric("busy", "IncomingBytes", five_minutes(10, 3.0))
    seeder.steady("busy", "IncomingBytes", 60 * 1.5 * MIB)
    # small: a 1.5 MiB/s peak 20 days ago -> 2 x 1.5 = 3 MiB/s, under the 4 MiB/s floor;
    # 1 MiB/s now = 25% of 4 MiB/s.
    seeder.stream("small", on_demand=True)
    seeder.metric("small", "IncomingBytes", five_minutes(20, 1.5))
    seeder.steady("small", "IncomingBytes", 60 * 1.0 * MIB)
    seeder.stream("fixed", shards=2)
    return seeder


def test_on_demand_capacity_and_utilization_from_the_30_day_peak(endpoint, on_demand):
    s = by_name(make(endpoint).poll(complete=True))
    busy = s["busy"]
    assert busy["peak_write_bytes_per_sec"] == pytest.approx(3 * MIB)
    assert busy["peak_at"] == "2026-11-15T11:55:00Z"  # 10 days before 2026-11-25
    assert busy["write_capacity_bytes_per_sec"] == pytest.approx(6 * MIB)
    assert busy["write_bytes_utilization_pct"] == pytest.approx(25.0)
    assert busy["capacity_estimated"] is True and busy["health"] == "ok"

    small = s["small"]
    assert small["peak_write_bytes_per_sec"] == pytest.approx(1.5 * MIB)
    assert small["write_capacity_bytes_per_sec"] == pytest.approx(4 * MIB)
    assert small["write_bytes_utilization_pct"] == pytest.approx(25.0)

    fixed = s["fixed"]  # provisioned: 2 shards x 1 MiB/s, measured, not estimated
    assert fixed["write_capacity_bytes_per_sec"] == 2 * MIB
    assert fixed["capacity_estimated"] is False and fixed["peak_write_bytes_per_sec"] is None


def test_the_peak_is_read_once_then_only_after_hours(endpoint, on_demand):
    now, mono = [NOW], FakeMonotonic()
    c = make(endpoint, clock=lambda: now[0], monotonic=mono)
    c.poll(complete=True)
    assert c.peaks.peak("busy") is not None
    sent = []  # every GetMetricData request from here on: its queries' periods and its window
    c._clients.cloudwatch.meta.events.register(
        "provide-client-params.cloudwatch.GetMetricData",
        lambda params, **kw: sent.append(params),
    )
    metrics_before = c.accounting.metrics

    def peak_queries() -> list[dict]:
        return [q for p in sent for q in p["MetricDataQueries"] if q["MetricStat"]["Period"] == 300]

    for minutes in range(1, 4):  # the next polls, a minute apart
        now[0], mono.t = NOW + timedelta(minutes=minutes), mono.t + 60
        c.poll()
    assert peak_queries() == []
    # Every metric requested is counted, whoever asked for it.
    assert c.accounting.metrics - metrics_before == sum(len(p["MetricDataQueries"]) for p in sent)

    # Past the TTL (3 h, give or take 10%) both streams' peaks are read again, in one call.
    sent.clear()
    later = PEAK_TTL_SEC * 1.2
    now[0], mono.t = now[0] + timedelta(seconds=later), mono.t + later
    snap = c.poll()
    assert sorted(q["MetricStat"]["Metric"]["Dimensions"][0]["Value"] for q in peak_queries()) == [
        "busy",
        "small",
    ]
    (call,) = [p for p in sent if p["MetricDataQueries"][0]["MetricStat"]["Period"] == 300]
    start, end = call["StartTime"], call["EndTime"]
    assert end.timestamp() % 300 == 0 and end - start == timedelta(days=30)
    assert by_name(snap)["busy"]["write_capacity_bytes_per_sec"] == pytest.approx(6 * MIB)


def test_peaks_go_eleven_streams_a_call(endpoint):
    # 30 days of 5-minute periods = 8,640 datapoints a query; 11 x 8,640 = 95,040 fit in the
    # 100,800 a call allows, 12 x 8,640 = 103,680 would not. 23 streams: 11 + 11 + 1.
    acc = Accounting()
    clients = build_clients(acc, region=REGION, endpoint_url=endpoint)
    sizes = []
    clients.cloudwatch.meta.events.register(
        "provide-client-params.cloudwatch.GetMetricData",
        lambda params, **kw: sizes.append(len(params["MetricDataQueries"])),
    )
    peaks = PeakWatch(FakeMonotonic())
    names = [f"s{i:02d}" for i in range(23)]
    assert peaks.fetch(clients.cloudwatch, names, int(NOW.timestamp()), lambda api: None) == 3
    assert sizes == [11, 11, 1] and acc.metrics == 23
    # Nothing written in 30 days: a peak of 0, so the 4 MiB/s starting capacity.
    assert peaks.peak("s00").bytes_per_sec == 0.0 and peaks.peak("s00").at is None
    # A stream no longer on-demand (or gone) is forgotten.
    peaks.fetch(clients.cloudwatch, names[1:], int(NOW.timestamp()), lambda api: None)
    assert peaks.peak("s00") is None and sizes == [11, 11, 1]


def quotas_of(snapshot) -> dict:
    return json.loads(snapshot.to_json())["quotas"]


def test_without_account_settings_20_consumers_are_assumed_and_said_once(endpoint, on_demand):
    # moto itself does not implement DescribeAccountSettings (HTTP 500): like no permission,
    # 20 is assumed.
    moto_patches.account_settings(backends(ACCOUNT, REGION)["kinesis"], None)
    now, mono = [NOW], FakeMonotonic()
    c = make(endpoint, clock=lambda: now[0], monotonic=mono)
    snap = c.poll(complete=True)
    q = quotas_of(snap)
    assert q["efo_consumer_limit"] == 20 and q["efo_limit_assumed"] is True
    assert q["on_demand_advantage"] is None
    notes = [e for e in snap.errors if "EFO consumer limit taken as 20" in e.message]
    assert len(notes) == 1 and notes[0].note  # a note, not an error
    assert all(s["efo_consumer_limit"] == 20 for s in by_name(snap).values())
    now[0], mono.t = NOW + timedelta(minutes=1), mono.t + 60
    snap = c.poll()
    assert c.accounting.by_api["DescribeAccountSettings"] == 1  # not asked again every poll
    assert len([e for e in snap.errors if e.source == notes[0].source]) == 1


def test_no_permission_for_account_settings_names_the_permission(endpoint, on_demand):
    with FaultProxy(endpoint) as proxy:
        proxy.set("kinesis", "deny", "DescribeAccountSettings")
        snap = make(proxy.url).poll(complete=True)
    (note,) = [e for e in snap.errors if e.note]
    assert "taken as 20" in note.message and "kinesis:DescribeAccountSettings" in note.message
    assert [e for e in snap.errors if not e.note] == []


def test_on_demand_advantage_allows_50_consumers_a_stream(endpoint, on_demand):
    moto_patches.account_settings(backends(ACCOUNT, REGION)["kinesis"], "ENABLED")
    snap = make(endpoint).poll(complete=True)
    q = quotas_of(snap)
    assert q["on_demand_advantage"] is True and q["efo_consumer_limit"] == 50
    assert q["efo_limit_assumed"] is False
    assert snap.errors == ()
    assert all(s["efo_consumer_limit"] == 50 for s in by_name(snap).values())
