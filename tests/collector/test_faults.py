"""Faults switched on and off while the collector polls, through an HTTP proxy in front of moto.

Each test checks what the snapshot shows while the fault lasts (the last known state, marked
stale, and an error that names the cause) and that the first poll after the fault ends
recovers. Time is the collector's injectable clocks: one poll per refresh of fake time.

tests/faultproxy.py makes the throttles, denials and hangs; tests/collector/faults.py the two
faults it cannot (answers chosen by the request's access key, bodies that are not AWS's).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from kmon.collector.collector import (
    PROBE_SLACK,
    REDESCRIBE_MIN_SEC,
    Collector,
    CollectorOptions,
    redescribe_every,
)
from kmon.collector.consumers import DENIED_RETRY_SEC, TABLES_TTL
from kmon.model.lag import LagStatus
from kmon.model.limits import API_RATES_PER_SEC
from tests.collector.consumer_seed import World, lease_item
from tests.faultproxy import FaultProxy
from tests.seed import MIB, NOW, REGION

REFRESH = 60.0
NOW_SEC = int(NOW.timestamp())


class Clocks:
    """The collector's wall clock and monotonic clock, moved together."""

    def __init__(self) -> None:
        self.mono = 1000.0
        self.now = NOW

    def wall(self):
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def sleep(self, seconds: float) -> None:
        self.mono += seconds

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.now += timedelta(seconds=seconds)


def collector(url: str, clocks: Clocks, **kw) -> Collector:
    kw.setdefault("refresh", REFRESH)
    # No CloudWatch budget: every stream's metrics are due each minute, so a fault in front of
    # CloudWatch is met at the first poll of each minute (a budget would leave healthy streams
    # unasked for minutes, and their faults unseen until then).
    kw.setdefault("budget_usd_per_day", 0.0)
    options = CollectorOptions(region=REGION, endpoint_url=url, **kw)
    return Collector(options, clock=clocks.wall, monotonic=clocks.monotonic, sleep=clocks.sleep)


def errors(snap) -> dict[str, str]:
    return {e.source: e.message for e in snap.errors}


def consumer(snap, stream: str, kind: str, name: str):
    state = snap.stream(stream)
    return next((c for c in state.consumers if c.kind == kind and c.name == name), None)


@pytest.fixture
def proxy(endpoint):
    with FaultProxy(endpoint) as p:
        yield p


@pytest.fixture
def world(endpoint) -> World:
    return World(endpoint)


@pytest.fixture
def payments(seeder, world):
    """payments: busy, read by a KCL application that has stopped (a lease nobody owns) and
    by polling readers 45 s behind."""
    seeder.stream("payments", shards=1)
    seeder.steady("payments", "IncomingRecords", 6000)
    seeder.steady("payments", "IncomingBytes", 60 * 0.2 * MIB)
    seeder.steady(
        "payments", "GetRecords.IteratorAgeMilliseconds", 45_000, maximum=45_000, minutes=30
    )
    world.table("payments-app", [lease_item("shardId-000000000000", owner=None)])
    return seeder


# -- 1. a failed lease-table read keeps the application -----------------------------------


@pytest.mark.parametrize("fault", ["throttle", "deny"])
def test_a_failed_lease_scan_keeps_the_application_as_last_known(payments, proxy, fault):
    clocks = Clocks()
    c = collector(proxy.url, clocks, kcl_tables={"payments-app": "payments"})
    first = c.poll(complete=True)
    worst = first.stream("payments").worst_consumer
    assert (worst.kind, worst.name, worst.status) == ("kcl", "payments-app", LagStatus.STOP)
    assert not worst.stale

    proxy.set("dynamodb", fault, "Scan")
    during = []
    for _ in range(3):  # three refreshes of fault
        clocks.advance(REFRESH)
        during.append(c.poll())
    for snap in during:
        worst = snap.stream("payments").worst_consumer
        # Not "45 s shared readers": the stopped application stays, marked stale with its time.
        assert (worst.name, worst.status, worst.stale) == ("payments-app", LagStatus.STOP, True)
        assert worst.as_of == NOW_SEC
        row = next(r for r in snap.to_dict()["streams"][0]["consumers"] if r["kind"] == "kcl")
        assert row["stale"] is True and row["as_of"] == "2026-11-25T12:00:30Z"
        assert snap.stream("payments").health.value == "crit"  # judged from it still
    if fault == "throttle":
        # Every poll names the throttling, not kmon's own rate keeping.
        for snap in during:
            assert errors(snap)["lag:kcl:payments-app"] == (
                "Scan throttled by AWS (ThrottlingException): backing off"
            )
    else:
        assert errors(during[0])["lag:kcl"] == (
            "KCL applications not read: no permission: dynamodb:Scan"
        )

    proxy.clear()
    clocks.advance(REFRESH if fault == "throttle" else DENIED_RETRY_SEC)
    after = c.poll()
    worst = after.stream("payments").worst_consumer
    assert (worst.name, worst.status, worst.stale) == ("payments-app", LagStatus.STOP, False)
    assert not [s for s in errors(after) if s.startswith("lag:kcl")]


