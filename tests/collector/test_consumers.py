"""Consumer lag against moto over HTTP: EFO, KCL lease tables, Lambda, shared readers."""

from __future__ import annotations

import json

import pytest
from botocore.stub import Stubber

from kmon.collector.consumers import (
    DENIED_RETRY_SEC,
    ConsumerCollector,
    StreamRef,
    parse_lease,
    split_lease_key,
)
from kmon.model.lag import LagStatus
from kmon.model.rules import Thresholds
from kmon.model.series import Series
from tests.collector.consumer_seed import NOW_SEC, World, lease_item, series

ACCOUNT = "123456789012"
DAY_MS = 24 * 3600 * 1000
BUSY = series({ago: 100 for ago in range(1, 11)})  # IncomingRecords every minute


class Mono:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def make(world: World, calls: list[str] | None = None, **kw) -> ConsumerCollector:
    mono = kw.pop("monotonic", Mono())
    return ConsumerCollector(
        kw.pop("kinesis", world.kinesis),
        world.cloudwatch,
        kw.pop("dynamodb", world.dynamodb),
        kw.pop("lambda_client", world.lambda_),
        gate=(calls if calls is not None else []).append,
        monotonic=mono,
        **kw,
    )


def poll(col, refs, shared=None, traffic=None, now=NOW_SEC, **kw):
    shared = shared or {}
    traffic = traffic or {}
    return col.poll(
        refs,
        now,
        lambda s: shared.get(s, Series()),
        lambda s: traffic.get(s, BUSY),
        **kw,
    )


def rows(result, stream):
    return [json.loads(json.dumps(c.to_dict())) for c in result.by_stream[stream]]


def by_name(result, stream):
    return {(c.kind, c.name): c for c in result.by_stream[stream]}


@pytest.fixture
def world(endpoint) -> World:
    return World(endpoint)


# -- every kind at once -----------------------------------------------------------------------


@pytest.fixture
def fleet(world):
    """orders (2 shards): an EFO consumer catching up, a single-stream KCL app 45 s behind;
    clicks (1 shard): a Lambda falling behind."""
    orders = world.stream("orders", shards=2)
    clicks = world.stream("clicks", shards=1)
    world.kinesis.register_stream_consumer(StreamARN=orders, ConsumerName="efo-reader")
    world.metric(
        "AWS/Kinesis",
        "SubscribeToShardEvent.MillisBehindLatest",
        {"StreamName": "orders", "ConsumerName": "efo-reader"},
        {ago: ago * 2000 for ago in range(1, 11)},  # 20 s ... 2 s: catching up 2 s a minute
    )
    seq = world.put("orders")
    world.table(
        "orders-app",
        [
            lease_item("shardId-000000000000", "worker-1", "TRIM_HORIZON", counter=7),
            lease_item("shardId-000000000001", "[bold]w2[/]", seq, counter=9),
        ],
    )
    world.metric(
        "orders-app",
        "MillisBehindLatest",
        {"Operation": "ApplicationTracker"},
        {ago: 45_000 for ago in range(1, 11)},
    )
    for shard, lag in (("shardId-000000000000", 45_000), ("shardId-000000000001", 1_000)):
        world.metric(
            "orders-app",
            "MillisBehindLatest",
            {"Operation": "ProcessTask", "ShardId": shard},
            {ago: lag for ago in range(1, 11)},
        )
    # A lease table of a stream that no longer exists, and a table that is not a lease table.
    world.table("orphan-app", [lease_item("shardId-000000000007", "w", seq)])
    world.table("users", [{"id": {"S": "u1"}}], key="id")
    world.function("clicks-fn", clicks)
    world.metric(
        "AWS/Lambda",
        "IteratorAge",
        {"FunctionName": "clicks-fn"},
        {5: 1_000, 4: 3_000, 3: 5_000, 2: 7_000, 1: 9_000},
    )
    return [
        StreamRef("orders", orders, retention_hours=24),
        StreamRef("clicks", clicks, retention_hours=24),
    ]


