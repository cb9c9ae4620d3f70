"""Lease memory across polls: when each KCL lease's counter and checkpoint last changed."""

from __future__ import annotations

from dataclasses import dataclass

from kmon.model.kcl import Lease


@dataclass
class _Seen:
    counter: int | None
    counter_at: float
    checkpoint: str | None
    checkpoint_at: float
    touched: float


class LeaseWatch:
    """Remembers across polls when each lease's counter and checkpoint last changed.

    Time is whatever clock the caller uses (seconds); a one-shot snapshot has seen each lease
    once, so nothing has been still for any time yet.
    """

    def __init__(self, forget_after_sec: float = 3600.0) -> None:
        self._seen: dict[tuple[str, str], _Seen] = {}
        self.forget_after_sec = forget_after_sec

    def observe(self, table: str, lease: Lease, now: float) -> tuple[float, float]:
        """Record ``lease``; return seconds its (counter, checkpoint) have not changed."""
        key = (table, lease.key)
        seen = self._seen.get(key)
        if seen is None:
            seen = self._seen[key] = _Seen(lease.lease_counter, now, lease.checkpoint, now, now)
        if lease.lease_counter != seen.counter:
            seen.counter, seen.counter_at = lease.lease_counter, now
        if lease.checkpoint != seen.checkpoint:
            seen.checkpoint, seen.checkpoint_at = lease.checkpoint, now
        seen.touched = now
        return now - seen.counter_at, now - seen.checkpoint_at

    def prune(self, now: float) -> None:
        for key in [k for k, s in self._seen.items() if now - s.touched > self.forget_after_sec]:
            del self._seen[key]
