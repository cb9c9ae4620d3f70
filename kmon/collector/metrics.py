"""CloudWatch GetMetricData: all streams in ceil(n/500) calls, each metric once a period.

Kinesis metrics are 1-minute data and CloudWatch bills per metric requested, whatever the
number of datapoints returned. So a metric is requested again only once a new period can have
been published (a refresh of 5 s does not ask 12 times a minute), every stream's metrics go in
the same calls, aligned to the period, and each request covers every minute not yet settled:
the history window once, then the newest few minutes, merged into bounded series.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from kmon.collector.pages import Gate, pages
from kmon.model.limits import GMD_MAX_DATAPOINTS, GMD_MAX_QUERIES
from kmon.model.series import Series

PERIOD = 60
HISTORY_SEC = 3 * 3600
# CloudWatch can publish a minute a couple of minutes late: minutes this recent are asked
# again next poll; older ones are settled and never requested twice.
SETTLE_SEC = 180


@dataclass(frozen=True)
class MetricSpec:
    key: str  # our name for it
    name: str  # CloudWatch MetricName
    stat: str
    namespace: str = "AWS/Kinesis"


# What the overview judges a stream from; the keys are the ones model/overview.py reads.
OVERVIEW_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("incoming_bytes", "IncomingBytes", "Sum"),
    MetricSpec("incoming_records", "IncomingRecords", "Sum"),
    MetricSpec("outgoing_bytes", "GetRecords.Bytes", "Sum"),
    MetricSpec("iterator_age_ms", "GetRecords.IteratorAgeMilliseconds", "Maximum"),
    MetricSpec("write_throttled", "WriteProvisionedThroughputExceeded", "Sum"),
    MetricSpec("read_throttled", "ReadProvisionedThroughputExceeded", "Sum"),
    # Polling readers' calls: the shared 5 GetRecords/s per shard limit is judged from it.
    MetricSpec("get_records_calls", "GetRecords.Success", "Sum"),
)


def align(t: int, period: int = PERIOD) -> int:
    return t - t % period


def _dt(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


@dataclass(frozen=True)
class MetricQuery:
    """One series to fetch: ``key`` names it in the store."""

    key: Hashable
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str


def stream_queries(
    streams: Iterable[str], specs: Sequence[MetricSpec] = OVERVIEW_METRICS
) -> list[MetricQuery]:
    """Stream-level queries, keyed (stream, spec.key)."""
    return [
        MetricQuery((name, spec.key), spec.namespace, spec.name, (("StreamName", name),), spec.stat)
        for name in streams
        for spec in specs
    ]


class MetricStore:
    """Bounded series by query key, and which minutes of each are already settled."""

    def __init__(self, *, history_sec: int = HISTORY_SEC, period: int = PERIOD) -> None:
        self.history_sec = history_sec
        self.period = period
        self._series: dict[Hashable, Series] = {}
        self._settled_until: dict[Hashable, int] = {}
        # The end of the newest request for each series: asked again only after a new period.
        self._fetched_end: dict[Hashable, int] = {}

    def series(self, key: Hashable) -> Series:
        s = self._series.get(key)
        if s is None:
            s = self._series[key] = Series(maxlen=self.history_sec // self.period + 5)
        return s

    def stream_series(self, stream: str, key: str) -> Series:
        return self.series((stream, key))

    def forget(self, keep: Callable[[Hashable], bool]) -> None:
        """Drop series whose key ``keep`` rejects (streams or consumers that are gone)."""
        for key in [k for k in self._series if not keep(k)]:
            del self._series[key]
        for key in [k for k in self._settled_until if not keep(k)]:
            del self._settled_until[key]
        for key in [k for k in self._fetched_end if not keep(k)]:
            del self._fetched_end[key]

    def fetched_end(self, key: Hashable) -> int | None:
        """The end (epoch seconds, period-aligned) of the newest data asked for ``key``."""
        return self._fetched_end.get(key)

    def windows(self, queries: Iterable[MetricQuery], now: int) -> dict[int, list[MetricQuery]]:
        """Group queries by the start of what they still need, up to the aligned ``now``;
        a query already asked up to that end is left out (its next period is not out yet)."""
        end = align(now, self.period)
        groups: dict[int, list[MetricQuery]] = defaultdict(list)
        for q in queries:
            if self._fetched_end.get(q.key, -1) >= end:
                continue
            start = max(self._settled_until.get(q.key, 0), end - self.history_sec)
            if start < end:
                groups[start].append(q)
        return dict(groups)

    def fetch(self, client, queries: Sequence[MetricQuery], now: int, gate: Gate) -> int:
        """Fetch what is missing; returns the number of GetMetricData calls made."""
        end = align(now, self.period)
        calls = 0
        for start, group in sorted(self.windows(queries, now).items()):
            points = max(1, (end - start) // self.period)
            per_call = max(1, min(GMD_MAX_QUERIES, GMD_MAX_DATAPOINTS // points))
            for i in range(0, len(group), per_call):
                calls += self._fetch_chunk(client, group[i : i + per_call], start, end, gate)
            settled = max(start, end - SETTLE_SEC)
            for q in group:
                self._settled_until[q.key] = settled
                self._fetched_end[q.key] = end
        for series in self._series.values():
            series.prune(end - self.history_sec)
        return calls

    def _fetch_chunk(
        self, client, queries: Sequence[MetricQuery], start: int, end: int, gate: Gate
    ) -> int:
        results, calls = get_metric_data(client, queries, start, end, self.period, gate)
        for i, points in results:
            pts = [(ts, v) for ts, v in points if start <= ts < end]
            if pts:
                self.series(queries[i].key).merge(pts)
        return calls


def get_metric_data(
    client, queries: Sequence[MetricQuery], start: int, end: int, period: int, gate: Gate
) -> tuple[list[tuple[int, list[tuple[int, float]]]], int]:
    """One GetMetricData request for ``queries`` over [start, end), following NextToken:
    (index of the query, its (epoch seconds, value) points) per result, and the calls made."""
    request = [
        {
            "Id": f"q{i}",
            "MetricStat": {
                "Metric": {
                    "Namespace": q.namespace,
                    "MetricName": q.name,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in q.dimensions],
                },
                "Period": period,
                "Stat": q.stat,
            },
            "ReturnData": True,
        }
        for i, q in enumerate(queries)
    ]
    results: list[tuple[int, list[tuple[int, float]]]] = []
    calls = 0
    for page in pages(
        client,
        "get_metric_data",
        gate,
        MetricDataQueries=request,
        StartTime=_dt(start),
        EndTime=_dt(end),
        ScanBy="TimestampAscending",
    ):
        calls += 1
        for result in page.get("MetricDataResults", ()):
            points = [
                (int(ts.timestamp()), float(v))
                for ts, v in zip(result.get("Timestamps", ()), result.get("Values", ()))
            ]
            results.append((int(result["Id"][1:]), points))
    return results, calls