def test_every_kind_of_consumer_with_its_lag(world, fleet):
    calls: list[str] = []
    result = poll(make(world, calls), fleet, shared={"orders": series({3: 500, 2: 700, 1: 600})})
    assert result.errors == {}
    assert result.unmatched_tables == ("orphan-app",)

    orders = rows(result, "orders")
    assert [(r["kind"], r["name"]) for r in orders] == [
        ("efo", "efo-reader"),
        ("kcl", "orders-app"),
        ("shared", "shared-throughput readers"),
    ]
    efo, app, shared = orders
    assert efo == {
        "kind": "efo",
        "name": "efo-reader",
        "lag_ms": 2000.0,
        "status": "ok",
        "trend_ms_per_min": -2000.0,
        "catch_up_sec": 60.0,
        "data_loss_sec": None,
        "since": None,
        "details": {
            "arn": efo["details"]["arn"],
            "status": "ACTIVE",
            "registered_at": efo["details"]["registered_at"],
        },
    }
    assert efo["details"]["arn"].endswith("/consumer/efo-reader")
    assert app["status"] == "warn" and app["lag_ms"] == 45_000
    assert app["table"] == "orders-app"
    assert app["workers"] == {"[bold]w2[/]": 1, "worker-1": 1}
    assert app["unowned"] == 0
    assert [(s["shard_id"], s["owner"], s["lag_ms"], s["status"]) for s in app["shards"]] == [
        ("shardId-000000000000", "worker-1", 45_000, "warn"),
        ("shardId-000000000001", "[bold]w2[/]", 1_000, "ok"),
    ]
    assert app["shards"][0]["checkpoint"] == "TRIM_HORIZON"
    assert app["shards"][1]["lease_counter"] == 9
    assert shared["lag_ms"] == 600 and shared["status"] == "ok"

    clicks = rows(result, "clicks")
    assert [(r["kind"], r["name"]) for r in clicks] == [("lambda", "clicks-fn")]
    fn = clicks[0]
    assert fn["lag_ms"] == 9_000 and fn["status"] == "warn"
    assert fn["trend_ms_per_min"] == 2_000
    assert fn["data_loss_sec"] == pytest.approx((DAY_MS - 9_000) / 2_000 * 60, abs=0.1)
    assert fn["note"].startswith("mapping Enabled")
    # Sparkline history stays on the object.
    assert by_name(result, "clicks")[("lambda", "clicks-fn")].history[-1][1] == 9_000

    # Every consumer metric of every stream in one GetMetricData call.
    assert calls.count("GetMetricData") == 1
    assert calls.count("ListTables") == 1 and calls.count("Scan") == 2


def test_second_poll_uses_caches_and_scans_again(world, fleet):
    calls: list[str] = []
    col = make(world, calls)
    poll(col, fleet)
    first = list(calls)
    calls.clear()
    poll(col, fleet)
    assert "ListTables" not in calls and "DescribeTable" not in calls
    assert "ListStreamConsumers" not in calls and "ListEventSourceMappings" not in calls
    assert "GetShardIterator" not in calls  # the table's stream is remembered
    assert calls.count("Scan") == first.count("Scan") == 2
    assert first.count("DescribeTable") == 3


def test_multi_stream_table_gives_each_stream_its_own_leases(world):
    # moto 5.2 ignores the namespace of a query with dimensions: one KCL app per test.
    a = world.stream("a", shards=2)
    b = world.stream("b", shards=1)
    world.table(
        "multi-app",
        [
            lease_item(f"{ACCOUNT}:a:1700000000:shardId-000000000000", "m-1", "11"),
            lease_item(f"{ACCOUNT}:a:1700000000:shardId-000000000001", "m-2", "12"),
            lease_item(f"{ACCOUNT}:b:1700000000:shardId-000000000000", "m-1", "13"),
            lease_item(f"{ACCOUNT}:gone:1600000000:shardId-000000000000", "m-1", "14"),
        ],
    )
    # The KCL adds a StreamId dimension to a multi-stream application's shard metrics.
    for stream, shard, lag in (("a", 0, 20_000), ("a", 1, 90_000), ("b", 0, 4_000)):
        world.metric(
            "multi-app",
            "MillisBehindLatest",
            {
                "Operation": "ProcessTask",
                "ShardId": f"shardId-00000000000{shard}",
                "StreamId": f"{ACCOUNT}:{stream}:1700000000",
            },
            {ago: lag for ago in range(1, 11)},
        )
    calls: list[str] = []
    result = poll(make(world, calls), [StreamRef("a", a, 24), StreamRef("b", b, 24)])
    assert result.errors == {}
    app_a = by_name(result, "a")[("kcl", "multi-app")]
    app_b = by_name(result, "b")[("kcl", "multi-app")]
    assert [(s.shard_id, s.checkpoint) for s in app_a.shards] == [
        ("shardId-000000000000", "11"),
        ("shardId-000000000001", "12"),
    ]
    assert [(s.shard_id, s.checkpoint) for s in app_b.shards] == [("shardId-000000000000", "13")]
    assert app_a.workers == {"m-1": 1, "m-2": 1}
    # Each stream's shards keep their own lag although both have a shardId-000000000000.
    assert [s.lag_ms for s in app_a.shards] == [20_000, 90_000]
    assert [s.lag_ms for s in app_b.shards] == [4_000]
    assert app_a.lag_ms == 90_000 and app_a.status is LagStatus.WARN
    assert app_b.lag_ms == 4_000 and app_b.status is LagStatus.OK
    assert "GetShardIterator" not in calls  # the lease keys name the stream


