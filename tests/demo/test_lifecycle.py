"""Starting, stopping and running a world for a long (simulated) time."""

from __future__ import annotations

import json
import socket
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from moto.cloudwatch.models import MetricAggregatedDatum

from kmon.demo import DemoWorld, demo_available

T0 = datetime(2026, 11, 25, 9, 0, 30, tzinfo=timezone.utc)


def _cloudwatch(world: DemoWorld) -> Any:
    return boto3.client(
        "cloudwatch",
        endpoint_url=world.endpoint,
        region_name=world.region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_demo_available() -> None:
    assert demo_available() is True


def test_stop_is_idempotent_and_cleans_up() -> None:
    with DemoWorld(
        seed=3, region="us-west-2", history_minutes=5, run_thread=False, clock=lambda: T0
    ) as world:
        kinesis = boto3.client(
            "kinesis",
            endpoint_url=world.endpoint,
            region_name=world.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        assert len(kinesis.list_streams()["StreamNames"]) == 7
        world.stop()
        world.stop()
        with pytest.raises(EndpointConnectionError):
            kinesis.list_streams()
    world.stop()
    # A new world can use the same region once the old one is gone.
    again = DemoWorld(
        seed=3, region="us-west-2", history_minutes=2, run_thread=False, clock=lambda: T0
    )
    again.start()
    again.stop()


def test_long_run_keeps_the_store_bounded() -> None:
    others = len(MetricAggregatedDatum.instances_tracked)  # other worlds' in this process
    world = DemoWorld(
        seed=5,
        region="eu-west-1",
        history_minutes=10,
        run_thread=False,
        clock=lambda: T0,
        reshard_after_sec=120,
    )
    world.start()
    try:
        per_minute = world.stored_datapoints() / 10
        for _ in range(40):
            world.step()
        limit = (
            (10 + 15 + 1) * per_minute * 1.2
        )  # history + prune margin; the reshard adds KCL shards
        assert world.stored_datapoints() <= limit
        end = world.published_until
        resp = _cloudwatch(world).get_metric_data(
            MetricDataQueries=[
                {
                    "Id": "b",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/Kinesis",
                            "MetricName": "IncomingBytes",
                            "Dimensions": [{"Name": "StreamName", "Value": "orders-events"}],
                        },
                        "Period": 60,
                        "Stat": "Sum",
                    },
                }
            ],
            StartTime=end - timedelta(hours=3),
            EndTime=end,
        )
        assert len(resp["MetricDataResults"][0]["Values"]) == 10 + 15
        assert world.resharded
    finally:
        world.stop()
    assert len(MetricAggregatedDatum.instances_tracked) <= others


def test_busy_port_is_reported_not_waited_on() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        world = DemoWorld(port=port, region="ap-south-1", history_minutes=2, run_thread=False)
        with pytest.raises(OSError, match=f"port {port} on 127.0.0.1 is in use"):
            world.start()
        world.stop()


def test_explicit_port_is_used() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with DemoWorld(port=port, region="ap-south-1", history_minutes=2, run_thread=False) as world:
        assert world.endpoint == f"http://127.0.0.1:{port}"
        assert len(_cloudwatch(world).list_metrics()["Metrics"]) > 50


def test_a_failed_minute_is_a_gap_not_a_stall(monkeypatch: pytest.MonkeyPatch) -> None:
    from kmon.demo import publisher

    with DemoWorld(
        region="ap-south-1", history_minutes=2, run_thread=False, clock=lambda: T0
    ) as world:
        real_put_all = publisher.put_all
        calls = {"n": 0}

        def flaky(*args: Any, **kwargs: Any) -> int:
            calls["n"] += 1
            if calls["n"] == 1:
                raise ConnectionError("emulator hiccup")
            return real_put_all(*args, **kwargs)

        monkeypatch.setattr(publisher, "put_all", flaky)
        end = world.published_until
        assert world.advance_to(end + timedelta(minutes=2)) == 1
        assert world.published_until == end + timedelta(minutes=2)
        values = _cloudwatch(world).get_metric_data(
            MetricDataQueries=[
                {
                    "Id": "b",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/Kinesis",
                            "MetricName": "IncomingBytes",
                            "Dimensions": [{"Name": "StreamName", "Value": "orders-events"}],
                        },
                        "Period": 60,
                        "Stat": "Sum",
                    },
                }
            ],
            StartTime=end,
            EndTime=end + timedelta(minutes=2),
            ScanBy="TimestampAscending",
        )["MetricDataResults"][0]["Timestamps"]
        assert values == [end + timedelta(minutes=1)]  # aware datetimes compare across zones


