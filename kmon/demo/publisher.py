"""Turns modelled minutes into the CloudWatch datapoints AWS would publish.

One datum per metric per minute, as StatisticValues (SampleCount, Sum, Minimum, Maximum):
counts and bytes are Sums over the minute (rate = Sum / 60), ages are meaningful as Maximum.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from .fleet import SHARD_LEVEL_METRICS, StreamSpec
from .traffic import StreamMinute

KINESIS = "AWS/Kinesis"
LAMBDA = "AWS/Lambda"
PUT_METRIC_DATA_MAX = 1000  # datums per PutMetricData call

Datum = dict[str, Any]


def _dims(**pairs: str) -> list[dict[str, str]]:
    return [{"Name": k, "Value": v} for k, v in pairs.items()]


def _stat(
    name: str,
    dims: list[dict[str, str]],
    ts: datetime,
    total: float,
    samples: float,
    unit: str,
    minimum: float | None = None,
    maximum: float | None = None,
) -> Datum:
    samples = max(1.0, round(samples))
    mean = total / samples
    lo = mean * 0.55 if minimum is None else minimum
    hi = min(total, mean * 1.8) if maximum is None else maximum
    return {
        "MetricName": name,
        "Dimensions": dims,
        "Timestamp": ts,
        "Unit": unit,
        "StatisticValues": {
            "SampleCount": samples,
            "Sum": float(total),
            "Minimum": float(min(lo, hi)),
            "Maximum": float(max(lo, hi)),
        },
    }


def _age(
    name: str,
    dims: list[dict[str, str]],
    ts: datetime,
    ages: Iterable[float],
    maxima: Iterable[float],
    samples: float,
) -> Datum:
    ages, maxima = list(ages), list(maxima)
    samples = max(1.0, round(samples))
    mean = sum(ages) / len(ages)
    return _stat(
        name,
        dims,
        ts,
        mean * samples,
        samples,
        "Milliseconds",
        minimum=min(ages),
        maximum=max(maxima),
    )


def minute_datums(spec: StreamSpec, m: StreamMinute) -> list[tuple[str, Datum]]:
    """(namespace, datum) pairs for one stream and one minute."""
    ts = datetime.fromtimestamp(m.start, tz=timezone.utc)
    out: list[tuple[str, Datum]] = []
    stream = _dims(StreamName=spec.name)

    def k(d: Datum) -> None:
        out.append((KINESIS, d))

    records, nbytes = round(m.records), m.bytes
    offered, throttled = round(m.offered_records), round(m.throttled_records)
    calls = m.put_calls
    if offered > 0:
        for prefix in ("Incoming", "PutRecords."):
            k(_stat(f"{prefix}Bytes", stream, ts, round(nbytes), calls, "Bytes"))
            k(_stat(f"{prefix}Records", stream, ts, records, calls, "Count"))
        k(_stat("PutRecords.Success", stream, ts, calls, calls, "Count", 1.0, 1.0))
        k(_stat("PutRecords.TotalRecords", stream, ts, offered, calls, "Count"))
        k(_stat("PutRecords.SuccessfulRecords", stream, ts, records, calls, "Count"))
        k(
            _stat(
                "PutRecords.ThrottledRecords",
                stream,
                ts,
                throttled,
                calls,
                "Count",
                0.0,
                None if throttled else 0.0,
            )
        )
        k(_stat("PutRecords.FailedRecords", stream, ts, 0, calls, "Count", 0.0, 0.0))
        k(
            _stat(
                "WriteProvisionedThroughputExceeded",
                stream,
                ts,
                throttled,
                calls,
                "Count",
                0.0,
                None if throttled else 0.0,
            )
        )

    get_calls = sum(s.get_calls for s in m.shards)
    read_thr = round(m.read_throttled)
    polled = [s for s in m.shards if s.age_ms is not None]
    if get_calls > 0 or read_thr > 0:
        k(
            _stat(
                "GetRecords.Bytes",
                stream,
                ts,
                round(sum(s.out_bytes for s in m.shards)),
                get_calls,
                "Bytes",
            )
        )
        k(
            _stat(
                "GetRecords.Records",
                stream,
                ts,
                round(sum(s.out_records for s in m.shards)),
                get_calls,
                "Count",
            )
        )
        k(_stat("GetRecords.Success", stream, ts, round(get_calls), get_calls, "Count", 1, 1))
        lat = m.get_latency_ms
        k(
            _stat(
                "GetRecords.Latency",
                stream,
                ts,
                lat * round(max(get_calls, 1)),
                get_calls,
                "Milliseconds",
                lat * 0.4,
                lat * 3.2,
            )
        )
        if polled:
            k(
                _age(
                    "GetRecords.IteratorAgeMilliseconds",
                    stream,
                    ts,
                    [s.age_ms or 0.0 for s in polled],
                    [s.age_max_ms or 0.0 for s in polled],
                    get_calls,
                )
            )
        k(
            _stat(
                "ReadProvisionedThroughputExceeded",
                stream,
                ts,
                read_thr,
                get_calls + read_thr,
                "Count",
                0.0,
                None if read_thr else 0.0,
            )
        )

    if spec.enhanced_monitoring:
        for s in m.shards:
            if not s.open and not s.get_calls:
                continue
            d = _dims(StreamName=spec.name, ShardId=s.shard_id)
            thr_w, thr_r = round(s.throttled_records), round(s.read_throttled)
            w_calls = calls * (s.offered_records / offered) if offered else 0.0
            vals = {
                "IncomingBytes": (round(s.bytes), w_calls, "Bytes"),
                "IncomingRecords": (round(s.records), w_calls, "Count"),
                "OutgoingBytes": (round(s.out_bytes), s.get_calls, "Bytes"),
                "OutgoingRecords": (round(s.out_records), s.get_calls, "Count"),
                "WriteProvisionedThroughputExceeded": (thr_w, w_calls, "Count"),
                "ReadProvisionedThroughputExceeded": (thr_r, s.get_calls + thr_r, "Count"),
            }
            for name in SHARD_LEVEL_METRICS:
                if name == "IteratorAgeMilliseconds":
                    if s.age_ms is not None:
                        k(_age(name, d, ts, [s.age_ms], [s.age_max_ms or s.age_ms], s.get_calls))
                    continue
                total, samples, unit = vals[name]
                zero = {"minimum": 0.0, "maximum": 0.0} if not total else {}
                k(_stat(name, d, ts, total, samples, unit, **zero))

    for c in m.consumers:
        shards = [sid for sid, done in c.finished.items() if not done] or list(c.age_ms)
        ages = [c.age_ms[sid] for sid in shards]
        maxima = [c.age_max_ms[sid] for sid in shards]
        if c.kind == "efo":
            d = _dims(StreamName=spec.name, ConsumerName=c.name)
            events = max(1.0, len(shards) * 12.0)  # a push about every 5 s per shard
            k(_stat("SubscribeToShardEvent.Bytes", d, ts, round(c.bytes), events, "Bytes"))
            k(_stat("SubscribeToShardEvent.Records", d, ts, round(c.records), events, "Count"))
            k(_age("SubscribeToShardEvent.MillisBehindLatest", d, ts, ages, maxima, events))
            k(_stat("SubscribeToShard.RateExceeded", d, ts, 0, len(shards), "Count", 0.0, 0.0))
        elif c.kind == "lambda":
            out.append(
                (
                    LAMBDA,
                    _age(
                        "IteratorAge",
                        _dims(FunctionName=c.name),
                        ts,
                        ages,
                        maxima,
                        max(1.0, c.calls),
                    ),
                )
            )
        elif c.kind == "kcl":
            per_shard = max(1.0, c.calls / max(1, len(shards)))
            for sid in shards:
                d = _dims(Operation="ProcessTask", ShardId=sid)
                out.append(
                    (
                        c.name,
                        _age(
                            "MillisBehindLatest",
                            d,
                            ts,
                            [c.age_ms[sid]],
                            [c.age_max_ms[sid]],
                            per_shard,
                        ),
                    )
                )
            out.append(
                (
                    c.name,
                    _age(
                        "MillisBehindLatest",
                        _dims(Operation="ApplicationTracker"),
                        ts,
                        ages,
                        maxima,
                        max(1.0, c.calls),
                    ),
                )
            )
    return out


def put_all(cloudwatch: Any, datums: Iterable[tuple[str, Datum]]) -> int:
    """PutMetricData in as few calls as allowed (one namespace per call). Returns calls."""
    by_ns: dict[str, list[Datum]] = defaultdict(list)
    for ns, d in datums:
        by_ns[ns].append(d)
    calls = 0
    for ns, items in by_ns.items():
        for i in range(0, len(items), PUT_METRIC_DATA_MAX):
            cloudwatch.put_metric_data(Namespace=ns, MetricData=items[i : i + PUT_METRIC_DATA_MAX])
            calls += 1
    return calls
