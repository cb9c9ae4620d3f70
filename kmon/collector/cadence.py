"""Which streams' overview metrics a poll asks CloudWatch for: the budget governor.

The UI refresh, the control plane and CloudWatch are three clocks. The metric store already
asks each metric at most once a minute; this decides, minute by minute, which streams are
worth that minute (see kmon.model.cadence for the rule and its arithmetic).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from kmon.collector.budget import Accounting
from kmon.collector.metrics import OVERVIEW_METRICS, MetricStore, align
from kmon.model import cadence
from kmon.model.health import Health

# Any overview key tells when a stream was last fetched: they are always asked together.
_PROBE_KEY = OVERVIEW_METRICS[0].key
METRICS_PER_STREAM = len(OVERVIEW_METRICS)


class MetricCadence:
    def __init__(
        self,
        store: MetricStore,
        monotonic: Callable[[], float],
        *,
        budget_usd_per_day: float,
        max_staleness_sec: float,
    ) -> None:
        self.store = store
        self.budget_usd_per_day = budget_usd_per_day
        self.max_staleness_sec = max_staleness_sec
        # Overview metrics alone, to tell them from the rest of kmon's CloudWatch spend.
        self.spent = Accounting(monotonic)
        self.plan = cadence.plan(
            budget_usd_per_day=budget_usd_per_day,
            max_staleness_sec=max_staleness_sec,
            close=0,
            healthy=0,
            metrics_per_stream=METRICS_PER_STREAM,
        )
        self._fetched_at: dict[str, datetime] = {}

    def due(
        self,
        names: Iterable[str],
        now: int,
        *,
        on_screen: str | None,
        health: Mapping[str, Health],
        all_metrics_per_hour: float,
        refresh: float,
    ) -> list[str]:
        """The streams to fetch now; also sets ``plan`` for the footer."""
        names = list(names)
        close = {
            n
            for n in names
            if cadence.needs_every_minute(
                health.get(n), on_screen=n == on_screen, changing=self._changing(n, now)
            )
        }
        overview_per_hour = self.spent.rates(refresh)[1]
        self.plan = cadence.plan(
            budget_usd_per_day=self.budget_usd_per_day,
            max_staleness_sec=self.max_staleness_sec,
            close=len(close),
            healthy=len(names) - len(close),
            metrics_per_stream=METRICS_PER_STREAM,
            other_metrics_per_hour=max(0.0, all_metrics_per_hour - overview_per_hour),
        )
        end = align(now)
        every = self.plan.healthy_every_sec or cadence.MINUTE
        due = []
        for n in names:
            last = self.fetched_end(n)
            if last is None or (end > last and (n in close or end - last >= every)):
                due.append(n)
        return due

    def fetched(self, names: Iterable[str], at: datetime) -> None:
        """``names`` were fetched (successfully) at ``at``."""
        names = list(names)
        self.spent.count_metrics(len(names) * METRICS_PER_STREAM)
        for n in names:
            self._fetched_at[n] = at

    def fetched_end(self, name: str) -> int | None:
        """The end of the minutes last asked for ``name`` (see MetricStore.fetched_end)."""
        return self.store.fetched_end((name, _PROBE_KEY))

    def fetched_at(self, name: str) -> datetime | None:
        return self._fetched_at.get(name)

    def forget(self, live: set[str]) -> None:
        for gone in [n for n in self._fetched_at if n not in live]:
            del self._fetched_at[gone]

    def _changing(self, name: str, now: int) -> bool:
        since = align(now) - (cadence.RECENT_MINUTES + cadence.BASELINE_MINUTES + 3) * 60
        series = self.store.stream_series
        return cadence.changed_sharply(
            [v for _, v in series(name, "incoming_bytes").points(since)],
            [v for _, v in series(name, "iterator_age_ms").points(since)],
        )
