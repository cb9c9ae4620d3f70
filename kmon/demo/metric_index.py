"""An index over moto's CloudWatch metric store, so GetMetricData stays fast.

moto (tested on 5.2.x) answers GetMetricData by scanning every stored datum for every query
and every period: three hours of the demo's 1-minute data for the collector's first call
takes seconds. This keeps, next to moto's own list, one timestamp-sorted series per
(namespace, metric name, dimensions) and answers MetricStat queries by bisecting into the
series. Values come from moto's own `Statistics` class and results are shaped exactly like
moto's. Where moto departs from CloudWatch the index follows CloudWatch: a metric is its
namespace, name and exact set of dimensions, so a query with dimensions does not also match
the same name and dimensions in another namespace (two KCL applications both publish
MillisBehindLatest with Operation=ApplicationTracker), a query without dimensions matches only
the metric without dimensions, and the order of dimensions does not matter. Queries with
expressions, or stores holding provider metrics (S3), fall back to moto's original method.

The patch is applied to one backend instance (the demo's account and region), never to the
class, and `uninstall` (or a backend reset) removes it.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from datetime import datetime, timedelta
from types import MethodType
from typing import Any

DimsKey = tuple[tuple[str, str], ...]
SeriesKey = tuple[str, str, DimsKey]

_PATCHED = ("put_metric_data", "get_metric_data", "get_filtered_metrics")


def dims_key(dimensions: Any) -> DimsKey:
    return tuple(sorted((d.name, d.value) for d in dimensions))


class Series:
    __slots__ = ("times", "data")

    def __init__(self) -> None:
        self.times: list[datetime] = []
        self.data: list[Any] = []

    def add(self, md: Any) -> None:
        ts = md.timestamp
        if not self.times or ts >= self.times[-1]:
            self.times.append(ts)
            self.data.append(md)
        else:
            i = bisect_right(self.times, ts)
            self.times.insert(i, ts)
            self.data.insert(i, md)

    def prune(self, cutoff: datetime, dropped: list[Any]) -> None:
        i = bisect_left(self.times, cutoff)
        if i:
            dropped.extend(self.data[:i])
            del self.times[:i]
            del self.data[:i]


class MetricIndex:
    """Series per (namespace, name, dimensions) over one moto CloudWatch backend."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.lock = threading.RLock()
        self.series: dict[SeriesKey, Series] = {}
        self._original: dict[str, Callable[..., Any]] = {}
        for md in backend.metric_data:
            self._add(md)

    # -- store -------------------------------------------------------------------------

    def _add(self, md: Any) -> None:
        key = (md.namespace, md.name, dims_key(md.dimensions))
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = Series()
        series.add(md)

    def size(self) -> int:
        return sum(len(s.times) for s in self.series.values())

    def prune(self, cutoff: datetime) -> list[Any]:
        """Drop datapoints older than `cutoff` (naive UTC, as moto stores them); returns them."""
        dropped: list[Any] = []
        with self.lock:
            for series in self.series.values():
                series.prune(cutoff, dropped)
            if dropped:
                self.backend.metric_data = [
                    md for md in self.backend.metric_data if md.timestamp >= cutoff
                ]
        return dropped

    # -- patch -------------------------------------------------------------------------

    def install(self) -> None:
        b = self.backend
        for name in _PATCHED:
            self._original[name] = getattr(b, name)
        b.put_metric_data = MethodType(_put_metric_data, self)
        b.get_metric_data = MethodType(_get_metric_data, self)
        b.get_filtered_metrics = MethodType(_get_filtered_metrics, self)
        b._kmon_metric_index = self

    def uninstall(self) -> None:
        for name in _PATCHED:
            self.backend.__dict__.pop(name, None)
        self.backend.__dict__.pop("_kmon_metric_index", None)

    # -- queries -----------------------------------------------------------------------

    def stat_query(
        self, query: dict[str, Any], start: datetime, end: datetime, scan_by: str
    ) -> dict[str, Any]:
        from moto.cloudwatch.models import Statistics

        ms = query["MetricStat"]
        metric = ms["Metric"]
        name = metric["MetricName"]
        stat = ms["Stat"]
        unit = ms.get("Unit")
        dims = tuple(sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", [])))
        delta = timedelta(seconds=int(ms["Period"]))
        buckets: dict[int, list[Any]] = {}
        series = self.series.get((metric["Namespace"], name, dims))
        if series is not None:
            lo = bisect_left(series.times, start)
            hi = bisect_left(series.times, end)
            for md in series.data[lo:hi]:
                if unit and md.unit != unit:
                    continue
                buckets.setdefault((md.timestamp - start) // delta, []).append(md)
        values: list[Any] = []
        timestamps: list[datetime] = []
        for n in sorted(buckets):
            stats = Statistics([stat], start + n * delta)
            stats.metric_data = buckets[n]
            values.append(stats.get_statistics_for_type(stat))
            timestamps.append(stats.timestamp)
        if scan_by == "TimestampDescending":
            values.reverse()
            timestamps.reverse()
        return {
            "id": query["Id"],
            "label": query.get("Label") or f"{name} {stat}",
            "values": values,
            "timestamps": timestamps,
            "status_code": "Complete",
        }


def _put_metric_data(index: MetricIndex, namespace: str, metric_data: list[dict[str, Any]]):
    backend = index.backend
    with index.lock:
        before = len(backend.metric_data)
        index._original["put_metric_data"](namespace, metric_data)
        for md in backend.metric_data[before:]:
            index._add(md)


def _get_metric_data(
    index: MetricIndex,
    queries: list[dict[str, Any]],
    start_time: datetime,
    end_time: datetime,
    scan_by: str = "TimestampAscending",
) -> list[dict[str, Any]]:
    if any("MetricStat" not in q for q in queries) or index.backend.aws_metric_data:
        return index._original["get_metric_data"](queries, start_time, end_time, scan_by)
    from moto.cloudwatch.exceptions import ValidationError

    start = start_time.replace(microsecond=0)
    end = end_time.replace(microsecond=0)
    if start > end:
        raise ValidationError("The parameter EndTime must be greater than StartTime.")
    if start == end:
        raise ValidationError("The parameter StartTime must not equal parameter EndTime.")
    with index.lock:
        results = [index.stat_query(q, start, end, scan_by) for q in queries]
    return [r for r, q in zip(results, queries, strict=True) if q.get("ReturnData", True)]


def _get_filtered_metrics(
    index: MetricIndex, metric_name: str, namespace: str, dimensions: list[dict[str, str]]
) -> list[Any]:
    # ListMetrics: one entry per series (moto's own dedupe is quadratic in stored datapoints).
    with index.lock:
        found = []
        for series in index.series.values():
            if series.data and series.data[-1].filter(namespace, metric_name, dimensions):
                found.append(series.data[-1])
    extra = [
        md for md in index.backend.aws_metric_data if md.filter(namespace, metric_name, dimensions)
    ]
    return found + extra


def install(backend: Any) -> MetricIndex:
    """Index `backend` (a moto CloudWatchBackend instance); idempotent."""
    existing = backend.__dict__.get("_kmon_metric_index")
    if existing is not None:
        return existing
    index = MetricIndex(backend)
    index.install()
    return index
