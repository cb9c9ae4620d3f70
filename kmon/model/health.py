"""Health of a stream from its newest complete minute: ok / warn / crit / unknown."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from kmon.model import limits


class Health(str, Enum):
    OK = "ok"
    WARN = "warn"
    CRIT = "crit"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """Worst first when sorting descending: crit > warn > unknown > ok."""
        return {"ok": 0, "unknown": 1, "warn": 2, "crit": 3}[self.value]


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


@dataclass(frozen=True)
class HealthInputs:
    """What health is judged from; None means no datapoint."""

    utilizations_pct: tuple[float | None, ...]
    iterator_age_ms: float | None
    retention_hours: int | None
    # Per-minute write+read throttle sums, oldest first, ending at the newest complete minute.
    throttles_recent: tuple[float | None, ...]
    metrics_available: bool = True


def judge(inputs: HealthInputs, t: Thresholds = Thresholds()) -> tuple[Health, list[str]]:
    """Return the health and the reasons for it (empty when ok)."""
    if not inputs.metrics_available:
        return Health.UNKNOWN, ["metrics unavailable"]
    crit: list[str] = []
    warn: list[str] = []
    for pct in inputs.utilizations_pct:
        if pct is None:
            continue
        if pct >= t.utilization_crit_pct:
            crit.append(f"utilization {pct:.0f}%")
        elif pct >= t.utilization_warn_pct:
            warn.append(f"utilization {pct:.0f}%")
    age = inputs.iterator_age_ms
    if age is not None:
        if inputs.retention_hours and age >= (
            inputs.retention_hours * limits.HOUR * 1000 * t.retention_crit_fraction
        ):
            crit.append("iterator age past 50% of retention")
        elif age >= t.iterator_age_warn_ms:
            warn.append("iterator age high")
    recent = inputs.throttles_recent
    window = recent[-t.throttle_crit_minutes :] if t.throttle_crit_minutes else ()
    if len(window) >= t.throttle_crit_minutes and all(v for v in window):
        crit.append(f"throttled {t.throttle_crit_minutes} minutes running")
    elif recent and recent[-1]:
        warn.append("throttled")
    if crit:
        return Health.CRIT, crit + warn
    if warn:
        return Health.WARN, warn
    return Health.OK, []