def test_a_failed_lease_table_discovery_still_reads_the_tables_found_before(payments, proxy):
    clocks = Clocks()
    c = collector(proxy.url, clocks)  # lease tables discovered, none named
    assert consumer(c.poll(complete=True), "payments", "kcl", "payments-app") is not None
    proxy.set("dynamodb", "throttle", "ListTables")
    clocks.advance(TABLES_TTL)  # the discovery is due again
    snap = c.poll()
    app = consumer(snap, "payments", "kcl", "payments-app")
    assert app is not None and not app.stale  # its table was scanned all the same
    assert errors(snap)["lag:kcl"].startswith("ListTables throttled by AWS")
    proxy.clear()
    clocks.advance(REFRESH)
    assert "lag:kcl" not in errors(c.poll())


def test_every_consumer_kind_keeps_its_last_state_while_cloudwatch_fails(payments, proxy, world):
    arn = world.arn("payments")
    world.kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="ledger-efo")
    world.metric(
        "AWS/Kinesis",
        "SubscribeToShardEvent.MillisBehindLatest",
        {"StreamName": "payments", "ConsumerName": "ledger-efo"},
        {ago: 2_000 for ago in range(1, 11)},
    )
    world.function("payments-fn", arn)
    clocks = Clocks()
    c = collector(proxy.url, clocks, kcl_tables={"payments-app": "payments"})
    before = {(x.kind, x.name): x for x in c.poll(complete=True).stream("payments").consumers}
    assert not any(x.stale for x in before.values())

    proxy.set("cloudwatch", "throttle")
    clocks.advance(REFRESH)
    snap = c.poll()
    during = {(x.kind, x.name): x for x in snap.stream("payments").consumers}
    assert set(during) == set(before)
    for key, row in during.items():
        # The same judgement as before, marked stale with when it was made.
        assert row.stale and row.as_of == NOW_SEC, key
        assert (row.status, row.lag_ms) == (before[key].status, before[key].lag_ms), key
    assert during[("shared", "shared-throughput readers")].lag_ms == 45_000
    assert errors(snap)["metrics"].startswith("GetMetricData throttled by AWS (Throttling")

    proxy.clear()
    clocks.advance(REFRESH)
    after = c.poll().stream("payments").consumers
    assert not any(x.stale for x in after) and len(after) == len(before)


def test_consumers_are_stale_while_the_stream_list_cannot_be_read(payments, proxy):
    clocks = Clocks()
    c = collector(proxy.url, clocks, kcl_tables={"payments-app": "payments"})
    c.poll(complete=True)
    proxy.set("kinesis", "throttle", "ListStreams")
    clocks.advance(REFRESH)
    snap = c.poll()
    assert errors(snap)["streams"] == "ListStreams throttled by AWS (ThrottlingException): " + (
        "backing off"
    )
    assert {x.name for x in snap.stream("payments").consumers} == {
        "payments-app",
        "shared-throughput readers",
    }
    assert all(x.stale for x in snap.stream("payments").consumers)
    proxy.clear()
    clocks.advance(REFRESH)
    assert not any(x.stale for x in c.poll().stream("payments").consumers)


# -- 2. reshards ------------------------------------------------------------------------------


@pytest.fixture
def fleet(seeder):
    for name in ("alpha", "beta", "gamma"):
        seeder.stream(name, shards=2)
        seeder.steady(name, "IncomingBytes", 60 * 1.0 * MIB)  # 1 MiB/s of 2: 50%
    return seeder


