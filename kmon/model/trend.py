"""Trend arithmetic over a consumer's lag samples: slope, time to catch up, time to data loss.

Lag is in milliseconds behind the tip of the stream, sampled once a minute. Pure arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from kmon.model import limits

WINDOW_SEC = 10 * 60
# Lag that grows by less than this per minute is jitter, not falling behind.
GROWTH_MIN_MS_PER_MIN = 1_000.0
# A consumer that makes no progress falls behind as fast as the clock: 60 s of lag a minute.
# At 90% of that, over a window of at least this many samples, it is stuck, not slow.
STALL_CLOCK_FRACTION = 0.9
STALL_MIN_POINTS = 5

Point = tuple[int, float]  # (epoch seconds, lag ms)


def slope_ms_per_min(points: Sequence[Point]) -> float | None:
    """Least-squares slope of lag over time, in ms of lag per minute; None under 2 times."""
    if len({t for t, _ in points}) < 2:
        return None
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    cov = sum((t - mean_t) * (v - mean_v) for t, v in points)
    var = sum((t - mean_t) ** 2 for t, _ in points)
    return cov / var * 60.0


def catch_up_sec(lag_ms: float | None, slope: float | None) -> float | None:
    """Seconds until lag reaches zero at the current rate; None unless it is falling."""
    if lag_ms is None:
        return None
    if lag_ms <= 0:
        return 0.0
    if slope is None or slope >= 0:
        return None
    return lag_ms / -slope * 60.0


def data_loss_sec(
    lag_ms: float | None, slope: float | None, retention_hours: float | None
) -> float | None:
    """Seconds until lag reaches the retention period (records expire unread) at the current
    rate; None unless lag is growing and retention known."""
    if lag_ms is None or not retention_hours:
        return None
    retention_ms = retention_hours * limits.HOUR * 1000.0
    if lag_ms >= retention_ms:
        return 0.0
    if slope is None or slope <= 0:
        return None
    return (retention_ms - lag_ms) / slope * 60.0


def in_window(points: Iterable[Point], now: int, window_sec: int = WINDOW_SEC) -> list[Point]:
    return sorted((t, v) for t, v in points if now - window_sec <= t <= now)


def is_growing(window: Sequence[Point], slope: float | None) -> bool:
    # Burrow: a consumer whose lag touched zero in the window is keeping up, whatever the trend.
    return (
        len(window) >= 3
        and slope is not None
        and slope >= GROWTH_MIN_MS_PER_MIN
        and window[-1][1] > window[0][1]
        and min(v for _, v in window) > 0
    )


def is_stuck(window: Sequence[Point], slope: float | None) -> bool:
    """Lag rising as fast as the clock at every sample: the consumer is not moving at all."""
    if len(window) < STALL_MIN_POINTS or slope is None:
        return False
    rising = all(b[1] > a[1] for a, b in zip(window, window[1:]))
    return rising and slope >= STALL_CLOCK_FRACTION * 60_000.0


def run_start(points: Sequence[Point], holds: Callable[[float], bool]) -> int | None:
    """When the run of samples for which ``holds`` is true, ending at the newest, began;
    None when the newest sample does not hold."""
    start = None
    for t, v in reversed(points):
        if not holds(v):
            break
        start = t
    return start


def rising_since(points: Sequence[Point], min_ms_per_min: float) -> int | None:
    """When lag began rising by at least ``min_ms_per_min`` every minute, up to the newest."""
    start = None
    for (t0, v0), (t1, v1) in zip(reversed(points[:-1]), reversed(points[1:])):
        minutes = (t1 - t0) / 60.0
        if minutes <= 0 or v1 - v0 <= 0 or (v1 - v0) / minutes < min_ms_per_min:
            break
        start = t0
    return start