# -- KCL leases over polls ---------------------------------------------------------------------


def test_unowned_lease_dead_worker_and_stalled_shard(world):
    arn = world.stream("s", shards=2)
    world.table(
        "app",
        [
            lease_item("shardId-000000000000", "worker-1", "5", counter=5),
            lease_item("shardId-000000000001", None, "TRIM_HORIZON"),
        ],
    )
    mono = Mono()
    col = make(world, monotonic=mono, kcl_tables={"app": "s"})
    refs = [StreamRef("s", arn, 24)]

    first = by_name(poll(col, refs), "s")[("kcl", "app")]
    assert first.status is LagStatus.STOP
    assert first.unowned == 1
    assert [s.status for s in first.shards] == [LagStatus.UNKNOWN, LagStatus.STOP]

    # 15 s later worker-1 has not renewed: a renewal may simply land between polls.
    mono.t += 15
    early = by_name(poll(col, refs), "s")[("kcl", "app")]
    assert early.shards[0].status is not LagStatus.STOP
    # 65 s without a renewal: no live KCL worker waits that long, it is dead.
    mono.t += 50
    second = by_name(poll(col, refs), "s")[("kcl", "app")]
    assert second.shards[0].status is LagStatus.STOP
    assert "worker worker-1 has not renewed lease shardId-000000000000 for 65 s" in (second.reasons)

    # It renews again but never checkpoints while records keep arriving: stalled.
    world.dynamodb.put_item(
        TableName="app", Item=lease_item("shardId-000000000000", "worker-1", "5", counter=6)
    )
    world.dynamodb.put_item(
        TableName="app",
        Item=lease_item("shardId-000000000001", "worker-1", "TRIM_HORIZON", counter=2),
    )
    mono.t += 600
    third = by_name(poll(col, refs), "s")[("kcl", "app")]
    assert [s.status for s in third.shards] == [LagStatus.STALL, LagStatus.STALL]
    assert third.status is LagStatus.STALL and third.unowned == 0
    assert any("checkpoint of shardId-000000000000 unchanged" in r for r in third.reasons)

    # Quiet stream: nothing to checkpoint, so nothing is stalled.
    quiet = poll(col, refs, traffic={"s": series({ago: 0 for ago in range(1, 11)})})
    assert by_name(quiet, "s")[("kcl", "app")].shards[0].status is not LagStatus.STALL


def test_lease_tables_are_read_at_most_once_per_refresh(world):
    arn = world.stream("s", shards=1)
    world.table("app", [lease_item("shardId-000000000000", "worker-1", "5", counter=5)])
    mono, calls = Mono(), []
    col = make(
        world,
        calls,
        monotonic=mono,
        kcl_tables={"app": "s"},
        scan_every_sec=54,
        thresholds=Thresholds(lease_duration_sec=15),
    )
    refs = [StreamRef("s", arn, 24)]
    poll(col, refs)
    # Opening a stream, a window change, a manual refresh: each polls again within the minute.
    for _ in range(3):
        mono.t += 10
        again = by_name(poll(col, refs), "s")[("kcl", "app")]
    assert calls.count("Scan") == 1
    # A cached read is not evidence of a dead worker: still-time counts from the read.
    assert again.shards[0].status is not LagStatus.STOP
    world.dynamodb.put_item(
        TableName="app", Item=lease_item("shardId-000000000000", "worker-1", "6", counter=6)
    )
    mono.t += 30  # the next scheduled poll
    later = by_name(poll(col, refs), "s")[("kcl", "app")]
    assert calls.count("Scan") == 2
    assert later.shards[0].checkpoint == "6"
    # Scheduled polls start a refresh apart; one that reached the table late (slow describes)
    # does not make the next scheduled poll skip its read.
    start = mono.t + 60
    mono.t = start + 8  # this poll reaches the lease table 8 s in
    poll(col, refs, poll_started=start)
    mono.t = start + 60 + 1  # the next one, 1 s in
    poll(col, refs, poll_started=start + 60)
    assert calls.count("Scan") == 4


