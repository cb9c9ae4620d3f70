"""The metric index answers like unpatched moto, only faster; where moto departs from
CloudWatch (namespaces, metrics without dimensions) it answers like CloudWatch."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from moto.cloudwatch.models import CloudWatchBackend

from kmon.demo import metric_index

T = datetime(2026, 11, 25, 12, 0, 0)  # moto stores naive UTC


def _stats(total: float, n: float, lo: float, hi: float) -> dict[str, float]:
    return {"SampleCount": n, "Sum": total, "Minimum": lo, "Maximum": hi}


@pytest.fixture
def backend() -> Any:
    b = CloudWatchBackend("eu-west-3", "000000000042")
    for minute in range(40):
        ts = T + timedelta(minutes=minute, seconds=minute % 7)
        for stream in ("a", "b"):
            dims = [{"Name": "StreamName", "Value": stream}]
            b.put_metric_data(
                "AWS/Kinesis",
                [
                    {
                        "MetricName": "IncomingBytes",
                        "Dimensions": dims,
                        "Timestamp": ts,
                        "Unit": "Bytes",
                        "StatisticValues": _stats(1000.0 + minute, 3, 10.0, 600.0 + minute),
                    },
                    {
                        "MetricName": "IteratorAge",
                        "Dimensions": dims,
                        "Timestamp": ts,
                        "Value": float(minute * 7 % 11),
                        "Unit": "Milliseconds",
                    },
                    {
                        "MetricName": "IteratorAge",
                        "Dimensions": dims,
                        "Timestamp": ts + timedelta(seconds=20),
                        "Values": [1.0, 2.5],
                        "Counts": [2, 1],
                    },
                ],
            )
        b.put_metric_data(
            "app-x",
            [
                {
                    "MetricName": "MillisBehindLatest",
                    "Dimensions": [
                        {"Name": "Operation", "Value": "ProcessTask"},
                        {"Name": "ShardId", "Value": "shardId-000000000001"},
                    ],
                    "Timestamp": ts,
                    "StatisticValues": _stats(50.0 * minute, 2, 0.0, 40.0 * minute),
                }
            ],
        )
    return b


def _query(qid: str, ns: str, name: str, dims: dict[str, str], stat: str, **extra: Any):
    stat_spec: dict[str, Any] = {
        "Metric": {
            "Namespace": ns,
            "MetricName": name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
        },
        "Period": extra.pop("period", 60),
        "Stat": stat,
    }
    if "unit" in extra:
        stat_spec["Unit"] = extra.pop("unit")
    return {"Id": qid, "MetricStat": stat_spec, **extra}


QUERIES = [
    _query("q1", "AWS/Kinesis", "IncomingBytes", {"StreamName": "a"}, "Sum"),
    _query("q2", "AWS/Kinesis", "IncomingBytes", {"StreamName": "b"}, "Maximum", period=300),
    _query("q3", "AWS/Kinesis", "IteratorAge", {"StreamName": "a"}, "Average"),
    _query("q4", "AWS/Kinesis", "IteratorAge", {"StreamName": "b"}, "SampleCount", period=120),
    _query("q5", "AWS/Kinesis", "IteratorAge", {"StreamName": "a"}, "Minimum", unit="Milliseconds"),
    _query(
        "q7",
        "app-x",
        "MillisBehindLatest",
        {"Operation": "ProcessTask", "ShardId": "shardId-000000000001"},
        "Maximum",
    ),
    _query("q8", "AWS/Kinesis", "IncomingBytes", {"StreamName": "zzz"}, "Sum"),
    _query("q9", "AWS/Kinesis", "IncomingBytes", {"StreamName": "a"}, "Sum", ReturnData=False),
]
WINDOWS = [
    (T, T + timedelta(minutes=40)),
    (T + timedelta(minutes=3, seconds=30), T + timedelta(minutes=17)),
    (T + timedelta(minutes=39), T + timedelta(hours=2)),
]


def _original(b: Any, start: datetime, end: datetime, scan_by: str) -> list[dict[str, Any]]:
    return CloudWatchBackend.get_metric_data(b, QUERIES, start, end, scan_by)


@pytest.mark.parametrize("scan_by", ["TimestampAscending", "TimestampDescending"])
def test_same_answers_as_unpatched_moto(backend: Any, scan_by: str) -> None:
    expected = [_original(backend, s, e, scan_by) for s, e in WINDOWS]
    assert any(r["values"] for r in expected[0])
    index = metric_index.install(backend)
    assert index.size() == len(backend.metric_data)
    got = [backend.get_metric_data(QUERIES, s, e, scan_by) for s, e in WINDOWS]
    assert got == expected


def test_index_follows_later_puts_and_prunes(backend: Any) -> None:
    index = metric_index.install(backend)
    assert metric_index.install(backend) is index  # idempotent
    backend.put_metric_data(
        "AWS/Kinesis",
        [
            {
                "MetricName": "IncomingBytes",
                "Dimensions": [{"Name": "StreamName", "Value": "a"}],
                "Timestamp": T + timedelta(minutes=5, seconds=1),  # out of order
                "StatisticValues": _stats(5.0, 1, 5.0, 5.0),
            }
        ],
    )
    window = (T, T + timedelta(minutes=40))
    assert backend.get_metric_data(QUERIES, *window) == _original(
        backend, *window, "TimestampAscending"
    )
    dropped = index.prune(T + timedelta(minutes=20))
    # 20 minutes x (2 streams x 5 datums + 1 for app-x) + the late put
    assert len(dropped) == 20 * (2 * 5 + 1) + 1
    assert index.size() == len(backend.metric_data)
    assert all(md.timestamp >= T + timedelta(minutes=20) for md in backend.metric_data)
    assert backend.get_metric_data(QUERIES, *window) == _original(
        backend, *window, "TimestampAscending"
    )


def test_list_metrics_lists_each_series_once(backend: Any) -> None:
    def keys(mds: list[Any]) -> set[tuple[str, str, tuple[tuple[str, str], ...]]]:
        return {(m.namespace, m.name, metric_index.dims_key(m.dimensions)) for m in mds}

    expected = keys(CloudWatchBackend.get_filtered_metrics(backend, None, "AWS/Kinesis", []))
    metric_index.install(backend)
    listed = backend.get_filtered_metrics(None, "AWS/Kinesis", [])
    assert keys(listed) == expected
    assert len(listed) == len(expected) == 4


def test_uninstall_restores_moto(backend: Any) -> None:
    index = metric_index.install(backend)
    index.uninstall()
    assert "get_metric_data" not in backend.__dict__
    window = (T, T + timedelta(minutes=40))
    assert backend.get_metric_data(QUERIES, *window) == _original(
        backend, *window, "TimestampAscending"
    )


def _other_app(b: Any) -> None:
    """A second application publishing the same metric name and dimensions as app-x."""
    for minute in range(40):
        b.put_metric_data(
            "app-y",
            [
                {
                    "MetricName": "MillisBehindLatest",
                    "Dimensions": [
                        {"Name": "ShardId", "Value": "shardId-000000000001"},  # other order
                        {"Name": "Operation", "Value": "ProcessTask"},
                    ],
                    "Timestamp": T + timedelta(minutes=minute),
                    "StatisticValues": _stats(1e9, 1, 1e9, 1e9),
                }
            ],
        )


def test_where_moto_departs_from_cloudwatch_the_index_follows_cloudwatch(backend: Any) -> None:
    _other_app(backend)
    window = (T, T + timedelta(minutes=40))
    app_x = _query(
        "x",
        "app-x",
        "MillisBehindLatest",
        {"Operation": "ProcessTask", "ShardId": "shardId-000000000001"},
        "Maximum",
    )
    no_dims = _query("n", "AWS/Kinesis", "IncomingBytes", {}, "Sum")
    moto_x, moto_n = CloudWatchBackend.get_metric_data(backend, [app_x, no_dims], *window)
    metric_index.install(backend)
    ours_x, ours_n = backend.get_metric_data([app_x, no_dims], *window)
    # moto mixes in app-y's datapoints (it ignores the namespace when dimensions are given).
    assert max(moto_x["values"]) == 1e9
    assert ours_x["values"] == [40.0 * m for m in range(40)]
    # moto sums every dimension set for a query without dimensions; there is no such metric.
    assert moto_n["values"] and ours_n["values"] == []
