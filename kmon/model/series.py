"""Bounded per-minute time series.

CloudWatch hands back datapoints keyed by the start of their period; a series keeps the newest
``maxlen`` of them in timestamp order, and merging the same timestamp again replaces the value
(a late datapoint corrects an early one instead of duplicating it).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable


class Series:
    """Timestamps (epoch seconds) -> values, sorted, at most ``maxlen`` points."""

    __slots__ = ("_ts", "_vals", "maxlen")

    def __init__(self, maxlen: int = 1440) -> None:
        self.maxlen = maxlen
        self._ts: list[int] = []
        self._vals: list[float] = []

    def __len__(self) -> int:
        return len(self._ts)

    def merge(self, points: Iterable[tuple[int, float]]) -> None:
        for ts, value in points:
            i = bisect_left(self._ts, ts)
            if i < len(self._ts) and self._ts[i] == ts:
                self._vals[i] = value
            else:
                self._ts.insert(i, ts)
                self._vals.insert(i, value)
        overflow = len(self._ts) - self.maxlen
        if overflow > 0:
            del self._ts[:overflow]
            del self._vals[:overflow]

    def prune(self, before: int) -> None:
        """Drop points older than ``before``."""
        i = bisect_left(self._ts, before)
        if i:
            del self._ts[:i]
            del self._vals[:i]

    def latest(self, not_before: int | None = None) -> tuple[int, float] | None:
        """The newest point, or None when there is none (or none since ``not_before``)."""
        if not self._ts:
            return None
        if not_before is not None and self._ts[-1] < not_before:
            return None
        return self._ts[-1], self._vals[-1]

    def get(self, ts: int) -> float | None:
        i = bisect_left(self._ts, ts)
        if i < len(self._ts) and self._ts[i] == ts:
            return self._vals[i]
        return None

    def points(self, since: int | None = None) -> list[tuple[int, float]]:
        start = 0 if since is None else bisect_left(self._ts, since)
        return list(zip(self._ts[start:], self._vals[start:]))

    def max(self, since: int | None = None) -> float | None:
        vals = [v for _, v in self.points(since)]
        return max(vals) if vals else None