def test_a_throttled_lease_scan_backs_off_instead_of_retrying_every_poll(world):
    from kmon.collector.budget import ApiBudget
    from kmon.collector.errors import KmonError

    arn = world.stream("s", shards=1)
    mono, sent = Mono(), []
    budget = ApiBudget(clock=mono, sleep=lambda _: None)

    def gate(api: str) -> None:
        if not budget.acquire(api):
            raise KmonError(f"{api}: rate budget exhausted, backing off")
        sent.append(api)

    stub = Stubber(world.dynamodb)
    stub.add_client_error("scan", "ProvisionedThroughputExceededException", "slow down")
    stub.activate()
    col = ConsumerCollector(
        world.kinesis,
        world.cloudwatch,
        world.dynamodb,
        world.lambda_,
        gate=gate,
        monotonic=mono,
        kcl_tables={"app": "s"},
        on_throttle=budget.throttled,
    )
    refs = [StreamRef("s", arn, 24)]
    first = poll(col, refs)
    assert "Scan throttled by AWS" in first.errors["lag:kcl:app"]
    mono.t += 2  # the next poll, inside the 5 s pause
    second = poll(col, refs)
    assert sent.count("Scan") == 1  # held back: no second request while backing off
    assert "backing off" in second.errors["lag:kcl:app"]
    stub.assert_no_pending_responses()


def test_lease_rows_from_other_programs_are_kept_literally_and_never_crash(world):
    arn = world.stream("s", shards=1)
    world.table(
        "app",
        [
            lease_item(
                "shardId-000000000000",
                "[bold]host[/]:1",
                "SOMETHING_NEW",
                parents=("shardId-p1", "shardId-p0"),
                leaseCounter={"S": "not-a-number"},
            ),
            {"leaseKey": {"S": "worker-metrics-1"}, "entityType": {"S": "WORKER_METRICS"}},
            {"leaseKey": {"S": "shardId-000000000009"}},  # nothing but a key
        ],
    )
    result = poll(make(world, kcl_tables={"app": "s"}), [StreamRef("s", arn, 24)])
    app = rows(result, "s")[0]
    assert [s["shard_id"] for s in app["shards"]] == [
        "shardId-000000000000",
        "shardId-000000000009",
    ]
    first = app["shards"][0]
    assert first["owner"] == "[bold]host[/]:1"
    assert first["checkpoint"] == "SOMETHING_NEW"
    assert first["lease_counter"] is None
    assert first["parents"] == ["shardId-p0", "shardId-p1"]
    assert app["shards"][1]["owner"] is None and app["shards"][1]["checkpoint"] is None
    assert app["workers"] == {"[bold]host[/]:1": 1}


def test_parse_lease_edge_cases():
    assert parse_lease({}) is None
    assert parse_lease({"leaseKey": {"N": "5"}}).shard_id == "5"
    assert parse_lease({"leaseKey": "raw", "leaseOwner": {"S": "x"}}) is None
    assert parse_lease({"leaseKey": {"S": "k"}, "entityType": {"S": "lease"}}) is not None
    odd = parse_lease({"leaseKey": {"S": "k"}, "leaseOwner": ["x"], "parentShardId": {"S": "p"}})
    assert odd.owner is None and odd.parents == ("p",)
    assert split_lease_key(f"{ACCOUNT}:orders:1700000000:shardId-000000000003") == (
        "orders",
        "shardId-000000000003",
    )
    assert split_lease_key("shardId-000000000003") == (None, "shardId-000000000003")
    assert split_lease_key("a::b:c") == (None, "a::b:c")


# -- single-stream confirmation ----------------------------------------------------------------


