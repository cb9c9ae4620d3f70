"""How often each stream's metrics are worth paying for: the CloudWatch budget's arithmetic.

CloudWatch bills every metric requested ($0.01 per 1,000) and Kinesis publishes one datapoint a
minute, so the floor is one request per metric per minute. Under a budget, streams that need
watching closely (the one on screen, those not OK, those changing fast) stay at that floor;
healthy ones are fetched every ``max_staleness`` (each fetch brings every minute since the
last, so history stays whole), and less often only when the budget cannot pay even that.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from kmon.model.health import Health
from kmon.model.limits import CLOUDWATCH_USD_PER_1000_METRICS

MINUTE = 60
DEFAULT_BUDGET_USD_PER_DAY = 3.0
DEFAULT_MAX_STALENESS_SEC = 5 * MINUTE
# Past this a healthy stream's numbers say little about now; the budget is called too small.
MAX_STRETCH_SEC = 60 * MINUTE
# A stream's numbers say how old they are once older than a minute and a half: a stream read
# every minute never gets there (the half minute absorbs the polls' timing).
AGE_SHOWN_AFTER_SEC = 90

# "Changed sharply": the newest minutes against the ten before them. Small absolute moves on
# a quiet stream (a few KiB/s, a few seconds of iterator age) are not news.
RECENT_MINUTES = 3
BASELINE_MINUTES = 10
SHARP_FACTOR = 2.0
SHARP_MIN_BYTES_PER_MIN = 64 * 1024 * MINUTE  # 64 KiB/s
SHARP_MIN_ITERATOR_AGE_MS = 60_000.0


def metrics_per_hour(usd_per_day: float) -> float:
    """How many metrics a day's budget buys each hour."""
    return usd_per_day / CLOUDWATCH_USD_PER_1000_METRICS * 1000 / 24


def usd_per_day(metrics_per_hour_: float) -> float:
    return metrics_per_hour_ * 24 / 1000 * CLOUDWATCH_USD_PER_1000_METRICS


@dataclass(frozen=True)
class Plan:
    """What the governor does this poll. ``healthy_every_sec`` is None without a budget
    (every stream every minute)."""

    budget_usd_per_day: float
    healthy_every_sec: float | None
    projected_usd_per_day: float
    over_budget: bool = False  # even the stretched cadence costs more than the budget

    def to_dict(self) -> dict:
        return {
            "budget_usd_per_day": self.budget_usd_per_day or None,
            "healthy_every_sec": self.healthy_every_sec,
            "projected_usd_per_day": round(self.projected_usd_per_day, 4),
            "over_budget": self.over_budget,
        }


def plan(
    *,
    budget_usd_per_day: float,
    max_staleness_sec: float,
    close: int,
    healthy: int,
    metrics_per_stream: int,
    other_metrics_per_hour: float = 0.0,
) -> Plan:
    """The cadence for ``healthy`` streams when ``close`` streams are fetched every minute and
    other CloudWatch reads (detail, consumers, shards) cost ``other_metrics_per_hour``.
    A budget of 0 means no limit: every stream every minute, the floor."""
    close_per_hour = close * metrics_per_stream * 60
    if budget_usd_per_day <= 0:
        every_minute = (close + healthy) * metrics_per_stream * 60 + other_metrics_per_hour
        return Plan(0.0, None, usd_per_day(every_minute))
    per_fetch = healthy * metrics_per_stream
    room = metrics_per_hour(budget_usd_per_day) - close_per_hour - other_metrics_per_hour
    every = max(MINUTE, max_staleness_sec)
    if per_fetch:
        # Whole minutes: a stream cannot be fetched between two of CloudWatch's periods.
        needed = math.ceil(per_fetch * 3600 / room / MINUTE) * MINUTE if room > 0 else math.inf
        every = max(every, needed)
    over = every > MAX_STRETCH_SEC
    every = min(every, MAX_STRETCH_SEC)
    spend = close_per_hour + other_metrics_per_hour + per_fetch * 3600 / every
    return Plan(budget_usd_per_day, float(every), usd_per_day(spend), over)


def needs_every_minute(health: Health | None, *, on_screen: bool, changing: bool) -> bool:
    """A stream watched at the floor: on screen, not OK, or changing fast. ``health`` None:
    never judged yet."""
    if on_screen or changing or health is None:
        return True
    return health in (Health.WARN, Health.CRIT)


def changed_sharply(incoming_bytes: Sequence[float], iterator_age_ms: Sequence[float]) -> bool:
    """Whether the newest minutes moved far from the ten before them: incoming bytes per
    minute up or down by ``SHARP_FACTOR`` (and at least 64 KiB/s), or the iterator age up by
    as much (and at least a minute). Both oldest first, one value a minute."""
    return _moved(incoming_bytes, SHARP_MIN_BYTES_PER_MIN, both_ways=True) or _moved(
        iterator_age_ms, SHARP_MIN_ITERATOR_AGE_MS, both_ways=False
    )


def _moved(values: Sequence[float], floor: float, *, both_ways: bool) -> bool:
    if len(values) < RECENT_MINUTES + 1:
        return False
    recent = values[-RECENT_MINUTES:]
    before = values[-RECENT_MINUTES - BASELINE_MINUTES : -RECENT_MINUTES]
    base = sum(before) / len(before)
    for v in recent:
        if v - base >= floor and v >= base * SHARP_FACTOR:
            return True
        if both_ways and base - v >= floor and v * SHARP_FACTOR <= base:
            return True
    return False
