"""Several contexts (accounts and regions) as one fleet: a collector per context, polled
side by side, their snapshots merged by the model (model/fleet.py).

Each context has its own clients, rate budgets, caches and sources (AWS rates are per account
and region). A context that is slow or down never holds the others back: the fleet waits a
bounded time, then shows that context's last snapshot, marked slow, and uses its answer at the
next poll.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timezone

from kmon.collector.collector import Collector
from kmon.model.fleet import Part, merge, placeholder
from kmon.model.identity import Context, split_ref
from kmon.model.replication import ReplicationRule
from kmon.model.snapshot import FleetSnapshot, SourceStatus

log = logging.getLogger(__name__)

# How long a dashboard poll waits for a slow context: half a refresh, within these bounds.
WAIT_MIN_SEC = 2.5
WAIT_MAX_SEC = 8.0


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def wait_for(refresh_sec: float) -> float:
    """Seconds a dashboard poll waits for the contexts before it shows what it has."""
    return min(WAIT_MAX_SEC, max(WAIT_MIN_SEC, refresh_sec / 2))


class FleetCollector:
    """The collector interface (poll, set_focus, retry_now, fatal_error) over many contexts."""

    def __init__(
        self,
        members: Sequence[tuple[Context, Collector]],
        *,
        rules: Sequence[ReplicationRule] = (),
        refresh_sec: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
        bare: Sequence[str] = (),
        budget_usd_per_day: float | None = None,
    ) -> None:
        """``bare``: the --stream names given without a context, found if any context
        holds them. ``budget_usd_per_day``: kmon's CloudWatch budget for the whole fleet,
        shared out between the contexts by their streams (None: each keeps its own)."""
        if not members:
            raise ValueError("a fleet needs at least one context")
        self.members = list(members)
        self._rules = tuple(rules)
        self._refresh = refresh_sec
        self._clock = clock
        self._running: dict[str, threading.Thread] = {}
        self._last: dict[str, FleetSnapshot] = {}
        self._lock = threading.Lock()
        self._focus: str | None = None
        self._bare = frozenset(bare)
        self._budget = budget_usd_per_day

    @property
    def collectors(self) -> list[Collector]:
        return [c for _, c in self.members]

    def poll(self, *, complete: bool = False, timeout: float | None = None) -> FleetSnapshot:
        """Poll every context at once; ``complete`` (one-shot use) waits for all of them, or
        for ``timeout`` seconds: a context that has not answered by then is left out, slow."""
        if len(self.members) == 1:  # one context: polled here, as it always was
            ctx, collector = self.members[0]
            return merge(
                [Part(ctx, collector.poll(complete=complete))], self._rules, focus=self._focus
            )
        with self._lock:
            started = []
            for ctx, collector in self.members:
                running = self._running.get(ctx.label)
                if running is None or not running.is_alive():
                    # Daemon threads: a context that hangs never holds kmon open at exit.
                    thread = threading.Thread(
                        target=self._poll_one,
                        args=(ctx, collector, complete),
                        name=f"kmon-poll-{ctx.label}",
                        daemon=True,
                    )
                    self._running[ctx.label] = thread
                    thread.start()
                    started.append(thread)
            # Only the polls started now are waited for: a context still busy with an earlier
            # poll is shown as slow at once, not waited for at every refresh.
            wait = timeout if complete else wait_for(self._refresh)
            deadline = None if wait is None else time.monotonic() + wait
            for thread in started if not complete else self._running.values():
                thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            parts = []
            for ctx, _ in self.members:
                slow = self._running[ctx.label].is_alive()
                snap = self._last.get(ctx.label)
                if snap is None:
                    snap = placeholder(ctx, self._clock(), self._refresh)
                parts.append(Part(ctx, snap, slow=slow))
            self._share_budget(parts)
            return merge(parts, self._rules, focus=self._focus, bare=self._bare)

    def _share_budget(self, parts: Sequence[Part]) -> None:
        """Each context's share of the budget for its next polls, as its share of the
        fleet's streams (every stream's overview costs the same; a context not listed yet
        counts as one)."""
        if not self._budget:
            return  # no limit, or each context governs its own
        weights = [max(1, len(p.snapshot.streams)) for p in parts]
        total = sum(weights)
        for (_, collector), weight in zip(self.members, weights):
            collector.cadence.budget_usd_per_day = self._budget * weight / total

    def _poll_one(self, ctx: Context, collector: Collector, complete: bool) -> None:
        try:
            self._last[ctx.label] = collector.poll(complete=complete)
        except Exception as exc:  # a context's failure must show, never end its polling
            log.exception("poll of %s failed", ctx.label)
            last = self._last.get(ctx.label) or placeholder(ctx, self._clock(), self._refresh)
            failed = SourceStatus("streams", None, f"kmon could not poll {ctx.label}: {exc}")
            self._last[ctx.label] = replace(last, sources=(failed, *last.sources))

    def set_focus(self, key: str | None, window_sec: int = 3600) -> None:
        """The stream on screen, by its key (``label/name`` with several contexts)."""
        self._focus = key
        label, name = split_ref(key) if key is not None else (None, None)
        single = len(self.members) == 1
        for ctx, collector in self.members:
            mine = name is not None and (single or ctx.label == label)
            collector.set_focus(name if mine else None, window_sec)

    def retry_now(self) -> None:
        for collector in self.collectors:
            collector.retry_now()

    def fatal_error(self) -> str | None:
        """Why nothing at all could be listed, when no context could list its streams."""
        fatal = [(ctx, c.fatal_error()) for ctx, c in self.members]
        if any(message is None for _, message in fatal):
            return None
        if len(fatal) == 1:
            return fatal[0][1]
        return "; ".join(f"{ctx.label}: {message}" for ctx, message in fatal)