def test_single_stream_table_confirmed_by_the_stream_that_accepts_its_checkpoint(world):
    # Both streams have shardId-000000000000; only "b" accepts the checkpoint.
    world.table("app", [lease_item("shardId-000000000000", "w", "4960000000000000000001")])
    refs = [StreamRef("a", None, 24), StreamRef("b", None, 24)]
    stub = Stubber(world.kinesis)
    for name in ("a", "b"):
        stub.add_response(
            "list_shards",
            {
                "Shards": [
                    {
                        "ShardId": "shardId-000000000000",
                        "HashKeyRange": _RANGE,
                        "SequenceNumberRange": {"StartingSequenceNumber": "1"},
                    }
                ]
            },
            {"StreamName": name},
        )
    stub.add_client_error(
        "get_shard_iterator",
        "InvalidArgumentException",
        "StartingSequenceNumber used in GetShardIterator on shard 0 in stream a is invalid",
        expected_params={
            "StreamName": "a",
            "ShardId": "shardId-000000000000",
            "ShardIteratorType": "AT_SEQUENCE_NUMBER",
            "StartingSequenceNumber": "4960000000000000000001",
        },
    )
    stub.add_response(
        "get_shard_iterator",
        {"ShardIterator": "it"},
        {
            "StreamName": "b",
            "ShardId": "shardId-000000000000",
            "ShardIteratorType": "AT_SEQUENCE_NUMBER",
            "StartingSequenceNumber": "4960000000000000000001",
        },
    )
    with stub:
        result = poll(make(world), refs)
        stub.assert_no_pending_responses()
    assert result.errors == {}
    assert result.by_stream["a"] == ()
    assert [(c.kind, c.name) for c in result.by_stream["b"]] == [("kcl", "app")]


_RANGE = {"StartingHashKey": "0", "EndingHashKey": "340282366920938463463374607431768211455"}


def test_single_stream_table_that_two_streams_accept_asks_for_a_mapping(world):
    world.stream("a")
    world.stream("b")
    world.table("app", [lease_item("shardId-000000000000", "w", "1")])
    refs = [StreamRef("a", None, 24), StreamRef("b", None, 24)]
    result = poll(make(world), refs)
    assert result.by_stream == {"a": (), "b": ()}
    assert result.errors == {
        "lag:kcl:app": "lease table app matches streams a, b: pass --kcl-table app=STREAM"
    }
    # The manual mapping settles it without asking Kinesis.
    calls: list[str] = []
    mapped = poll(make(world, calls, kcl_tables={"app": "b"}), refs)
    assert [c.name for c in mapped.by_stream["b"]] == ["app"] and mapped.errors == {}
    assert "GetShardIterator" not in calls and "ListShards" not in calls


# -- permissions -------------------------------------------------------------------------------


def test_dynamodb_access_denied_turns_off_kcl_only(world):
    arn = world.stream("s")
    world.kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="efo-reader")
    world.table("app", [lease_item("shardId-000000000000")])
    stub = Stubber(world.dynamodb)
    stub.add_client_error("list_tables", "AccessDeniedException", "not allowed")
    mono = Mono()
    col = make(world, monotonic=mono)
    refs = [StreamRef("s", arn, 24)]
    with stub:
        first = poll(col, refs)
        # Turned off: the next poll does not ask DynamoDB (the stubber has nothing queued).
        second = poll(col, refs)
        stub.assert_no_pending_responses()
    for result in (first, second):
        assert result.errors == {
            "lag:kcl": "KCL applications not read: no permission: dynamodb:ListTables"
        }
        assert [(c.kind, c.name) for c in result.by_stream["s"]] == [("efo", "efo-reader")]
    # Five minutes later it tries again (and now may read the table).
    mono.t += DENIED_RETRY_SEC
    third = poll(col, refs)
    assert third.errors == {}
    assert ("kcl", "app") in by_name(third, "s")


def test_lambda_access_denied_and_throttling_are_notes_not_crashes(world):
    arn = world.stream("s")
    stub = Stubber(world.lambda_)
    stub.add_client_error("list_event_source_mappings", "AccessDeniedException", "no")
    with stub:
        result = poll(make(world), [StreamRef("s", arn, 24)])
    assert result.errors == {
        "lag:lambda": "Lambda consumers not read: no permission: lambda:ListEventSourceMappings"
    }

    stub = Stubber(world.kinesis)
    stub.add_client_error("list_stream_consumers", "LimitExceededException", "slow down")
    with stub:
        result = poll(make(world), [StreamRef("s", arn, 24)])
    assert result.errors == {
        "lag:efo:s": "ListStreamConsumers throttled by AWS (LimitExceededException): backing off"
    }


