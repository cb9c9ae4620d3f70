"""Detail metrics for the one stream on screen: only it pays for them, only while shown."""

from __future__ import annotations

import threading
from collections.abc import Callable

from kmon.collector import kinesis
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
    """The focused stream's shards (listed every poll: ListShards allows 1,000 calls a second
    per stream) and its metrics over the window on screen. Each is fetched on its own, so the
    shards show whatever CloudWatch does, and the metrics fill in when they come."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._focus: tuple[str, int] | None = None
        self._stored_for: str | None = None  # the stream the stores below hold
        self._stores: dict[int, MetricStore] = {}
        self._shard_store = MetricStore(history_sec=SHARD_HISTORY_SEC, period=60)
        self._shards: tuple[str, list[dict]] | None = None  # the last good shard list

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
                self._shards = None

    def _store(self, period: int) -> MetricStore:
        store = self._stores.get(period)
        if store is None:
            history = 3 * 3600 if period == 60 else max(WINDOWS_SEC)
            store = self._stores[period] = MetricStore(history_sec=history, period=period)
        return store

    def _window(self, name: str) -> tuple[int, int]:
        focus = self._focus
        window = focus[1] if focus is not None and focus[0] == name else WINDOWS_SEC[1]
        return window, period_for(window)

    def list_shards(self, clients, name: str, gate: Gate) -> list[dict]:
        shards = kinesis.list_shards(clients.kinesis, name, gate)
        with self._lock:
            if self._stored_for == name:
                self._shards = (name, shards)
        return shards

    def last_shards(self, name: str) -> list[dict] | None:
        """The shards as last listed, while ListShards fails."""
        last = self._shards
        return last[1] if last is not None and last[0] == name else None

    def fetch_metrics(
        self,
        clients,
        description: kinesis.StreamDescription,
        shards: list[dict],
        now: int,
        gate: Gate,
    ) -> None:
        """The stream's metrics over the window, then its open shards' (enhanced monitoring)."""
        name = description.name
        _window, period = self._window(name)
        queries = stream_queries([name], DETAIL_METRICS)
        self._store(period).fetch(clients.cloudwatch, queries, now, gate)
        ids = open_ids(shards)
        if description.shard_level_metrics and ids:
            self._shard_store.fetch(clients.cloudwatch, shard_queries(name, ids), now, gate)

    def build(
        self, description: kinesis.StreamDescription, shards: list[dict], now: int
    ) -> StreamDetail:
        """What the detail screen shows, from whatever has been fetched."""
        name = description.name
        window, period = self._window(name)
        store = self._store(period)
        enhanced = bool(description.shard_level_metrics)
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
