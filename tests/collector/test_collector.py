"""The collector against moto over HTTP: known datapoints in, known numbers out."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from botocore.stub import Stubber

from kmon.collector.collector import Collector, CollectorOptions
from tests.seed import MIB, NOW, REGION


class FakeMonotonic:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def make(endpoint, clock=lambda: NOW, **kw) -> Collector:
    mono = kw.pop("monotonic", FakeMonotonic())
    opts = CollectorOptions(region=REGION, endpoint_url=endpoint, **kw)
    return Collector(opts, clock=clock, monotonic=mono, sleep=mono.sleep)


@pytest.fixture
def fleet(seeder):
    """Provisioned busy, on-demand, throttled, lagging and idle streams with known answers."""
    seeder.stream("busy", shards=2)
    seeder.steady("busy", "IncomingBytes", 60 * 1.8 * MIB)  # 1.8 MiB/s of 2 MiB/s: 90%
    seeder.steady("busy", "IncomingRecords", 60 * 500)  # 500/s of 2,000/s
    seeder.steady("busy", "GetRecords.Bytes", 60 * 1 * MIB)  # 1 MiB/s of 4 MiB/s
    seeder.steady("busy", "GetRecords.IteratorAgeMilliseconds", 60 * 200, maximum=1_500)
    seeder.stream("ondemand", on_demand=True)
    seeder.steady("ondemand", "IncomingBytes", 60 * 6 * MIB)
    seeder.stream("hot", shards=1)
    seeder.steady("hot", "IncomingBytes", 60 * 1.0 * MIB)
    seeder.steady("hot", "WriteProvisionedThroughputExceeded", 42)
    seeder.stream("lagging", shards=1)
    seeder.steady("lagging", "GetRecords.IteratorAgeMilliseconds", 1, maximum=13 * 3600 * 1000)
    seeder.stream("idle", shards=1)
    return seeder


def by_name(snapshot):
    return {s["name"]: s for s in json.loads(snapshot.to_json())["streams"]}


def test_snapshot_has_right_rates_utilization_ages_throttles_and_health(endpoint, fleet):
    snap = make(endpoint).poll(complete=True)
    doc = json.loads(snap.to_json())
    assert doc["region"] == REGION and doc["account"] == "123456789012"
    assert doc["errors"] == []
    s = by_name(snap)
    busy = s["busy"]
    assert busy["mode"] == "PROVISIONED" and busy["open_shards"] == 2
    assert busy["incoming_bytes_per_sec"] == pytest.approx(1.8 * MIB)
    assert busy["write_bytes_utilization_pct"] == pytest.approx(90.0)
    assert busy["write_records_utilization_pct"] == pytest.approx(25.0)
    assert busy["read_bytes_utilization_pct"] == pytest.approx(25.0)
    assert busy["iterator_age_ms"] == 1_500
    assert busy["health"] == "warn"  # 90% is past the 80% warning line
    assert busy["described_at"] == NOW.isoformat().replace("+00:00", "Z")  # its age is known

    assert s["ondemand"]["mode"] == "ON_DEMAND"
    assert s["ondemand"]["incoming_bytes_per_sec"] == pytest.approx(6 * MIB)
    # Its 30-day peak is the 6 MiB/s of the last 10 minutes: capacity 2 x 6 = 12 MiB/s, an
    # estimate, of which 6 MiB/s is 50%.
    assert s["ondemand"]["write_bytes_utilization_pct"] == pytest.approx(50.0)
    assert s["ondemand"]["capacity_estimated"] is True
    assert s["ondemand"]["health"] == "ok"

    assert s["hot"]["write_throttled_per_min"] == 42
    assert s["hot"]["read_throttled_per_min"] is None
    assert s["hot"]["write_bytes_utilization_pct"] == pytest.approx(100.0)
    assert s["hot"]["health"] == "crit"

    assert s["lagging"]["iterator_age_ms"] == 13 * 3600 * 1000
    assert s["lagging"]["health"] == "crit"  # past half of 24 h retention

    idle = s["idle"]
    assert idle["incoming_bytes_per_sec"] is None and idle["iterator_age_ms"] is None
    assert idle["health"] == "ok"


def test_metrics_are_one_call_and_later_polls_ask_only_new_minutes(endpoint, fleet):
    now = [NOW]
    c = make(endpoint, clock=lambda: now[0])
    starts = []
    c.poll(complete=True)
    c._clients.cloudwatch.meta.events.register(
        "provide-client-params.cloudwatch.GetMetricData",
        lambda params, **kw: starts.append((params["StartTime"], params["EndTime"])),
    )
    gmd_before = c.accounting.by_api["GetMetricData"]
    now[0] = NOW + timedelta(minutes=1)
    c.poll()
    assert c.accounting.by_api["GetMetricData"] == gmd_before + 1
    ((start, end),) = starts
    assert end.second == 0 and start.second == 0
    assert (end - start) == timedelta(minutes=4)  # 3 unsettled minutes + the new one


def test_deleted_stream_disappears_and_reshard_is_seen_at_the_next_turn(endpoint, fleet):
    mono = FakeMonotonic()
    c = make(endpoint, monotonic=mono)
    assert "idle" in by_name(c.poll(complete=True))
    fleet.kinesis.delete_stream(StreamName="idle")
    fleet.kinesis.update_shard_count(
        StreamName="hot", TargetShardCount=2, ScalingType="UNIFORM_SCALING"
    )
    mono.t += 5  # a poll soon after (the user pressed r)
    snap = c.poll()
    assert "idle" not in by_name(snap) and snap.errors == ()
    assert by_name(snap)["hot"]["open_shards"] == 1  # described 5 s ago: not its turn yet
    mono.t += 60  # the next scheduled poll: a small fleet is described every minute
    snap = c.poll()
    assert by_name(snap)["hot"]["open_shards"] == 2
    assert by_name(snap)["hot"]["write_bytes_utilization_pct"] == pytest.approx(50.0)


def test_stream_filter_reports_unknown_names(endpoint, fleet):
    snap = make(endpoint, streams=("hot", "nope")).poll(complete=True)
    assert list(by_name(snap)) == ["hot"]
    assert [(e.source, e.message) for e in snap.errors] == [
        ("stream:nope", f"stream 'nope' not found in {REGION}")
    ]


def test_cloudwatch_access_denied_keeps_the_stream_list(endpoint, fleet):
    now = [NOW]
    c = make(endpoint, clock=lambda: now[0])
    c.poll(complete=True)
    now[0] += timedelta(minutes=1)  # a new minute: the busy stream's metrics are due again
    with Stubber(c._clients.cloudwatch) as stub:
        stub.add_client_error(
            "get_metric_data", service_error_code="AccessDenied", service_message="not authorized"
        )
        snap = c.poll()
    assert {s.name for s in snap.streams} == {"busy", "ondemand", "hot", "lagging", "idle"}
    (err,) = snap.errors
    assert err.source == "metrics" and "cloudwatch:GetMetricData" in err.message
    # The last good numbers stay; health stays judged from them while they are fresh.
    assert by_name(snap)["busy"]["incoming_bytes_per_sec"] == pytest.approx(1.8 * MIB)


def test_no_metric_access_at_all_means_unknown_health(endpoint, fleet):
    from kmon.collector.memory import Memory

    c = make(endpoint)
    c.poll()  # builds clients
    c.metrics.forget(lambda key: False)
    c.metrics._settled_until.clear()
    c.memory = Memory()  # as if nothing had ever been judged
    with Stubber(c._clients.cloudwatch) as stub:
        stub.add_client_error("get_metric_data", service_error_code="AccessDeniedException")
        snap = c.poll()
    assert {s["health"] for s in by_name(snap).values()} == {"unknown"}
    assert not any(s["stale"] for s in by_name(snap).values())


def test_unreachable_endpoint_is_one_line_and_last_good_data_stays(seeder, endpoint):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    import boto3

    boto3.client("kinesis", endpoint_url=url, region_name=REGION).create_stream(
        StreamName="solo", ShardCount=1
    )
    c = make(url)
    assert [s.name for s in c.poll(complete=True).streams] == ["solo"]
    server.stop()
    snap = c.poll()
    assert [s.name for s in snap.streams] == ["solo"]
    errs = {e.source: e.message for e in snap.errors}
    assert errs["streams"].startswith(f"cannot reach {url}")
    assert c.fatal_error() is None  # it worked once: the dashboard keeps the last good list


def test_an_endpoint_that_stops_answering_ends_the_poll_at_the_first_call(seeder, endpoint):
    from tests.collector.hangs import HangingProxy

    seeder.stream("solo", shards=1)
    seeder.steady("solo", "IncomingBytes", 60 * 0.9 * MIB)  # 90%: warn
    proxy = HangingProxy(int(endpoint.rsplit(":", 1)[1]))
    clock = [NOW]
    try:
        c = make(proxy.url, clock=lambda: clock[0], read_timeout=0.5)
        assert [s.name for s in c.poll(complete=True).streams] == ["solo"]
        before = dict(c.accounting.by_api)
        proxy.hang()
        clock[0] = NOW + timedelta(minutes=1)
        snap = c.poll()
        sent = {api: n - before.get(api, 0) for api, n in c.accounting.by_api.items()}
        clock[0] = NOW + timedelta(minutes=6)
        later = c.poll()
    finally:
        proxy.close()
    errs = {e.source: e.message for e in snap.errors}
    hung = f"{proxy.url} did not answer in time: the service or the network is slow"
    assert errs["streams"] == errs["metrics"] == hung
    # Two attempts at ListStreams, then nothing else waits on a dead endpoint.
    assert {api: n for api, n in sent.items() if n} == {"ListStreams": 2}
    assert [s.name for s in snap.streams] == ["solo"]  # the last good list stays
    assert snap.streams[0].health.value == "warn"  # a minute in: the last judgement stands
    assert not snap.streams[0].stale
    # Six minutes in the numbers are too old to judge: the last judgement stays, marked stale
    # with the time it was made.
    assert later.streams[0].health.value == "warn" and later.streams[0].stale
    assert later.streams[0].as_of == NOW + timedelta(minutes=1)
    assert later.to_dict()["streams"][0]["stale"] is True
    assert later.streams[0].incoming_bytes_per_sec == pytest.approx(0.9 * MIB)  # numbers stay


def test_a_stream_whose_producers_stopped_shows_no_data_not_old_numbers(seeder, endpoint):
    seeder.stream("busy", shards=1)
    seeder.steady("busy", "IncomingBytes", 60 * 0.5 * MIB, minutes=10)
    seeder.stream("quietnow", shards=1)
    seeder.metric("quietnow", "IncomingBytes", {8: 60 * 0.5 * MIB})  # its last busy minute
    s = by_name(make(endpoint).poll(complete=True))
    assert s["busy"]["incoming_bytes_per_sec"] == 0.5 * MIB
    assert s["quietnow"]["incoming_bytes_per_sec"] is None
    assert s["quietnow"]["write_bytes_utilization_pct"] is None


def test_first_poll_failure_is_fatal_for_snapshot(endpoint):
    c = make("http://127.0.0.1:9")
    snap = c.poll(complete=True)
    assert snap.streams == ()
    assert c.fatal_error().startswith("cannot reach http://127.0.0.1:9")


def test_reshard_of_the_stream_on_screen_is_seen_in_the_next_poll(endpoint, fleet):
    mono = FakeMonotonic()
    c = make(endpoint, monotonic=mono)
    c.poll(complete=True)
    c.set_focus("hot", 3600)
    assert by_name(c.poll())["hot"]["open_shards"] == 1
    fleet.kinesis.update_shard_count(
        StreamName="hot", TargetShardCount=2, ScalingType="UNIFORM_SCALING"
    )
    mono.t += 5
    # Its shards are listed every poll; they disagree with the description, so it is
    # described again in the same poll.
    snap = c.poll()
    assert by_name(snap)["hot"]["open_shards"] == 2
    assert sum(1 for s in snap.detail.shards if s.is_open) == 2


def test_consumers_survive_an_outage(endpoint, seeder):
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    kinesis = boto3.client("kinesis", endpoint_url=url, region_name=REGION)
    kinesis.create_stream(StreamName="solo", ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName="solo")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="reader")
    c = make(url)
    kinds = lambda snap: {(x.kind, x.name) for x in snap.streams[0].consumers}  # noqa: E731
    assert ("efo", "reader") in kinds(c.poll(complete=True))
    server.stop()
    assert ("efo", "reader") in kinds(c.poll())  # the outage is an error, not a lost consumer
