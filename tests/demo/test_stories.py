"""Each stream of the demo fleet tells its story, seen through boto3 only."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from kmon.demo import DemoWorld
from kmon.model import limits

STREAMS = {
    "orders-events",
    "clickstream",
    "payments-ledger",
    "inventory-updates",
    "telemetry-fanout",
    "user-profiles",
    "audit-trail",
}
OVERVIEW = (
    ("IncomingBytes", "Sum"),
    ("IncomingRecords", "Sum"),
    ("GetRecords.Bytes", "Sum"),
    ("GetRecords.IteratorAgeMilliseconds", "Maximum"),
    ("WriteProvisionedThroughputExceeded", "Sum"),
    ("ReadProvisionedThroughputExceeded", "Sum"),
)


def query(
    cw: Any,
    start: datetime,
    end: datetime,
    specs: list[tuple[str, str, str, dict[str, str], str]],
) -> dict[str, list[float]]:
    """One GetMetricData call; values per query id, oldest first."""
    queries = [
        {
            "Id": qid,
            "MetricStat": {
                "Metric": {
                    "Namespace": ns,
                    "MetricName": name,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                },
                "Period": 60,
                "Stat": stat,
            },
        }
        for qid, ns, name, dims, stat in specs
    ]
    resp = cw.get_metric_data(
        MetricDataQueries=queries, StartTime=start, EndTime=end, ScanBy="TimestampAscending"
    )
    return {r["Id"]: r["Values"] for r in resp["MetricDataResults"]}


def overview(cw: Any, world: DemoWorld) -> dict[str, dict[str, list[float]]]:
    end = world.published_until
    specs = [
        (f"s{i}m{j}", "AWS/Kinesis", name, {"StreamName": stream}, stat)
        for i, stream in enumerate(world.stream_names)
        for j, (name, stat) in enumerate(OVERVIEW)
    ]
    got = query(cw, end - timedelta(hours=3), end, specs)
    return {
        stream: {name: got[f"s{i}m{j}"] for j, (name, _) in enumerate(OVERVIEW)}
        for i, stream in enumerate(world.stream_names)
    }


def test_fleet_has_seven_story_streams(world: DemoWorld, aws: dict[str, Any]) -> None:
    assert set(world.stream_names) == STREAMS
    assert set(aws["kinesis"].list_streams()["StreamNames"]) == STREAMS
    assert world.endpoint.startswith("http://127.0.0.1:")
    tags = aws["kinesis"].list_tags_for_stream(StreamName="payments-ledger")["Tags"]
    assert {"Key": "team", "Value": "payments"} in tags
    assert world.region == "us-east-1"


def test_history_is_full_at_start(world: DemoWorld, aws: dict[str, Any]) -> None:
    data = overview(aws["cloudwatch"], world)
    for stream in STREAMS - {"audit-trail"}:
        assert len(data[stream]["IncomingBytes"]) == 180, stream
        assert len(data[stream]["GetRecords.IteratorAgeMilliseconds"]) == 180, stream


def test_throttles_only_on_hot_and_over_read_streams(world: DemoWorld, aws: dict[str, Any]) -> None:
    data = overview(aws["cloudwatch"], world)
    write = {s: sum(d["WriteProvisionedThroughputExceeded"]) for s, d in data.items()}
    read = {s: sum(d["ReadProvisionedThroughputExceeded"]) for s, d in data.items()}
    assert {s for s, v in write.items() if v > 0} == {"payments-ledger"}
    assert {s for s, v in read.items() if v > 0} == {"telemetry-fanout"}
    end = world.published_until
    got = query(
        aws["cloudwatch"],
        end - timedelta(minutes=30),
        end,
        [
            (
                "t",
                "AWS/Kinesis",
                "PutRecords.ThrottledRecords",
                {"StreamName": "payments-ledger"},
                "Sum",
            )
        ],
    )
    assert len(got["t"]) == 30 and min(got["t"]) > 0


def test_hot_shard_runs_at_its_write_limit(world: DemoWorld, aws: dict[str, Any]) -> None:
    summary = aws["kinesis"].describe_stream_summary(StreamName="payments-ledger")
    enabled = summary["StreamDescriptionSummary"]["EnhancedMonitoring"][0]["ShardLevelMetrics"]
    assert {"IncomingRecords", "WriteProvisionedThroughputExceeded"} <= set(enabled)
    end = world.published_until
    shards = [
        s["ShardId"] for s in aws["kinesis"].list_shards(StreamName="payments-ledger")["Shards"]
    ]
    specs = []
    for n, sid in enumerate(shards):
        dims = {"StreamName": "payments-ledger", "ShardId": sid}
        specs.append((f"in{n}", "AWS/Kinesis", "IncomingRecords", dims, "Sum"))
        specs.append((f"thr{n}", "AWS/Kinesis", "WriteProvisionedThroughputExceeded", dims, "Sum"))
    got = query(aws["cloudwatch"], end - timedelta(hours=1), end, specs)
    per_sec = {sid: sum(got[f"in{n}"]) / (60 * len(got[f"in{n}"])) for n, sid in enumerate(shards)}
    hot = max(per_sec, key=per_sec.get)
    # At the limit (within the one second of burst a bucket allows), never above it.
    assert 0.95 * limits.SHARD_WRITE_RECORDS_PER_SEC <= per_sec[hot]
    assert per_sec[hot] <= limits.SHARD_WRITE_RECORDS_PER_SEC * 61 / 60
    throttled = {sid for n, sid in enumerate(shards) if sum(got[f"thr{n}"]) > 0}
    assert throttled == {hot}
    assert all(v < 0.5 * limits.SHARD_WRITE_RECORDS_PER_SEC for s, v in per_sec.items() if s != hot)


def test_lagging_application_iterator_age_grows(world: DemoWorld, aws: dict[str, Any]) -> None:
    data = overview(aws["cloudwatch"], world)
    age = data["inventory-updates"]["GetRecords.IteratorAgeMilliseconds"]
    assert age[0] < 30_000  # healthy three hours ago
    assert age[-1] > 30 * 60_000  # more than half an hour behind now
    assert age[-1] > age[-31] > age[-61]  # and still growing
    for healthy in ("orders-events", "payments-ledger", "user-profiles"):
        assert max(data[healthy]["GetRecords.IteratorAgeMilliseconds"]) < 30_000, healthy
    end = world.published_until
    got = query(
        aws["cloudwatch"],
        end - timedelta(minutes=10),
        end,
        [
            (
                "app",
                "inventory-projector",
                "MillisBehindLatest",
                {"Operation": "ApplicationTracker"},
                "Maximum",
            ),
            (
                "shard",
                "inventory-projector",
                "MillisBehindLatest",
                {"Operation": "ProcessTask", "ShardId": "shardId-000000000000"},
                "Maximum",
            ),
        ],
    )
    assert got["app"][-1] > 30 * 60_000
    assert 0 < got["shard"][-1] <= got["app"][-1]
    # Each application's namespace holds only its own lag (as in CloudWatch).
    healthy = query(
        aws["cloudwatch"],
        end - timedelta(minutes=10),
        end,
        [
            (
                "app",
                "order-enricher",
                "MillisBehindLatest",
                {"Operation": "ApplicationTracker"},
                "Maximum",
            )
        ],
    )
    assert 0 < max(healthy["app"]) < 30_000
    retention_ms = 24 * 3_600_000
    assert got["app"][-1] < limits.RETENTION_RISK_FRACTION * retention_ms


def test_lease_checkpoints_are_real_sequence_numbers(world: DemoWorld, aws: dict[str, Any]) -> None:
    items = aws["dynamodb"].scan(TableName="inventory-projector")["Items"]
    assert {i["leaseKey"]["S"] for i in items} == {f"shardId-00000000000{n}" for n in range(4)}
    assert len({i["leaseOwner"]["S"] for i in items}) >= 2
    k = aws["kinesis"]
    for item in items:
        for attr in ("leaseCounter", "checkpointSubSequenceNumber", "ownerSwitchesSinceCheckpoint"):
            assert "N" in item[attr], attr
        assert int(item["leaseCounter"]["N"]) > 0
        seq = item["checkpoint"]["S"]
        assert seq.isdigit(), seq
        it = k.get_shard_iterator(
            StreamName="inventory-updates",
            ShardId=item["leaseKey"]["S"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=seq,
        )["ShardIterator"]
        record = k.get_records(ShardIterator=it, Limit=1)["Records"][0]
        assert record["SequenceNumber"] == seq
        # The checkpointed record is as old as the application is behind.
        minute = datetime.fromisoformat(json.loads(record["Data"])["minute"].replace("Z", "+00:00"))
        assert world.published_until - minute > timedelta(minutes=30)


def test_sequence_numbers_belong_to_one_shard_and_arrive_in_simulated_time(
    world: DemoWorld, aws: dict[str, Any]
) -> None:
    assert world.kcl_tables == {
        "order-enricher": "orders-events",
        "inventory-projector": "inventory-updates",
        "profile-indexer": "user-profiles",
    }
    k = aws["kinesis"]
    item = aws["dynamodb"].get_item(
        TableName="inventory-projector", Key={"leaseKey": {"S": "shardId-000000000001"}}
    )["Item"]
    seq = item["checkpoint"]["S"]
    # Like AWS, another stream (or shard) rejects the checkpoint: a lease table has one stream.
    for stream, shard in (
        ("orders-events", "shardId-000000000001"),
        ("inventory-updates", "shardId-000000000002"),
    ):
        with pytest.raises(k.exceptions.InvalidArgumentException):
            k.get_shard_iterator(
                StreamName=stream,
                ShardId=shard,
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                StartingSequenceNumber=seq,
            )
    it = k.get_shard_iterator(
        StreamName="inventory-updates",
        ShardId="shardId-000000000001",
        ShardIteratorType="AFTER_SEQUENCE_NUMBER",
        StartingSequenceNumber=seq,
    )["ShardIterator"]
    page = k.get_records(ShardIterator=it, Limit=1)
    record = page["Records"][0]
    minute = json.loads(record["Data"])["minute"]
    arrival = record["ApproximateArrivalTimestamp"].astimezone(timezone.utc)
    assert arrival.strftime("%Y-%m-%dT%H:%MZ") == minute  # simulated, not when it was written
    # What a KCL worker would see: the application is more than half an hour behind.
    assert page["MillisBehindLatest"] > 30 * 60_000


def test_lease_counters_increase_as_workers_renew(
    world: DemoWorld, aws: dict[str, Any], clock: Any, wait: Any
) -> None:
    def counters() -> dict[str, int]:
        items = aws["dynamodb"].scan(TableName="order-enricher")["Items"]
        return {i["leaseKey"]["S"]: int(i["leaseCounter"]["N"]) for i in items}

    before = counters()
    target = world.published_until + timedelta(minutes=1, seconds=5)
    clock.set(target)
    wait(lambda: world.published_until >= target.replace(second=0))
    after = counters()
    assert before.keys() == after.keys() and len(after) == 4
    assert all(after[k] > before[k] for k in before)
    owners = {
        i["leaseOwner"]["S"] for i in aws["dynamodb"].scan(TableName="order-enricher")["Items"]
    }
    assert 2 <= len(owners) <= 3


def test_new_minute_is_published_as_the_clock_moves(
    world: DemoWorld, aws: dict[str, Any], clock: Any, wait: Any
) -> None:
    end = world.published_until
    before = overview(aws["cloudwatch"], world)["orders-events"]["IncomingBytes"]
    target = end + timedelta(minutes=1, seconds=1)
    clock.set(target)
    wait(lambda: world.published_until >= end + timedelta(minutes=1))
    got = query(
        aws["cloudwatch"],
        end,
        end + timedelta(minutes=1),
        [("b", "AWS/Kinesis", "IncomingBytes", {"StreamName": "orders-events"}, "Sum")],
    )
    assert len(got["b"]) == 1 and got["b"][0] > 0
    assert len(before) == 180


def test_reshard_leaves_closed_parents_and_open_children(
    world: DemoWorld, aws: dict[str, Any]
) -> None:
    shards = aws["kinesis"].list_shards(StreamName="user-profiles")["Shards"]
    parents = [s for s in shards if "EndingSequenceNumber" in s["SequenceNumberRange"]]
    children = [s for s in shards if "ParentShardId" in s]
    assert len(parents) == 2 and len(children) == 4
    summary = aws["kinesis"].describe_stream_summary(StreamName="user-profiles")
    assert summary["StreamDescriptionSummary"]["OpenShardCount"] == 4
    assert {c["ParentShardId"] for c in children} == {p["ShardId"] for p in parents}
    assert all("EndingSequenceNumber" not in c["SequenceNumberRange"] for c in children)
    # Parents keep their records and numbers; each shard has its own sequence numbers.
    unit = 10**40
    for p in parents:
        rng = p["SequenceNumberRange"]
        assert (
            int(rng["StartingSequenceNumber"]) // unit == int(rng["EndingSequenceNumber"]) // unit
        )
        assert int(rng["EndingSequenceNumber"]) - int(rng["StartingSequenceNumber"]) >= 100
    owners = {int(s["SequenceNumberRange"]["StartingSequenceNumber"]) // unit for s in shards}
    assert len(owners) == len(shards)
    # New records land in the children.
    k = aws["kinesis"]
    child = children[0]["ShardId"]
    it = k.get_shard_iterator(
        StreamName="user-profiles", ShardId=child, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    assert k.get_records(ShardIterator=it)["Records"]
    leases = {
        i["leaseKey"]["S"]: i for i in aws["dynamodb"].scan(TableName="profile-indexer")["Items"]
    }
    for c in children:
        assert leases[c["ShardId"]]["parentShardId"]["SS"] == [c["ParentShardId"]]
    for p in parents:
        assert "parentShardId" not in leases[p["ShardId"]]
        assert leases[p["ShardId"]]["checkpoint"]["S"] == "SHARD_END"
        assert len(leases[p["ShardId"]]["childShardIds"]["SS"]) == 2


def test_reshard_happens_minutes_into_the_demo(world: DemoWorld, run_minutes: int) -> None:
    assert world.resharded
    assert world.started_at is not None
    t0 = world.started_at.replace(second=0)
    assert world.published_until >= t0 + timedelta(minutes=run_minutes)


def test_fan_out_consumers_and_lambda_mapping(world: DemoWorld, aws: dict[str, Any]) -> None:
    k = aws["kinesis"]
    arn = k.describe_stream_summary(StreamName="telemetry-fanout")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    consumers = k.list_stream_consumers(StreamARN=arn)["Consumers"]
    assert len(consumers) >= 3
    mappings = aws["lambda"].list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    assert len(mappings) == 1
    assert mappings[0]["FunctionArn"].endswith(":function:telemetry-alerts")
    end = world.published_until
    specs = [
        (
            f"c{n}",
            "AWS/Kinesis",
            "SubscribeToShardEvent.MillisBehindLatest",
            {"StreamName": "telemetry-fanout", "ConsumerName": c["ConsumerName"]},
            "Maximum",
        )
        for n, c in enumerate(consumers)
    ]
    specs.append(
        ("fn", "AWS/Lambda", "IteratorAge", {"FunctionName": "telemetry-alerts"}, "Maximum")
    )
    got = query(aws["cloudwatch"], end - timedelta(minutes=15), end, specs)
    assert all(len(v) == 15 for v in got.values())
    assert all(0 < max(v) < 30_000 for v in got.values())


def test_quiet_stream_keeps_a_week(world: DemoWorld, aws: dict[str, Any]) -> None:
    summary = aws["kinesis"].describe_stream_summary(StreamName="audit-trail")
    assert summary["StreamDescriptionSummary"]["RetentionPeriodHours"] == 168
    data = overview(aws["cloudwatch"], world)
    assert sum(data["audit-trail"]["IncomingRecords"]) / (3 * 3600) < 1.0
    assert sum(data["orders-events"]["IncomingRecords"]) / (3 * 3600) > 100


def test_on_demand_stream_is_busy_and_bursty(world: DemoWorld, aws: dict[str, Any]) -> None:
    summary = aws["kinesis"].describe_stream_summary(StreamName="clickstream")
    assert summary["StreamDescriptionSummary"]["StreamModeDetails"]["StreamMode"] == "ON_DEMAND"
    incoming = overview(aws["cloudwatch"], world)["clickstream"]["IncomingBytes"]
    rates = sorted(v / 60 for v in incoming)
    median = rates[len(rates) // 2]
    assert median > 1.5 * limits.MIB
    assert rates[-1] > 1.25 * median  # bursts
    assert rates[-1] < limits.on_demand_write_bytes(4.2 * limits.MIB)


def test_second_world_in_the_same_region_is_refused(world: DemoWorld) -> None:
    other = DemoWorld(seed=1, region=world.region, history_minutes=2, run_thread=False)
    with pytest.raises(RuntimeError, match="already has demo streams"):
        other.start()
    other.stop()
