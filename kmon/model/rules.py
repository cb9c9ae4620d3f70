"""Every threshold judgement kmon makes, in one place, fed by the configured thresholds.

Health levels, utilization colours, the retention-risk line and its label, hot shards, lease
thrashing and dead workers, lag levels: screens and the JSON ask these methods and never keep
a copy of a number. ``Thresholds`` is what ``[thresholds]`` in the config file sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

from kmon.model import limits
from kmon.model.health import Health


@dataclass(frozen=True)
class Thresholds:
    """Defaults follow AWS guidance; each can be overridden in the config file."""

    utilization_warn_pct: float = 80.0
    utilization_crit_pct: float = 100.0
    iterator_age_warn_ms: float = 30_000.0
    retention_crit_fraction: float = limits.RETENTION_RISK_FRACTION
    throttle_crit_minutes: int = 5
    # A KCL lease owner that has not renewed for this long is dead. Set it to at least the
    # application's failoverTimeMillis (KCL default 10 s); polls are a minute apart, and
    # applications often raise the failover time, so a minute is the safe default.
    lease_duration_sec: float = 60.0
    # ownerSwitchesSinceCheckpoint at or above this: workers keep taking a lease from each other.
    thrash_switches: int = 3
    # A shard at this share of its write limit is hot (a hot partition key lives there).
    shard_hot_pct: float = 80.0
    # Shared reads: GetRecords calls or read bytes per shard at this share of the limit.
    shared_read_warn_pct: float = 80.0
    # An account quota (open shards, on-demand streams, EFO consumers of a stream) this full:
    # a quota increase can take days, so the warning comes well before the last one is used.
    quota_warn_pct: float = 80.0

    def problems(self) -> list[str]:
        """What is inconsistent in these settings (empty when they make sense)."""
        out = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value < 0:
                out.append(f"{f.name} must not be negative, got {value}")
        if self.utilization_warn_pct >= self.utilization_crit_pct:
            out.append(
                f"utilization_warn_pct ({self.utilization_warn_pct:g}) must be below "
                f"utilization_crit_pct ({self.utilization_crit_pct:g})"
            )
        if not 0 < self.retention_crit_fraction <= 1:
            out.append(
                f"retention_crit_fraction must be in (0, 1], got {self.retention_crit_fraction:g}"
            )
        for name in ("shard_hot_pct", "shared_read_warn_pct", "quota_warn_pct"):
            if not 0 < getattr(self, name) <= 100:
                out.append(f"{name} must be in (0, 100], got {getattr(self, name):g}")
        if self.throttle_crit_minutes < 1:
            out.append("throttle_crit_minutes must be at least 1")
        if self.thrash_switches < 1:
            out.append("thrash_switches must be at least 1")
        return out

    # -- capacity -------------------------------------------------------------------------

    def utilization(self, pct: float | None, estimated: bool = False) -> Health:
        """OK below the warning line, WARN past it, CRIT at the limit; UNKNOWN without data.
        Against an ``estimated`` capacity (on-demand) at most WARN: AWS adapts that capacity,
        so only throttling proves it was reached."""
        if pct is None:
            return Health.UNKNOWN
        if pct >= self.utilization_crit_pct and not estimated:
            return Health.CRIT
        return Health.WARN if pct >= self.utilization_warn_pct else Health.OK

    def shard_hot(self, write_util_pct: float | None, write_throttled: float | None) -> bool:
        return bool(write_throttled) or (
            write_util_pct is not None and write_util_pct >= self.shard_hot_pct
        )

    def shared_read_busy(self, pct_of_limit: float | None) -> bool:
        return pct_of_limit is not None and pct_of_limit >= self.shared_read_warn_pct

    def shards_for(self, peak: float, per_shard: float) -> int:
        """Shards that keep ``peak`` (a rate) under the warning line."""
        usable = per_shard * self.utilization_warn_pct / 100.0
        n = int(-(-peak // usable)) if usable > 0 else 1
        # Exactly on the line is still WARN: one more.
        if n * usable <= peak:
            n += 1
        return max(1, n)

    # -- account quotas -------------------------------------------------------------------

    def quota(self, used: int | None, limit: int | None) -> Health:
        """WARN from ``quota_warn_pct`` of an account quota on; UNKNOWN without both numbers."""
        if used is None or not limit:
            return Health.UNKNOWN
        return Health.WARN if used / limit * 100 >= self.quota_warn_pct else Health.OK

    # -- iterator age and lag -------------------------------------------------------------

    @property
    def retention_risk_label(self) -> str:
        return f"{self.retention_crit_fraction * 100:g}% of retention"

    def retention_risk_ms(self, retention_hours: float | None) -> float | None:
        """The lag past which records are at risk of expiring unread."""
        if not retention_hours:
            return None
        return retention_hours * limits.HOUR * 1000.0 * self.retention_crit_fraction

    def iterator_age(self, age_ms: float | None, retention_hours: float | None) -> Health:
        if age_ms is None:
            return Health.UNKNOWN
        risk = self.retention_risk_ms(retention_hours)
        if risk is not None and age_ms >= risk:
            return Health.CRIT
        return Health.WARN if age_ms >= self.iterator_age_warn_ms else Health.OK

    def lag_high(self, lag_ms: float | None) -> bool:
        return lag_ms is not None and lag_ms >= self.iterator_age_warn_ms

    # -- throttling -----------------------------------------------------------------------

    def throttling(self, recent: Sequence[float | None]) -> Health:
        """Per-minute throttle counts, oldest first, ending at the newest minute: CRIT after
        ``throttle_crit_minutes`` running, WARN for a throttled newest minute."""
        n = self.throttle_crit_minutes
        window = recent[-n:] if n else ()
        if n and len(window) >= n and all(v for v in window):
            return Health.CRIT
        return Health.WARN if recent and recent[-1] else Health.OK

    # -- KCL leases -----------------------------------------------------------------------

    def lease_dead(self, counter_still_sec: float) -> bool:
        return counter_still_sec > self.lease_duration_sec

    def thrashing(self, owner_switches: int | None) -> bool:
        return (owner_switches or 0) >= self.thrash_switches