# -- Lambda states, EFO silence, probing -------------------------------------------------------


def test_disabled_mapping_stops_and_a_failing_batch_warns(world):
    arn = world.stream("s")
    stub = Stubber(world.lambda_)
    fn = "arn:aws:lambda:us-east-1:123456789012:function:"
    stub.add_response(
        "list_event_source_mappings",
        {
            "EventSourceMappings": [
                {
                    "UUID": "00000000-0000-0000-0000-000000000001",
                    "EventSourceArn": arn,
                    "FunctionArn": fn + "off",
                    "State": "Disabled",
                },
                {
                    "UUID": "00000000-0000-0000-0000-000000000002",
                    "EventSourceArn": arn,
                    "FunctionArn": fn + "failing:live",
                    "State": "Enabled",
                    "LastProcessingResult": "PROBLEM: Function call failed",
                },
                {  # another stream's mapping: the account-wide list holds it too
                    "UUID": "00000000-0000-0000-0000-000000000003",
                    "EventSourceArn": arn + "-other",
                    "FunctionArn": fn + "elsewhere",
                    "State": "Enabled",
                },
            ]
        },
        {},  # one account-wide listing, not one call per stream
    )
    world.metric("AWS/Lambda", "IteratorAge", {"FunctionName": "failing"}, {1: 100})
    with stub:
        result = poll(make(world), [StreamRef("s", arn, 24)])
    c = by_name(result, "s")
    off, failing = c[("lambda", "off")], c[("lambda", "failing")]
    assert off.status is LagStatus.STOP and "mapping Disabled" in off.reasons
    assert failing.status is LagStatus.WARN
    assert failing.to_dict()["note"] == (
        "mapping Enabled; last result: PROBLEM: Function call failed; "
        "the last batch was not processed"
    )


def test_efo_consumer_without_lag_while_records_arrive_is_stopped(world):
    arn = world.stream("s")
    world.kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="idle")
    refs = [StreamRef("s", arn, 24)]
    busy = by_name(poll(make(world), refs), "s")[("efo", "idle")]
    assert busy.status is LagStatus.STOP
    quiet = poll(make(world), refs, traffic={"s": series({1: 0, 2: 0})})
    assert by_name(quiet, "s")[("efo", "idle")].status is LagStatus.UNKNOWN


def test_probe_measures_a_shard_directly_at_most_once_a_minute(world):
    arn = world.stream("s")
    seq = world.put("s")
    world.put("s")
    world.table("app", [lease_item("shardId-000000000000", "w", seq)])
    calls: list[str] = []
    mono = Mono()
    col = make(world, calls, monotonic=mono, kcl_tables={"app": "s"}, probe_lag=True)
    refs = [StreamRef("s", arn, 24)]
    first = by_name(poll(col, refs), "s")[("kcl", "app")]
    assert first.shards[0].lag_ms == 0.0 and first.shards[0].status is LagStatus.OK
    mono.t += 30
    poll(col, refs)
    assert calls.count("GetRecords") == 1
    mono.t += 31
    poll(col, refs)
    assert calls.count("GetRecords") == 2


def test_probe_access_denied_turns_off_probing_only(world):
    world.stream("s")
    world.table("app", [lease_item("shardId-000000000000", "w", "1")])
    stub = Stubber(world.kinesis)
    stub.add_client_error("get_shard_iterator", "AccessDeniedException", "no")
    col = make(world, kcl_tables={"app": "s"}, probe_lag=True)
    with stub:
        result = poll(col, [StreamRef("s", None, 24)])
    assert result.errors == {"lag:probe": "lag probe off: no permission: kinesis:GetShardIterator"}
    assert [c.name for c in result.by_stream["s"]] == ["app"]


def test_nothing_raises_out_of_poll(world):
    class Broken:
        def __getattr__(self, name):
            raise RuntimeError("boom")

    col = make(world)
    result = col.poll([StreamRef("s", None, 24)], NOW_SEC, None, None)  # type: ignore[arg-type]
    assert result.by_stream == {"s": ()}
    assert result.errors == {"lag:poll": "TypeError: 'NoneType' object is not callable"}
    col = make(world, kinesis=Broken(), dynamodb=Broken(), lambda_client=Broken())
    result = poll(col, [StreamRef("s", "arn:x", 24)])
    assert set(result.errors) == {"lag:efo:s", "lag:lambda:s", "lag:kcl"}


