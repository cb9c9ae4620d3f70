"""The demo world's second region and its replication pair, seen through boto3 only: each
region answers for its own fleet on the one endpoint, a stream name in both regions carries
each region's own traffic, and a Lambda replicator in us-east-1 copies clickstream to
eu-west-1, falling minutes behind and catching up again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from typing import Any

import boto3
import pytest

from kmon.demo import DemoWorld, emulator
from kmon.demo.fleet import replica_fleet, replicator
from kmon.demo.traffic import StreamModel

T0 = datetime(2026, 11, 25, 14, 30, 20, tzinfo=timezone.utc)
HISTORY = 100  # minutes: two and a half of the replicator's 40-minute cycles
PRIMARY = "us-east-1"
REPLICA = "eu-west-1"
REPLICA_STREAMS = ["clickstream", "orders-events", "consent-events"]
REPLICATOR = "cs-replicate-eu-west-1"


@pytest.fixture(scope="module")
def world() -> Iterator[DemoWorld]:
    with DemoWorld(seed=7, clock=lambda: T0, run_thread=False, history_minutes=HISTORY) as w:
        yield w


def client(world: DemoWorld, service: str, region: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=world.endpoint,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def series(
    world: DemoWorld, region: str, namespace: str, name: str, dims: dict[str, str], stat: str
) -> list[float]:
    """One metric's whole history in `region`, a value a minute, oldest first."""
    end = world.published_until
    resp = client(world, "cloudwatch", region).get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {
                        "Namespace": namespace,
                        "MetricName": name,
                        "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                    },
                    "Period": 60,
                    "Stat": stat,
                },
            }
        ],
        StartTime=end - timedelta(minutes=HISTORY),
        EndTime=end,
        ScanBy="TimestampAscending",
    )
    return resp["MetricDataResults"][0]["Values"]


def incoming(world: DemoWorld, region: str, stream: str) -> list[float]:
    return series(world, region, "AWS/Kinesis", "IncomingRecords", {"StreamName": stream}, "Sum")


def replicator_age_ms(world: DemoWorld) -> list[float]:
    return series(
        world, PRIMARY, "AWS/Lambda", "IteratorAge", {"FunctionName": REPLICATOR}, "Maximum"
    )


def test_world_names_its_regions_and_replication_pair(world: DemoWorld) -> None:
    assert world.regions == (PRIMARY, REPLICA)
    assert world.region == PRIMARY and world.replica_region == REPLICA
    assert "clickstream" in world.stream_names and "consent-events" not in world.stream_names
    assert world.streams_by_region[PRIMARY] == world.stream_names
    assert world.streams_by_region[REPLICA] == REPLICA_STREAMS
    assert world.stream_names_in(REPLICA) == REPLICA_STREAMS
    assert world.replication == (("us-east-1/clickstream", "eu-west-1/clickstream"),)
    assert world.replicators == {REPLICATOR: world.replication[0]}


def test_each_region_lists_only_its_own_streams(world: DemoWorld) -> None:
    us = client(world, "kinesis", PRIMARY)
    eu = client(world, "kinesis", REPLICA)
    # moto's backends are shared by every server in the process: another test's streams may
    # be listed beside the world's, never the other region's.
    listed_eu = set(eu.list_streams()["StreamNames"])
    listed_us = set(us.list_streams()["StreamNames"])
    assert listed_eu >= set(REPLICA_STREAMS) and "payments-ledger" not in listed_eu
    assert listed_us >= set(world.stream_names) and "consent-events" not in listed_us
    with pytest.raises(us.exceptions.ResourceNotFoundException):
        us.describe_stream_summary(StreamName="consent-events")
    with pytest.raises(eu.exceptions.ResourceNotFoundException):
        eu.describe_stream_summary(StreamName="payments-ledger")
    summary = eu.describe_stream_summary(StreamName="consent-events")["StreamDescriptionSummary"]
    assert ":eu-west-1:" in summary["StreamARN"]
    tags = eu.list_tags_for_stream(StreamName="clickstream")["Tags"]
    assert {"Key": "replica-of", "Value": "us-east-1/clickstream"} in tags


