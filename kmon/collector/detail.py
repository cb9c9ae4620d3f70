"""Detail metrics for the one stream on screen: only it pays for them, only while shown."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from kmon.collector import kinesis
from kmon.collector.cache import SingleFlightCache
from kmon.collector.metrics import (
    OVERVIEW_METRICS,
    MetricSpec,
    MetricStore,
    align,
    stream_queries,
)
from kmon.collector.shards import SHARD_HISTORY_SEC, open_ids, shard_queries, shard_rows
from kmon.model.detail import WINDOWS_SEC, StreamDetail, period_for

Gate = Callable[[str], None]

# The overview's metrics, plus what the panels add.
DETAIL_METRICS: tuple[MetricSpec, ...] = (
    *OVERVIEW_METRICS,
    MetricSpec("outgoing_records", "GetRecords.Records", "Sum"),
    MetricSpec("put_throttled_records", "PutRecords.ThrottledRecords", "Sum"),
    MetricSpec("put_failed_records", "PutRecords.FailedRecords", "Sum"),
)


class DetailFetcher:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._focus: tuple[str, int] | None = None
        self._stored_for: str | None = None  # the stream the stores below hold
        self._stores: dict[int, MetricStore] = {}
        self._shard_store = MetricStore(history_sec=SHARD_HISTORY_SEC, period=60)
        self._shards = SingleFlightCache(ttl=60.0, clock=monotonic)

    @property
    def focus(self) -> tuple[str, int] | None:
        return self._focus

    def set_focus(self, stream: str | None, window_sec: int = WINDOWS_SEC[1]) -> None:
        """Show ``stream`` over ``window_sec``; None stops fetching detail metrics."""
        with self._lock:
            self._focus = None if stream is None else (stream, window_sec)
            if stream is not None and stream != self._stored_for:
                # A different stream: drop what was fetched for the last one. Leaving for the
                # overview or the wall keeps it, so coming back fetches only the new minutes.
                self._stored_for = stream
                self._stores.clear()
                self._shard_store = MetricStore(history_sec=SHARD_HISTORY_SEC, period=60)
                self._shards.invalidate()

    def _store(self, period: int) -> MetricStore:
        store = self._stores.get(period)
        if store is None:
            history = 3 * 3600 if period == 60 else max(WINDOWS_SEC)
            store = self._stores[period] = MetricStore(history_sec=history, period=period)
        return store

    def fetch(
        self,
        clients,
        description: kinesis.StreamDescription,
        now: int,
        gate: Gate,
    ) -> StreamDetail | None:
        with self._lock:
            focus = self._focus
        if focus is None or focus[0] != description.name:
            return None
        name, window = focus
        period = period_for(window)
        store = self._store(period)
        queries = stream_queries([name], DETAIL_METRICS)
        store.fetch(clients.cloudwatch, queries, now, gate)

        shards = self._shards.get(name, lambda: kinesis.list_shards(clients.kinesis, name, gate))
        enhanced = bool(description.shard_level_metrics)
        ids = open_ids(shards)
        if enhanced and ids:
            self._shard_store.fetch(clients.cloudwatch, shard_queries(name, ids), now, gate)
        since = align(now, period) - window
        series = {
            spec.key: tuple(store.stream_series(name, spec.key).points(since))
            for spec in DETAIL_METRICS
        }
        return StreamDetail(
            name=name,
            window_sec=window,
            period=period,
            encryption=description.encryption,
            shard_level_metrics=description.shard_level_metrics,
            max_record_kib=description.max_record_kib,
            closed_shards=sum(1 for s in shards if not kinesis.is_open(s)),
            series=series,
            shards=tuple(shard_rows(name, shards, self._shard_store if enhanced else None, now)),
        )