def test_a_stopped_world_cannot_restart() -> None:
    world = DemoWorld(region="ap-south-1", history_minutes=1, run_thread=False)
    world.start()
    world.stop()
    with pytest.raises(RuntimeError, match="cannot be started again"):
        world.start()


def test_records_expire_after_the_retention_period() -> None:
    with DemoWorld(
        region="ap-south-1", history_minutes=10, run_thread=False, clock=lambda: T0
    ) as world:
        kinesis = boto3.client(
            "kinesis",
            endpoint_url=world.endpoint,
            region_name=world.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

        def oldest_minute(stream: str) -> str:
            it = kinesis.get_shard_iterator(
                StreamName=stream, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            return json.loads(kinesis.get_records(ShardIterator=it, Limit=1)["Records"][0]["Data"])[
                "minute"
            ]

        first = oldest_minute("orders-events")
        # Pretend a day has passed since five minutes into the history: those records expire.
        cutoff = world.history_start() + timedelta(minutes=5)
        assert world.expire_records(cutoff.timestamp() + 24 * 3600) > 0
        after = oldest_minute("orders-events")
        assert first < after
        assert after == cutoff.strftime("%Y-%m-%dT%H:%MZ")
        # Nothing more is old enough at the same time.
        assert world.expire_records(cutoff.timestamp() + 24 * 3600) == 0


def _fingerprint(world: DemoWorld) -> tuple[list[Any], list[str]]:
    end = world.published_until
    queries = [
        {
            "Id": f"q{n}",
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
        for n, stream in enumerate(world.stream_names)
    ]
    results = _cloudwatch(world).get_metric_data(
        MetricDataQueries=queries, StartTime=end - timedelta(minutes=5), EndTime=end
    )["MetricDataResults"]
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=world.endpoint,
        region_name=world.region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    items = dynamodb.scan(TableName="order-enricher")["Items"]
    owners = sorted(f"{i['leaseKey']['S']}={i['leaseOwner']['S']}" for i in items)
    return [r["Values"] for r in results], owners


def test_a_seed_reproduces_the_world() -> None:
    prints = []
    for seed, region in ((11, "us-west-1"), (11, "us-east-2"), (12, "us-west-1")):
        with DemoWorld(
            seed=seed, region=region, history_minutes=5, run_thread=False, clock=lambda: T0
        ) as world:
            prints.append(_fingerprint(world))
    assert prints[0] == prints[1]
    assert prints[0][0] != prints[2][0] and prints[0][1] != prints[2][1]


def test_reads_wait_for_the_world_to_finish_changing_a_shard() -> None:
    # moto serves requests on threads without locks: a GetRecords iterating a shard while the
    # world writes or expires records would fail. Reads of the world's shards take its lock.
    from kmon.demo.moto_patches import RECORDS_LOCK

    with DemoWorld(
        region="ap-south-1", history_minutes=3, run_thread=False, clock=lambda: T0
    ) as world:
        kinesis = boto3.client(
            "kinesis",
            endpoint_url=world.endpoint,
            region_name=world.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        it = kinesis.get_shard_iterator(
            StreamName="orders-events",
            ShardId="shardId-000000000000",
            ShardIteratorType="TRIM_HORIZON",
        )["ShardIterator"]
        got: list[int] = []
        reader = threading.Thread(
            target=lambda: got.append(len(kinesis.get_records(ShardIterator=it)["Records"]))
        )
        with RECORDS_LOCK:
            reader.start()
            reader.join(0.5)
            assert reader.is_alive() and not got  # waiting for the lock
        reader.join(10)
        assert got == [3]