def test_replica_region_has_a_full_history(world: DemoWorld) -> None:
    for stream in REPLICA_STREAMS:
        assert len(incoming(world, REPLICA, stream)) == HISTORY, stream
    # Each region's consumers publish their lag in their own region.
    consent = series(
        world, REPLICA, "AWS/Lambda", "IteratorAge", {"FunctionName": "consent-sync"}, "Maximum"
    )
    assert len(consent) == HISTORY and 0 < max(consent) < 30_000
    assert (
        series(
            world, PRIMARY, "AWS/Lambda", "IteratorAge", {"FunctionName": "consent-sync"}, "Maximum"
        )
        == []
    )


def test_same_stream_name_carries_each_regions_own_traffic(world: DemoWorld) -> None:
    us = incoming(world, PRIMARY, "orders-events")
    eu = incoming(world, REPLICA, "orders-events")
    assert len(us) == len(eu) == HISTORY
    assert sum(eu) < 0.3 * sum(us)  # European orders: a fraction of the US volume
    assert sum(eu) / (HISTORY * 60) > 20  # but busy, not idle
    shards = {
        region: len(
            client(world, "kinesis", region).list_shards(StreamName="orders-events")["Shards"]
        )
        for region in (PRIMARY, REPLICA)
    }
    assert shards == {PRIMARY: 4, REPLICA: 2}


def test_replicator_maps_the_source_stream_in_the_primary_region(world: DemoWorld) -> None:
    us = client(world, "lambda", PRIMARY)
    arn = client(world, "kinesis", PRIMARY).describe_stream_summary(StreamName="clickstream")[
        "StreamDescriptionSummary"
    ]["StreamARN"]
    mappings = us.list_event_source_mappings(FunctionName=REPLICATOR)["EventSourceMappings"]
    assert len(mappings) == 1
    assert mappings[0]["EventSourceArn"] == arn
    assert ":us-east-1:" in arn
    eu = client(world, "lambda", REPLICA)
    with pytest.raises(eu.exceptions.ResourceNotFoundException):
        eu.get_function(FunctionName=REPLICATOR)


def test_replica_receives_the_sources_records_as_late_as_the_replicator(
    world: DemoWorld,
) -> None:
    source = incoming(world, PRIMARY, "clickstream")
    replica = incoming(world, REPLICA, "clickstream")
    age = replicator_age_ms(world)
    assert len(source) == len(replica) == len(age) == HISTORY
    # Everything arrives, minus what the replicator has not copied yet.
    assert 0.9 * sum(source) < sum(replica) <= sum(source)
    # Never ahead of the source: a record is copied after it arrived.
    for copied, arrived in zip(accumulate(replica), accumulate(source), strict=True):
        assert copied <= arrived * 1.0001
    # Caught up (for the whole minute), a minute's records are the source's minute.
    steady = [i for i in range(1, HISTORY) if max(age[i - 1], age[i]) < 5_000]
    assert len(steady) > HISTORY / 3
    for i in steady:
        assert replica[i] == pytest.approx(source[i], rel=0.02), i
    # Behind, fewer arrive than the source takes; catching up, more.
    assert any(r < 0.7 * s for r, s in zip(replica, source, strict=True))
    assert any(r > 1.3 * s for r, s in zip(replica, source, strict=True))


def test_replication_lag_climbs_for_minutes_then_recovers(world: DemoWorld) -> None:
    age = replicator_age_ms(world)
    peaks = [i for i in range(1, HISTORY - 1) if age[i - 1] < age[i] >= age[i + 1]]
    high = [i for i in peaks if age[i] > 60_000]
    assert high, "the replicator never fell a minute behind"
    # After a peak it catches up: back to about a second behind.
    first = high[0]
    assert min(age[first:]) < 5_000
    assert max(age) < 15 * 60_000  # a few minutes, not hours
    # It climbs over many minutes, not in one jump.
    climb = first
    while climb > 0 and age[climb - 1] < age[climb]:
        climb -= 1
    assert first - climb >= 8
    # At the start of the demo it is visibly behind and still falling further behind.
    assert age[-1] > 60_000 and age[-1] > age[-2]
    # The source stream's own iterator age shows the slowest reader: the replicator.
    stream_age = series(
        world,
        PRIMARY,
        "AWS/Kinesis",
        "GetRecords.IteratorAgeMilliseconds",
        {"StreamName": "clickstream"},
        "Maximum",
    )
    assert stream_age[-1] >= age[-1] * 0.99