def test_failed_metrics_never_read_as_a_stopped_consumer(world):
    arn = world.stream("s")
    world.kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="reader")
    stub = Stubber(world.cloudwatch)
    stub.add_client_error("get_metric_data", "InternalFailure", "try later", 500)
    with stub:
        result = poll(make(world), [StreamRef("s", arn, 24)])
    assert result.errors == {"lag:metrics": "GetMetricData failed: InternalFailure: try later"}
    assert by_name(result, "s")[("efo", "reader")].status is LagStatus.UNKNOWN


def test_discovery_describes_a_few_tables_per_poll(world, monkeypatch):
    import kmon.collector.consumers.kcl_discovery as consumers

    monkeypatch.setattr(consumers, "DESCRIBE_PER_POLL", 2)
    arn = world.stream("s", shards=4)
    for name in ("a-app", "b-app", "c-app"):
        world.table(name, [lease_item("shardId-000000000003", "w")])
    calls: list[str] = []
    col = make(world, calls)
    refs = [StreamRef("s", arn, 24)]
    first = poll(col, refs)
    assert calls.count("DescribeTable") == 2
    assert [c.name for c in first.by_stream["s"]] == ["a-app", "b-app"]
    second = poll(col, refs)
    assert calls.count("DescribeTable") == 3 and calls.count("ListTables") == 1
    assert [c.name for c in second.by_stream["s"]] == ["a-app", "b-app", "c-app"]
    # Never checkpointed, one stream with that shard: matched, and said to be uncertain.
    assert second.by_stream["s"][0].note == "matched by shard ids only (no checkpoint yet)"


def test_a_throttled_list_keeps_the_last_good_consumers(world):
    arn = world.stream("s")
    world.kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="reader")
    mono = Mono()
    col = make(world, monotonic=mono)
    refs = [StreamRef("s", arn, 24)]
    assert ("efo", "reader") in by_name(poll(col, refs), "s")
    mono.t += 3600  # the cached list has expired
    stub = Stubber(world.kinesis)
    stub.add_client_error("list_stream_consumers", "LimitExceededException", "slow down")
    with stub:
        result = poll(col, refs)
    assert "lag:efo:s" in result.errors
    assert ("efo", "reader") in by_name(result, "s")


@pytest.mark.parametrize("denied", ["describe_table", "scan"])
def test_any_dynamodb_denial_names_its_permission(world, denied):
    arn = world.stream("s")
    stub = Stubber(world.dynamodb)
    stub.add_response("list_tables", {"TableNames": ["app"]})
    key = [{"AttributeName": "leaseKey", "KeyType": "HASH"}]
    if denied == "describe_table":
        stub.add_client_error("describe_table", "AccessDeniedException", "no")
    else:
        stub.add_response("describe_table", {"Table": {"TableName": "app", "KeySchema": key}})
        stub.add_client_error("scan", "AccessDeniedException", "no")
    with stub:
        result = poll(make(world), [StreamRef("s", arn, 24)])
        stub.assert_no_pending_responses()
    permission = {"describe_table": "DescribeTable", "scan": "Scan"}[denied]
    assert result.errors == {
        "lag:kcl": f"KCL applications not read: no permission: dynamodb:{permission}"
    }


def test_named_tables_are_read_when_discovery_is_denied(world):
    arn = world.stream("s")
    world.table("app", [lease_item("shardId-000000000000", "w")])
    stub = Stubber(world.dynamodb)
    stub.add_client_error("list_tables", "AccessDeniedException", "no")
    stub.add_response("scan", {"Items": [lease_item("shardId-000000000000", "w")]})
    stub.add_response("scan", {"Items": [lease_item("shardId-000000000000", "w")]})
    col = make(world, kcl_tables={"app": "s"})
    with stub:
        first = poll(col, [StreamRef("s", arn, 24)])
        second = poll(col, [StreamRef("s", arn, 24)])  # no second ListTables
        stub.assert_no_pending_responses()
    for result in (first, second):
        assert result.errors == {
            "lag:kcl-discovery": "KCL lease tables not discovered, only --kcl-table ones read: "
            "no permission: dynamodb:ListTables"
        }
        assert [(c.kind, c.name) for c in result.by_stream["s"]] == [("kcl", "app")]
