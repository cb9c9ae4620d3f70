"""Shard rows from ListShards and shard-level metrics: who takes the writes.

The detail screen reads them for the stream on screen; the overview reads them only for
streams with enhanced monitoring whose writes throttle, so a hot-shard finding can name the
shard (a few metrics per shard, only while the throttling lasts).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from kmon.collector import kinesis
from kmon.collector.cache import SingleFlightCache
from kmon.collector.metrics import MetricQuery, MetricSpec, MetricStore
from kmon.model.detail import ShardRow, hash_share_pct

Gate = Callable[[str], None]

# Shard-level metrics exist only with enhanced monitoring; the shard table needs the newest
# minutes, not the whole window.
SHARD_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("incoming_bytes", "IncomingBytes", "Sum"),
    MetricSpec("incoming_records", "IncomingRecords", "Sum"),
    MetricSpec("outgoing_bytes", "OutgoingBytes", "Sum"),
    MetricSpec("iterator_age_ms", "IteratorAgeMilliseconds", "Maximum"),
    MetricSpec("write_throttled", "WriteProvisionedThroughputExceeded", "Sum"),
    MetricSpec("read_throttled", "ReadProvisionedThroughputExceeded", "Sum"),
)
# What a hot-shard finding needs: the writes and their throttling.
WRITE_METRICS = tuple(
    s for s in SHARD_METRICS if s.key in ("incoming_bytes", "incoming_records", "write_throttled")
)
SHARD_HISTORY_SEC = 15 * 60
MAX_SHARDS_WITH_METRICS = 80  # 80 shards x 6 metrics stays within one 500-query call
# A shard's newest datapoint older than this is not shown as its current value.
NEWEST_SEC = 5 * 60


def shard_queries(stream: str, shard_ids: Iterable[str], specs=SHARD_METRICS) -> list[MetricQuery]:
    return [
        MetricQuery(
            (stream, sid, spec.key),
            spec.namespace,
            spec.name,
            (("StreamName", stream), ("ShardId", sid)),
            spec.stat,
        )
        for sid in list(shard_ids)[:MAX_SHARDS_WITH_METRICS]
        for spec in specs
    ]


def open_ids(shards: list[dict]) -> list[str]:
    return [s["ShardId"] for s in shards if kinesis.is_open(s)]


def shard_rows(
    stream: str, shards: list[dict], store: MetricStore | None, now: int
) -> list[ShardRow]:
    """One row per shard; metric values from ``store`` (None: no shard-level metrics)."""
    rows = []
    newest = now - NEWEST_SEC
    for s in shards:
        sid = s["ShardId"]
        rng = s.get("HashKeyRange") or {}
        values: dict[str, float | None] = {}
        if store is not None and kinesis.is_open(s):
            for spec in SHARD_METRICS:
                p = store.series((stream, sid, spec.key)).latest(newest)
                values[spec.key] = None if p is None else p[1]
        per_sec = lambda v: None if v is None else v / 60  # noqa: E731
        start, end = _int(rng.get("StartingHashKey")), _int(rng.get("EndingHashKey"))
        rows.append(
            ShardRow(
                shard_id=sid,
                is_open=kinesis.is_open(s),
                parent=s.get("ParentShardId"),
                adjacent_parent=s.get("AdjacentParentShardId"),
                hash_share_pct=hash_share_pct(start or 0, end if end is not None else -1),
                incoming_bytes_per_sec=per_sec(values.get("incoming_bytes")),
                incoming_records_per_sec=per_sec(values.get("incoming_records")),
                outgoing_bytes_per_sec=per_sec(values.get("outgoing_bytes")),
                iterator_age_ms=values.get("iterator_age_ms"),
                write_throttled=values.get("write_throttled"),
                read_throttled=values.get("read_throttled"),
                hash_start=start,
                hash_end=end,
            )
        )
    return rows


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


class ShardWatch:
    """Write metrics per shard for the streams the collector names, each poll."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic, ttl: float = 600.0):
        self._lists = SingleFlightCache(ttl, jitter=0.3, clock=monotonic)
        self._store = MetricStore(history_sec=SHARD_HISTORY_SEC, period=60)
        self._rows: dict[str, tuple[ShardRow, ...]] = {}
        self._status: dict[str, str] = {}  # each stream's status when its shards were listed

    def rows(self, stream: str) -> tuple[ShardRow, ...] | None:
        return self._rows.get(stream)

    def list_shards(
        self, clients, streams: dict[str, tuple[int | None, str | None]], gate: Gate
    ) -> dict[str, list[dict]]:
        """The shards of ``streams`` (name -> (open shards, status) as described: a different
        count or a new status re-lists), from the cache where it is current."""
        listed: dict[str, list[dict]] = {}
        for name, (open_count, status) in streams.items():
            if status is not None and self._status.get(name, status) != status:
                self._lists.invalidate(name)  # resharding, or done resharding
            if status is not None:
                self._status[name] = status
            shards = self._lists.get(
                name, lambda n=name: kinesis.list_shards(clients.kinesis, n, gate)
            )
            if open_count is not None and len(open_ids(shards)) != open_count:
                self._lists.invalidate(name)  # resharded since it was listed
                shards = self._lists.get(
                    name, lambda n=name: kinesis.list_shards(clients.kinesis, n, gate)
                )
            listed[name] = shards
        for name in [n for n in self._status if n not in streams]:
            del self._status[name]
        return listed

    def fetch(self, clients, listed: dict[str, list[dict]], now: int, gate: Gate) -> None:
        """Read the listed streams' open shards' write metrics and build their rows."""
        queries = [
            q
            for name, shards in listed.items()
            for q in shard_queries(name, open_ids(shards), WRITE_METRICS)
        ]
        if queries:
            self._store.fetch(clients.cloudwatch, queries, now, gate)
        self._rows = {
            name: tuple(shard_rows(name, shards, self._store, now))
            for name, shards in listed.items()
        }
        self._store.forget(lambda key: key[0] in listed)