def test_a_reshard_of_the_stream_on_screen_shows_in_the_next_poll(fleet, proxy):
    clocks = Clocks()
    c = collector(proxy.url, clocks)
    c.poll(complete=True)
    c.set_focus("beta", 3600)
    snap = c.poll()
    assert snap.stream("beta").open_shards == 2 and len(snap.detail.shards) == 2
    fleet.kinesis.update_shard_count(
        StreamName="beta", TargetShardCount=4, ScalingType="UNIFORM_SCALING"
    )
    clocks.advance(5)  # well within one refresh
    snap = c.poll()
    beta = snap.stream("beta")
    assert beta.open_shards == 4
    assert beta.write_bytes_utilization_pct == pytest.approx(25.0)
    assert sum(1 for s in snap.detail.shards if s.is_open) == 4
    assert proxy.seen[("kinesis", "ListShards")] == 2  # one listing per poll on screen


def test_a_reshard_anywhere_shows_within_two_minutes(fleet, proxy):
    clocks = Clocks()
    c = collector(proxy.url, clocks)
    c.poll(complete=True)
    fleet.kinesis.update_shard_count(
        StreamName="gamma", TargetShardCount=4, ScalingType="UNIFORM_SCALING"
    )
    seen_after = None
    for n in range(1, 3):
        clocks.advance(REFRESH)
        snap = c.poll()
        if snap.stream("gamma").open_shards == 4:
            seen_after = n * REFRESH
            break
    assert seen_after is not None and seen_after <= 120
    assert snap.stream("gamma").write_bytes_utilization_pct == pytest.approx(25.0)
    # Three streams: each described once a minute, not more.
    assert proxy.seen[("kinesis", "DescribeStreamSummary")] <= 3 + 3 * 2


def test_descriptions_are_spread_across_polls(seeder, proxy):
    for i in range(12):
        seeder.stream(f"s{i:02d}", shards=1)
    clocks = Clocks()
    c = collector(proxy.url, clocks, refresh=15.0)
    c.poll(complete=True)
    per_poll = []
    for _ in range(8):  # two minutes at a 15 s refresh
        before = proxy.seen[("kinesis", "DescribeStreamSummary")]
        clocks.advance(15)
        c.poll()
        per_poll.append(proxy.seen[("kinesis", "DescribeStreamSummary")] - before)
    # A quarter of the fleet each poll from the first minute on: every stream once a minute.
    assert per_poll == [0, 0, 0, 3, 3, 3, 3, 3]


def test_the_description_cadence_follows_the_fleet_and_half_the_published_rate():
    share = API_RATES_PER_SEC["DescribeStreamSummary"] / 2  # kmon's half of AWS's 20/s
    for streams in (1, 50, 300, 600, 2000):
        every = redescribe_every(streams)
        assert every >= REDESCRIBE_MIN_SEC
        assert streams / every <= share  # never more than kmon's share of the rate
    # A few hundred streams: every stream within a minute, so a reshard within two.
    assert redescribe_every(300) <= 60
    assert redescribe_every(600) <= 120


def test_watched_shards_are_listed_again_when_the_status_changes(fleet, endpoint):
    from kmon.collector.shards import ShardWatch

    calls = []
    clients = type("Clients", (), {"kinesis": fleet.kinesis})()
    watch = ShardWatch(ttl=600)
    watch.list_shards(clients, {"alpha": (2, "ACTIVE")}, calls.append)
    watch.list_shards(clients, {"alpha": (2, "ACTIVE")}, calls.append)
    assert calls == ["ListShards"]  # cached
    watch.list_shards(clients, {"alpha": (2, "UPDATING")}, calls.append)
    assert calls == ["ListShards"] * 2
    listed = watch.list_shards(clients, {"alpha": (4, "UPDATING")}, calls.append)
    assert calls == ["ListShards"] * 3 and len(listed["alpha"]) == 2  # count differs: re-read


# -- 4. shards whatever CloudWatch does --------------------------------------------------------


