"""The demo world's account quotas are true to the world it built: DescribeLimits counts the
open shards and on-demand streams that exist (moto alone answers 0 and 0), and kmon shows
those figures."""

from __future__ import annotations

from datetime import datetime, timezone

import boto3

from kmon.collector.collector import Collector, CollectorOptions
from kmon.demo import DemoWorld
from kmon.demo.moto_patches import ON_DEMAND_STREAM_LIMIT, SHARD_LIMIT

T0 = datetime(2026, 11, 25, 9, 0, 30, tzinfo=timezone.utc)


def open_shards(kinesis, stream: str) -> int:
    shards = kinesis.list_shards(StreamName=stream)["Shards"]
    return sum(1 for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"])


def test_quotas_shown_match_the_shards_and_streams_that_exist() -> None:
    with DemoWorld(
        seed=7, region="eu-west-1", history_minutes=5, run_thread=False, clock=lambda: T0
    ) as world:
        kinesis = boto3.client(
            "kinesis",
            endpoint_url=world.endpoint,
            region_name=world.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        names = kinesis.list_streams()["StreamNames"]
        shards = sum(open_shards(kinesis, n) for n in names)
        modes = [
            kinesis.describe_stream_summary(StreamName=n)["StreamDescriptionSummary"][
                "StreamModeDetails"
            ]["StreamMode"]
            for n in names
        ]
        on_demand = modes.count("ON_DEMAND")
        assert shards > len(names) and on_demand >= 1  # not moto's fixed 0 and 0

        collector = Collector(
            CollectorOptions(region=world.region, endpoint_url=world.endpoint, emulator=True),
            clock=lambda: T0,
        )
        snap = collector.poll(complete=True)
        texts = [q.text for q in snap.quotas.quotas]
        assert texts == [
            f"shards {shards:,} of {SHARD_LIMIT:,}",
            f"on-demand streams {on_demand} of {ON_DEMAND_STREAM_LIMIT}",
        ]
        # The world's account has no On-demand Advantage commitment, and says so.
        assert snap.quotas.on_demand_advantage is False
        assert snap.quotas.efo_consumer_limit == 20
        assert snap.errors == ()

        # A stream created later is counted at once (moto keeps no count of its own).
        kinesis.create_stream(StreamName="extra", ShardCount=3)
        limits = kinesis.describe_limits()
        assert limits["OpenShardCount"] == shards + 3
        assert limits["OnDemandStreamCount"] == on_demand
