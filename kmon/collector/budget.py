"""Per-API rate budgets and accounting of every call and every metric requested."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable

from kmon.model.limits import API_RATES_PER_SEC, PER_STREAM_APIS

Clock = Callable[[], float]


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up."""

    def __init__(self, rate: float, burst: float, clock: Clock = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._stamp = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def try_take(self) -> bool:
        with self._lock:
            self._refill()
            if self._tokens >= 1 - 1e-9:  # tolerate float rounding of the refill
                self._tokens -= 1
                return True
            return False

    def wait_time(self) -> float:
        """Seconds until a token is available."""
        with self._lock:
            self._refill()
            return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate


class ApiBudget:
    """Token buckets per API at a share of AWS's published rates, plus throttling back-off.

    kmon is rarely the only caller in an account, so it takes half of each published rate.
    """

    SHARE = 0.5
    # Throttling pauses start here and double while AWS keeps throttling, up to ``max_pause``.
    FIRST_PAUSE = 5.0
    MAX_PAUSE = 300.0

    def __init__(
        self,
        clock: Clock = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_pause: float = MAX_PAUSE,
    ):
        self._clock = clock
        self._sleep = sleep
        # The collector sets this just under its refresh interval, so each scheduled poll
        # probes a throttled API once: a throttle that ended is seen within one refresh.
        self.max_pause = max_pause
        self._buckets = {
            api: TokenBucket(rate * self.SHARE, max(1.0, rate * self.SHARE), clock)
            for api, rate in API_RATES_PER_SEC.items()
            if api not in PER_STREAM_APIS
        }
        self._backoff_until: dict[str, float] = {}
        self._strikes: Counter[str] = Counter()
        self._why: dict[str, str] = {}
        self._sent: set[str] = set()  # APIs called since they were last throttled

    def share(self, api: str, other: ApiBudget) -> None:
        """Take ``api``'s tokens from ``other``'s bucket: calls made as the same account and
        region (a CloudWatch monitoring account's, for its linked accounts) share its rate."""
        self._buckets[api] = other._buckets[api]

    def acquire(self, api: str, max_wait: float = 2.0) -> bool:
        """Take a token for ``api``, waiting up to ``max_wait`` s; False means skip for now."""
        if self.backing_off(api):
            return False
        bucket = self._buckets.get(api)
        if bucket is not None:
            deadline = self._clock() + max_wait
            while not bucket.try_take():
                wait = bucket.wait_time()
                if self._clock() + wait > deadline:
                    return False
                self._sleep(max(wait, 0.001))
        self._sent.add(api)
        return True

    def backing_off(self, api: str) -> bool:
        return self._clock() < self._backoff_until.get(api, 0.0)

    def why(self, api: str) -> str:
        """What the pause of ``api`` is for: the throttling AWS answered with."""
        return self._why.get(api) or f"{api} throttled by AWS: backing off"

    def throttled(self, api: str, reason: str | None = None) -> float:
        """AWS throttled ``api``: pause it, doubling the pause each time (5 s up to
        ``max_pause``). ``reason`` is the throttling as AWS named it, shown while paused."""
        self._strikes[api] += 1
        pause = min(self.max_pause, self.FIRST_PAUSE * 2 ** (self._strikes[api] - 1))
        self._backoff_until[api] = self._clock() + pause
        self._sent.discard(api)
        if reason:
            self._why[api] = reason
        return pause

    def succeeded(self, api: str) -> None:
        """A call of ``api`` worked: its next throttle pauses it briefly again. A fetch that
        made no call (nothing was due) proves nothing and changes nothing."""
        if api in self._sent:
            self._strikes.pop(api, None)
            self._why.pop(api, None)

    def clear(self) -> None:
        """Forget every pause: the user asked to retry now."""
        self._backoff_until.clear()
        self._strikes.clear()


class Accounting:
    """Counts every request sent and every CloudWatch metric requested.

    Rates are the current rate: over the last five minutes (opening a stream's hours of
    history an hour ago says nothing about now), and never divide by less than one refresh
    interval, so the first poll's counts read as what a steady refresh costs, not a spike.
    """

    WINDOW = 300.0

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._started = clock()
        self._steady_from: float | None = None
        self.calls = 0
        self.metrics = 0
        self.by_api: Counter[str] = Counter()
        self._call_times: deque[float] = deque()
        self._metric_events: deque[tuple[float, int]] = deque()

    def count_call(self, api: str) -> None:
        with self._lock:
            self.calls += 1
            self.by_api[api] += 1
            self._call_times.append(self._clock())

    def count_metrics(self, n: int) -> None:
        with self._lock:
            self.metrics += n
            self._metric_events.append((self._clock(), n))

    def _trim(self, now: float) -> None:
        while self._call_times and self._call_times[0] <= now - self.WINDOW:
            self._call_times.popleft()
        while self._metric_events and self._metric_events[0][0] <= now - self.WINDOW:
            self._metric_events.popleft()

    def mark_steady(self) -> None:
        """The one-off first poll (every stream described) is over: rates start from here, so
        the footer shows what running costs, not what starting cost."""
        with self._lock:
            if self._steady_from is None:
                self._steady_from = self._clock()

    def rates(self, interval: float) -> tuple[float, float]:
        """(calls per minute, metrics per hour) at a refresh ``interval`` in seconds."""
        with self._lock:
            now = self._clock()
            self._trim(now)
            since = self._started
            calls = list(self._call_times)
            events = list(self._metric_events)
            steady = self._steady_from
            if steady is not None and any(t > steady for t in calls):
                since = steady
                calls = [t for t in calls if t > steady]
                events = [e for e in events if e[0] > steady]
            span = max(min(now - since, self.WINDOW), interval)
            metrics = sum(n for _, n in events)
            return len(calls) * 60.0 / span, metrics * 3600.0 / span