@pytest.mark.parametrize("fault", ["deny", "error", "throttle"])
def test_shards_are_listed_whatever_cloudwatch_does(fleet, proxy, fault):
    clocks = Clocks()
    c = collector(proxy.url, clocks)
    c.poll(complete=True)
    proxy.set("cloudwatch", fault)
    c.set_focus("alpha", 3600)
    clocks.advance(5)
    snap = c.poll()
    assert [s.shard_id for s in snap.detail.shards] == [
        "shardId-000000000000",
        "shardId-000000000001",
    ]
    assert "GetMetricData" in errors(snap)["detail"] or "cloudwatch" in errors(snap)["detail"]
    assert snap.detail.series["incoming_bytes"] == ()  # metrics fill in when they come

    proxy.clear()
    clocks.advance(REFRESH)
    snap = c.poll()
    assert "detail" not in errors(snap)
    assert snap.detail.series["incoming_bytes"][-1][1] == 60 * 1.0 * MIB


# -- 5. recovery within one refresh -------------------------------------------------------------


def test_a_two_minute_throttle_is_over_at_the_first_poll_after_it(fleet, proxy):
    clocks = Clocks()
    c = collector(proxy.url, clocks, refresh=15.0)
    c.poll(complete=True)
    proxy.set("cloudwatch", "throttle")
    sent = []
    for i in range(8):  # two minutes of throttling, a poll every 15 s
        # The first into the next minute: within a minute, metrics already asked are not due.
        clocks.advance(30 if i == 0 else 14)
        before = proxy.seen[("cloudwatch", "GetMetricData")]
        snap = c.poll()
        sent.append(proxy.seen[("cloudwatch", "GetMetricData")] - before)
        assert errors(snap)["metrics"] == (
            "GetMetricData throttled by AWS (ThrottlingException): backing off"
        )
        # A poll soon after (r, or a follow-up) does not ask again: one probe a refresh.
        clocks.advance(1)
        before = proxy.seen[("cloudwatch", "GetMetricData")]
        again = c.poll()
        assert proxy.seen[("cloudwatch", "GetMetricData")] == before
        assert errors(again)["metrics"] == errors(snap)["metrics"]
    # Each scheduled poll probed once (botocore's own retry makes it two requests).
    assert all(0 < n <= 2 for n in sent)
    assert c.budget.max_pause == pytest.approx(15 * PROBE_SLACK)

    proxy.clear()
    clocks.advance(14)
    snap = c.poll()  # the first poll after the throttle ended
    assert "metrics" not in errors(snap)
    assert snap.stream("alpha").incoming_bytes_per_sec == pytest.approx(1.0 * MIB)


def test_access_denied_is_retried_every_five_minutes_or_now_on_request(payments, proxy, world):
    world.function("payments-fn", world.arn("payments"))
    clocks = Clocks()
    c = collector(proxy.url, clocks, kcl_tables={"payments-app": "payments"})
    proxy.set("lambda", "deny")
    snap = c.poll(complete=True)
    assert errors(snap)["lag:lambda"] == (
        "Lambda consumers not read: no permission: lambda:ListEventSourceMappings"
    )
    proxy.clear()
    clocks.advance(REFRESH)
    c.poll()
    assert consumer(c.poll(), "payments", "lambda", "payments-fn") is None  # locked out
    clocks.advance(DENIED_RETRY_SEC - REFRESH)
    snap = c.poll()
    assert "lag:lambda" not in errors(snap)
    assert consumer(snap, "payments", "lambda", "payments-fn") is not None

    # The UI's r (retry_now) ends a lock-out at once.
    proxy.set("dynamodb", "deny")
    clocks.advance(REFRESH)
    assert "lag:kcl" in errors(c.poll())
    proxy.clear()
    clocks.advance(1)
    assert "lag:kcl" in errors(c.poll())  # still locked out
    c.retry_now()
    snap = c.poll()
    assert "lag:kcl" not in errors(snap)
    assert not consumer(snap, "payments", "kcl", "payments-app").stale


def test_retry_now_ends_a_throttling_back_off(fleet, proxy):
    clocks = Clocks()
    c = collector(proxy.url, clocks)
    c.poll(complete=True)
    proxy.set("cloudwatch", "throttle")
    clocks.advance(REFRESH)
    assert "metrics" in errors(c.poll())
    proxy.clear()
    clocks.advance(1)
    assert errors(c.poll())["metrics"].startswith("GetMetricData throttled")  # backing off
    c.retry_now()
    assert "metrics" not in errors(c.poll())


# -- 6. what a timeout and a strange answer say ------------------------------------------------