def test_a_new_minute_is_published_in_both_regions(world: DemoWorld) -> None:
    end = world.published_until
    assert world.step() == 1
    for region in world.regions:
        got = client(world, "cloudwatch", region).get_metric_data(
            MetricDataQueries=[
                {
                    "Id": "m",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/Kinesis",
                            "MetricName": "IncomingRecords",
                            "Dimensions": [{"Name": "StreamName", "Value": "clickstream"}],
                        },
                        "Period": 60,
                        "Stat": "Sum",
                    },
                }
            ],
            StartTime=end,
            EndTime=end + timedelta(minutes=1),
        )["MetricDataResults"][0]["Values"]
        assert len(got) == 1 and got[0] > 0, region


def test_replicator_slows_down_for_12_of_every_40_minutes() -> None:
    slow = replicator("clickstream", REPLICA).degradation
    assert slow is not None
    # Six minutes into a slow window when the world starts; the window before is history.
    minutes = (-6.5, -6, 0, 5.9, 6, 33.9, 34, 45.9, 46)
    assert [m for m in minutes if slow.active(m)] == [-6, 0, 5.9, 34, 45.9]
    assert slow.active(-46) and not slow.active(-34)


def test_replica_takes_exactly_what_its_replicator_wrote() -> None:
    spec = next(s for s in replica_fleet() if s.replica)
    model = StreamModel(spec, 7, T0.timestamp(), "replica")
    start = T0.timestamp() // 60 * 60
    for n, copied in enumerate((90_000.0, 0.0, 240_000.0)):
        model.feed(copied)
        minute = model.step(start + 60 * n)
        assert minute.records == pytest.approx(copied)
        assert minute.throttled_records == 0


def test_one_region_worlds() -> None:
    assert DemoWorld(replica_region=None).regions == (PRIMARY,)
    alone = DemoWorld(region=REPLICA)  # the replica region as the primary: no replica
    assert alone.regions == (REPLICA,) and alone.replication == ()
    assert "consent-events" not in alone.stream_names


def _replica_print(seed: int, primary: str, replica: str) -> tuple[list[list[float]], list[str]]:
    with DemoWorld(
        seed=seed,
        region=primary,
        replica_region=replica,
        history_minutes=5,
        run_thread=False,
        clock=lambda: T0,
    ) as w:
        cw = client(w, "cloudwatch", replica)
        end = w.published_until
        values = [
            cw.get_metric_data(
                MetricDataQueries=[
                    {
                        "Id": "m",
                        "MetricStat": {
                            "Metric": {
                                "Namespace": "AWS/Kinesis",
                                "MetricName": "IncomingRecords",
                                "Dimensions": [{"Name": "StreamName", "Value": stream}],
                            },
                            "Period": 60,
                            "Stat": "Sum",
                        },
                    }
                ],
                StartTime=end - timedelta(minutes=5),
                EndTime=end,
            )["MetricDataResults"][0]["Values"]
            for stream in REPLICA_STREAMS
        ]
        items = client(w, "dynamodb", replica).scan(TableName="order-enricher")["Items"]
        owners = sorted(f"{i['leaseKey']['S']}={i['leaseOwner']['S']}" for i in items)
        us_items = client(w, "dynamodb", primary).scan(TableName="order-enricher")["Items"]
        assert not {i["leaseOwner"]["S"] for i in us_items} & {i["leaseOwner"]["S"] for i in items}
    # Stopped: nothing of the world is left in either region for the next one.
    account = w.account_id
    assert not emulator.backends(account, primary)["kinesis"].streams
    assert not emulator.backends(account, replica)["kinesis"].streams
    return values, owners


def test_a_seed_reproduces_the_replica_fleet_wherever_it_is_placed() -> None:
    # Regions no other world of this module uses: the module's world is still running.
    first = _replica_print(11, "us-west-1", "ap-southeast-1")
    again = _replica_print(11, "us-east-2", "ap-southeast-2")
    assert first == again
    assert all(len(v) == 5 and min(v) > 0 for v in first[0])
