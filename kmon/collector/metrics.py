"""CloudWatch GetMetricData: all streams in ceil(n/500) calls, each minute fetched once.

Kinesis metrics are 1-minute data and CloudWatch bills per metric requested, so a poll asks
every stream's metrics together, aligned to the period, and only for minutes not yet settled:
the history window once, then the newest few minutes, merged into bounded series.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from kmon.model.limits import GMD_MAX_DATAPOINTS, GMD_MAX_QUERIES
from kmon.model.series import Series

PERIOD = 60
HISTORY_SEC = 3 * 3600
# CloudWatch can publish a minute a couple of minutes late: minutes this recent are asked
# again next poll; older ones are settled and never requested twice.
SETTLE_SEC = 180

Gate = Callable[[str], None]


@dataclass(frozen=True)
class MetricSpec:
    key: str  # our name for it
    name: str  # CloudWatch MetricName
    stat: str
    namespace: str = "AWS/Kinesis"


OVERVIEW_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("incoming_bytes", "IncomingBytes", "Sum"),
    MetricSpec("incoming_records", "IncomingRecords", "Sum"),
    MetricSpec("outgoing_bytes", "GetRecords.Bytes", "Sum"),
    MetricSpec("iterator_age_ms", "GetRecords.IteratorAgeMilliseconds", "Maximum"),
    MetricSpec("write_throttled", "WriteProvisionedThroughputExceeded", "Sum"),
    MetricSpec("read_throttled", "ReadProvisionedThroughputExceeded", "Sum"),
)


def align(t: int, period: int = PERIOD) -> int:
    return t - t % period


def _dt(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


class MetricStore:
    """Per-stream, per-metric bounded series, and which minutes are already settled."""

    def __init__(
        self,
        specs: Sequence[MetricSpec] = OVERVIEW_METRICS,
        *,
        history_sec: int = HISTORY_SEC,
        period: int = PERIOD,
    ) -> None:
        self.specs = tuple(specs)
        self.history_sec = history_sec
        self.period = period
        self._series: dict[tuple[str, str], Series] = {}
        self._settled_until: dict[str, int] = {}

    def series(self, stream: str, key: str) -> Series:
        s = self._series.get((stream, key))
        if s is None:
            s = self._series[(stream, key)] = Series(maxlen=self.history_sec // self.period + 5)
        return s

    def forget(self, keep: Iterable[str]) -> None:
        """Drop streams that no longer exist."""
        keep = set(keep)
        for stream, key in [k for k in self._series if k[0] not in keep]:
            del self._series[(stream, key)]
        for stream in [s for s in self._settled_until if s not in keep]:
            del self._settled_until[stream]

    def windows(self, streams: Iterable[str], now: int) -> dict[int, list[str]]:
        """Group streams by the start of what they still need, up to the aligned ``now``."""
        end = align(now, self.period)
        groups: dict[int, list[str]] = defaultdict(list)
        for name in streams:
            start = max(self._settled_until.get(name, 0), end - self.history_sec)
            if start < end:
                groups[start].append(name)
        return dict(groups)

    def fetch(self, client, streams: Sequence[str], now: int, gate: Gate) -> int:
        """Fetch what is missing for ``streams``; returns the number of GetMetricData calls."""
        end = align(now, self.period)
        calls = 0
        for start, names in sorted(self.windows(streams, now).items()):
            queries = [(name, spec) for name in names for spec in self.specs]
            points = max(1, (end - start) // self.period)
            per_call = max(1, min(GMD_MAX_QUERIES, GMD_MAX_DATAPOINTS // points))
            for i in range(0, len(queries), per_call):
                calls += self._fetch_chunk(client, queries[i : i + per_call], start, end, gate)
            settled = max(start, end - SETTLE_SEC)
            for name in names:
                self._settled_until[name] = settled
        for series in self._series.values():
            series.prune(end - self.history_sec)
        return calls

    def _fetch_chunk(self, client, queries, start: int, end: int, gate: Gate) -> int:
        request = [
            {
                "Id": f"q{i}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": spec.namespace,
                        "MetricName": spec.name,
                        "Dimensions": [{"Name": "StreamName", "Value": name}],
                    },
                    "Period": self.period,
                    "Stat": spec.stat,
                },
                "ReturnData": True,
            }
            for i, (name, spec) in enumerate(queries)
        ]
        kwargs = {
            "MetricDataQueries": request,
            "StartTime": _dt(start),
            "EndTime": _dt(end),
            "ScanBy": "TimestampAscending",
        }
        calls = 0
        while True:
            gate("GetMetricData")
            page = client.get_metric_data(**kwargs)
            calls += 1
            for result in page.get("MetricDataResults", ()):
                name, spec = queries[int(result["Id"][1:])]
                pts = [
                    (int(ts.timestamp()), float(v))
                    for ts, v in zip(result.get("Timestamps", ()), result.get("Values", ()))
                    if start <= ts.timestamp() < end
                ]
                if pts:
                    self.series(name, spec.key).merge(pts)
            token = page.get("NextToken")
            if not token:
                return calls
            kwargs = {**kwargs, "NextToken": token}