def test_a_cloudwatch_hang_sets_its_error_within_one_timeout(fleet, proxy, payments):
    clocks = Clocks()
    c = collector(proxy.url, clocks, read_timeout=0.5, kcl_tables={"payments-app": "payments"})
    c.poll(complete=True)
    c.set_focus("alpha", 3600)
    c.poll()
    proxy.set("cloudwatch", "hang")
    before = proxy.seen[("cloudwatch", "GetMetricData")]
    clocks.advance(REFRESH)
    started = time.monotonic()
    snap = c.poll()
    took = time.monotonic() - started
    hung = f"{proxy.url} did not answer in time: the service or the network is slow"
    assert errors(snap)["metrics"] == hung
    assert errors(snap)["detail"] == hung and errors(snap)["lag:metrics"] == hung
    # One call's two attempts, then nothing more waits on CloudWatch in this poll.
    assert proxy.seen[("cloudwatch", "GetMetricData")] - before == 2
    assert took < 4 * 0.5 + 1.0
    assert [s.name for s in snap.streams] == ["alpha", "beta", "gamma", "payments"]

    proxy.clear()
    clocks.advance(REFRESH)
    snap = c.poll()
    assert not [s for s in errors(snap) if s in ("metrics", "detail", "lag:metrics")]


def test_an_answer_that_is_not_aws_says_so_with_its_http_status(fleet, endpoint):
    with FaultProxy(endpoint) as proxy:
        clocks = Clocks()
        c = collector(proxy.url, clocks)
        c.poll(complete=True)
        proxy.set("cloudwatch", "garbage")
        clocks.advance(REFRESH)
        snap = c.poll()
        assert errors(snap)["metrics"] == (
            "the endpoint answered with something that is not AWS's API (HTTP 502)"
        )
        assert snap.stream("alpha").incoming_bytes_per_sec == pytest.approx(1.0 * MIB)
        proxy.clear()
        clocks.advance(REFRESH)
        assert "metrics" not in errors(c.poll())


# -- 3. rotated credentials ---------------------------------------------------------------------


def test_rotated_credentials_are_used_at_the_next_poll(fleet, endpoint, tmp_path, monkeypatch):
    creds = tmp_path / "credentials"
    creds.write_text("[default]\naws_access_key_id = OLDKEY\naws_secret_access_key = old\n")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    with FaultProxy(endpoint) as proxy:
        clocks = Clocks()
        c = collector(proxy.url, clocks)
        assert len(c.poll(complete=True).streams) == 3
        assert set(proxy.keys) == {"OLDKEY"}

        proxy.set("*", "expired", key="OLDKEY")  # the old key expires
        clocks.advance(REFRESH)
        snap = c.poll()
        assert errors(snap)["streams"] == (
            "AWS credentials have expired: refresh them ('aws sso login' or new keys)"
        )
        assert len(snap.streams) == 3  # the last good list stays

        # Someone rotates the keys (aws configure, a credential process, sso login...).
        creds.write_text("[default]\naws_access_key_id = NEWKEY\naws_secret_access_key = new\n")
        clocks.advance(REFRESH)
        proxy.keys.clear()
        snap = c.poll()  # the first poll after the rotation
        assert "streams" not in errors(snap) and "metrics" not in errors(snap)
        assert proxy.keys and set(proxy.keys) == {"NEWKEY"}


def test_credentials_are_read_again_at_most_once_a_refresh(fleet, endpoint, tmp_path, monkeypatch):
    creds = tmp_path / "credentials"
    creds.write_text("[default]\naws_access_key_id = BADKEY\naws_secret_access_key = x\n")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    with FaultProxy(endpoint) as proxy:
        proxy.set("kinesis", "bad-key")  # Kinesis names it UnrecognizedClientException
        clocks = Clocks()
        c = collector(proxy.url, clocks)
        c.poll()
        sessions = {id(c._clients)}
        for _ in range(3):  # quick polls (r pressed, follow-ups): no new session each time
            clocks.advance(5)
            snap = c.poll()
            sessions.add(id(c._clients))
        assert len(sessions) == 1
        assert errors(snap)["streams"] == (
            "AWS rejected the credentials (UnrecognizedClientException): check the keys, "
            "profile or region"
        )
        clocks.advance(REFRESH)
        c.poll()
        sessions.add(id(c._clients))
        assert len(sessions) == 2  # one refresh later: read again
