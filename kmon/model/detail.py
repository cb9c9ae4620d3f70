"""What the stream detail screen shows: series over a window, shards, capacity, consumers."""

from __future__ import annotations

from dataclasses import dataclass, field

from kmon.model import limits

HASH_SPACE = 2**128

# Time windows the detail screen offers, and the period each is fetched at: 1-minute data up
# to 3 hours, 5-minute beyond (stays far inside GetMetricData's datapoint limit).
WINDOWS_SEC: tuple[int, ...] = (15 * 60, 3600, 3 * 3600, 12 * 3600, 24 * 3600)


def period_for(window_sec: int) -> int:
    return 60 if window_sec <= 3 * 3600 else 300


Points = tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class ShardRow:
    shard_id: str
    is_open: bool
    parent: str | None
    adjacent_parent: str | None
    hash_share_pct: float
    incoming_bytes_per_sec: float | None = None
    incoming_records_per_sec: float | None = None
    outgoing_bytes_per_sec: float | None = None
    iterator_age_ms: float | None = None
    write_throttled: float | None = None
    read_throttled: float | None = None
    hash_start: int | None = None
    hash_end: int | None = None

    @property
    def write_utilization_pct(self) -> float | None:
        vals = []
        if self.incoming_bytes_per_sec is not None:
            vals.append(self.incoming_bytes_per_sec / limits.SHARD_WRITE_BYTES_PER_SEC * 100)
        if self.incoming_records_per_sec is not None:
            vals.append(self.incoming_records_per_sec / limits.SHARD_WRITE_RECORDS_PER_SEC * 100)
        return max(vals) if vals else None

    @property
    def split_key(self) -> int | None:
        """The NewStartingHashKey that splits this shard's hash-key range in half."""
        if self.hash_start is None or self.hash_end is None or self.hash_end <= self.hash_start:
            return None
        return (self.hash_start + self.hash_end + 1) // 2


def hash_share_pct(start: str | int, end: str | int) -> float:
    return (int(end) - int(start) + 1) / HASH_SPACE * 100


@dataclass(frozen=True)
class StreamDetail:
    name: str
    window_sec: int
    period: int
    encryption: str | None
    shard_level_metrics: tuple[str, ...]
    max_record_kib: int | None
    closed_shards: int | None
    # Raw per-period values by metric key (Sums, or Maximum for ages), oldest first.
    series: dict[str, Points] = field(default_factory=dict)
    shards: tuple[ShardRow, ...] = ()
    efo_consumer_limit: int = limits.MAX_EFO_CONSUMERS

    @property
    def enhanced_monitoring(self) -> bool:
        return bool(self.shard_level_metrics)

    def rate(self, key: str) -> Points:
        """Per-second rates from per-period sums."""
        return tuple((t, v / self.period) for t, v in self.series.get(key, ()))

    def values(self, key: str) -> Points:
        return self.series.get(key, ())


def time_to_reach(current: float, target: float, slope_per_min_: float | None) -> float | None:
    """Seconds until ``current`` reaches ``target`` at the given growth; None if never."""
    if slope_per_min_ is None or slope_per_min_ <= 0 or current >= target:
        return None if current < target else 0.0
    return (target - current) / slope_per_min_ * 60
