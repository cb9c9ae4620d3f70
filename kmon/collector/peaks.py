"""On-demand streams' 30-day write peak: what their capacity is estimated from.

AWS gives an on-demand stream room for twice its highest write throughput of the previous 30
days (at least 4 MiB/s). kmon reads that peak with one GetMetricData query per on-demand
stream (IncomingBytes, Sum, 5-minute periods over 30 days, aligned to the period), as many
streams a call as the datapoint limit allows, and keeps each for hours: never every poll.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from cachetools import TLRUCache

from kmon.collector.metrics import MetricQuery, align, get_metric_data
from kmon.model.limits import GMD_MAX_DATAPOINTS, GMD_MAX_QUERIES, ON_DEMAND_PEAK_WINDOW_SEC

Gate = Callable[[str], None]

PERIOD = 300
POINTS_PER_QUERY = ON_DEMAND_PEAK_WINDOW_SEC // PERIOD  # 8,640
# 100,800 datapoints a call / 8,640 a query: 11 streams a call.
PER_CALL = min(GMD_MAX_QUERIES, GMD_MAX_DATAPOINTS // POINTS_PER_QUERY)
# A 30-day peak moves slowly, and a new high shows in the overview's own minutes as it happens
# (until the next read the estimate errs low, never high): reading it every 3 hours costs one
# metric per on-demand stream per 3 hours, next to the overview's several a minute.
PEAK_TTL_SEC = 3 * 3600.0
# Streams first read together are read again spread over this share of the TTL either side,
# so the re-reads trickle across polls instead of all landing on one.
JITTER = 0.1


@dataclass(frozen=True)
class Peak:
    bytes_per_sec: float  # the highest 5-minute average; 0.0 when nothing was written
    at: int | None  # start of that 5-minute period (epoch seconds); None without writes


class PeakWatch:
    """The last 30-day peak read for each on-demand stream, and which are due a new read."""

    def __init__(
        self,
        monotonic: Callable[[], float],
        *,
        ttl: float = PEAK_TTL_SEC,
        rng: random.Random | None = None,
    ) -> None:
        rng = rng or random.Random()

        def ttu(_key, _value, now: float) -> float:
            return now + ttl * (1 + rng.uniform(-JITTER, JITTER))

        self._fresh: TLRUCache = TLRUCache(maxsize=100_000, ttu=ttu, timer=monotonic)
        # Kept past the TTL: while a new read fails, the last peak still stands.
        self._known: dict[str, Peak] = {}

    def peak(self, stream: str) -> Peak | None:
        return self._known.get(stream)

    def due(self, streams: Iterable[str]) -> list[str]:
        return sorted(s for s in set(streams) if s not in self._fresh)

    def fetch(self, client, streams: Iterable[str], now: int, gate: Gate) -> int:
        """Read the peak of each of ``streams`` (the on-demand ones) not read within the TTL;
        forget the others. Returns the number of GetMetricData calls made."""
        wanted = set(streams)
        for gone in [s for s in self._known if s not in wanted]:
            del self._known[gone]
            self._fresh.pop(gone, None)
        due = self.due(wanted)
        end = align(now, PERIOD)
        start = end - ON_DEMAND_PEAK_WINDOW_SEC
        calls = 0
        for i in range(0, len(due), PER_CALL):
            chunk = due[i : i + PER_CALL]
            found, n = self._read(client, chunk, start, end, gate)
            calls += n
            for name in chunk:
                self._known[name] = found.get(name, Peak(0.0, None))
                self._fresh[name] = True
        return calls

    def _read(
        self, client, streams: Sequence[str], start: int, end: int, gate: Gate
    ) -> tuple[dict[str, Peak], int]:
        queries = [
            MetricQuery(name, "AWS/Kinesis", "IncomingBytes", (("StreamName", name),), "Sum")
            for name in streams
        ]
        results, calls = get_metric_data(client, queries, start, end, PERIOD, gate)
        best: dict[str, Peak] = {}
        for i, points in results:
            name = streams[i]
            for ts, value in points:
                rate = value / PERIOD
                held = best.get(name)
                # Periods of 0 bytes are no writes: such a stream has no peak to date.
                if rate > (held.bytes_per_sec if held else 0.0):
                    best[name] = Peak(rate, ts)
        return best, calls
