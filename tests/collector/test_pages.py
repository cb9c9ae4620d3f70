"""Paged reads go through botocore's paginators: one gate per request, and no more requests
than the pages AWS says there are."""

from __future__ import annotations

from datetime import datetime, timezone

import boto3
import pytest
from botocore.stub import Stubber

from kmon.collector import kinesis
from kmon.collector.errors import KmonError
from kmon.collector.metrics import MetricQuery, get_metric_data
from kmon.collector.pages import pages
from tests.faultproxy import FaultProxy
from tests.seed import REGION


def client(service: str, endpoint_url: str | None = None):
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def shard(n: int) -> dict:
    return {
        "ShardId": f"shardId-{n:012d}",
        "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": "1"},
        "SequenceNumberRange": {"StartingSequenceNumber": "1"},
    }


def summary(name: str) -> dict:
    return {
        "StreamName": name,
        "StreamARN": f"arn:aws:kinesis:{REGION}:123456789012:stream/{name}",
        "StreamStatus": "ACTIVE",
        "StreamCreationTimestamp": datetime(2026, 1, 1, tzinfo=timezone.utc),
    }


def test_list_shards_asks_for_later_pages_by_token_alone():
    # AWS rejects StreamName alongside NextToken; botocore's paginator would send both.
    k = client("kinesis")
    gated: list[str] = []
    with Stubber(k) as stub:
        stub.add_response(
            "list_shards", {"Shards": [shard(0)], "NextToken": "t1"}, {"StreamName": "s"}
        )
        stub.add_response(
            "list_shards", {"Shards": [shard(1)], "NextToken": "t2"}, {"NextToken": "t1"}
        )
        stub.add_response("list_shards", {"Shards": [shard(2)]}, {"NextToken": "t2"})
        shards = kinesis.list_shards(k, "s", gated.append)
        stub.assert_no_pending_responses()
    assert [s["ShardId"] for s in shards] == [shard(n)["ShardId"] for n in range(3)]
    assert gated == ["ListShards"] * 3


def test_list_streams_follows_has_more_streams_and_stops_when_it_is_false():
    k = client("kinesis")
    gated: list[str] = []
    page = {"StreamNames": [], "HasMoreStreams": True, "NextToken": "n1"}
    with Stubber(k) as stub:
        stub.add_response(
            "list_streams", {**page, "StreamSummaries": [summary("a")]}, {"Limit": 1000}
        )
        # A token with HasMoreStreams false is the last page all the same.
        last = {**page, "HasMoreStreams": False, "NextToken": "n2"}
        stub.add_response(
            "list_streams",
            {**last, "StreamSummaries": [summary("b")]},
            {"Limit": 1000, "NextToken": "n1"},
        )
        streams = kinesis.list_streams(k, gated.append)
        stub.assert_no_pending_responses()
    assert [s.name for s in streams] == ["a", "b"]
    assert gated == ["ListStreams"] * 2


def test_one_page_is_one_gate():
    k = client("kinesis")
    gated: list[str] = []
    with Stubber(k) as stub:
        stub.add_response("list_streams", {"StreamNames": ["old"], "HasMoreStreams": False})
        (listed,) = kinesis.list_streams(k, gated.append)
    assert listed.name == "old" and listed.arn is None  # names only: the old shape
    assert gated == ["ListStreams"]


def test_get_metric_data_keeps_each_page_result_under_its_query():
    cw = client("cloudwatch")
    gated: list[str] = []
    t = [datetime(2026, 1, 1, 0, m, tzinfo=timezone.utc) for m in range(3)]
    queries = [
        MetricQuery(("s", key), "AWS/Kinesis", name, (("StreamName", "s"),), "Sum")
        for key, name in (("in", "IncomingBytes"), ("out", "GetRecords.Bytes"))
    ]
    with Stubber(cw) as stub:
        stub.add_response(
            "get_metric_data",
            {
                "MetricDataResults": [{"Id": "q0", "Timestamps": t[:2], "Values": [1.0, 2.0]}],
                "NextToken": "m1",
            },
        )
        stub.add_response(
            "get_metric_data",
            {
                "MetricDataResults": [
                    {"Id": "q0", "Timestamps": t[2:], "Values": [3.0]},
                    {"Id": "q1", "Timestamps": t[:1], "Values": [9.0]},
                ]
            },
        )
        results, calls = get_metric_data(
            cw, queries, int(t[0].timestamp()), int(t[2].timestamp()) + 60, 60, gated.append
        )
        stub.assert_no_pending_responses()
    at = [int(x.timestamp()) for x in t]
    assert results == [
        (0, [(at[0], 1.0), (at[1], 2.0)]),
        (0, [(at[2], 3.0)]),
        (1, [(at[0], 9.0)]),
    ]
    assert calls == 2 and gated == ["GetMetricData"] * 2


def test_a_refused_gate_sends_no_request():
    k = client("kinesis")
    arn = summary("s")["StreamARN"]
    gated: list[str] = []

    def gate(api: str) -> None:
        gated.append(api)
        if len(gated) > 1:
            raise KmonError(f"{api}: refused")

    with Stubber(k) as stub:
        stub.add_response("list_stream_consumers", {"Consumers": [], "NextToken": "c1"})
        with pytest.raises(KmonError, match="refused"):
            kinesis.list_consumers(k, arn, gate)
        stub.assert_no_pending_responses()
    assert gated == ["ListStreamConsumers"] * 2


def test_an_operation_without_a_paginator_is_refused_before_any_request():
    gated: list[str] = []
    with pytest.raises(ValueError, match="describe_limits"):
        pages(client("kinesis"), "describe_limits", gated.append)
    assert gated == []


def test_over_http_each_page_is_one_request_and_one_gate(endpoint):
    k = client("kinesis", endpoint)
    k.create_stream(StreamName="s", ShardCount=1)
    arn = k.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamARN"]
    for n in range(3):
        k.register_stream_consumer(StreamARN=arn, ConsumerName=f"c{n}")
    gated: list[str] = []
    with FaultProxy(endpoint) as proxy:
        listed = [
            c["ConsumerName"]
            for page in pages(
                client("kinesis", proxy.url),
                "list_stream_consumers",
                gated.append,
                StreamARN=arn,
                MaxResults=1,
            )
            for c in page["Consumers"]
        ]
    assert sorted(listed) == ["c0", "c1", "c2"]
    assert proxy.seen[("kinesis", "ListStreamConsumers")] == len(gated) == 3
