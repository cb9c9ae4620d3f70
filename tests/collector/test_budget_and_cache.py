from __future__ import annotations

import threading
import time

from kmon.collector.budget import Accounting, ApiBudget, TokenBucket
from kmon.collector.cache import SingleFlightCache


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


def test_token_bucket_limits_rate():
    clock = Clock()
    bucket = TokenBucket(rate=2, burst=2, clock=clock)
    assert bucket.try_take() and bucket.try_take()
    assert not bucket.try_take()
    clock.t += 0.5
    assert bucket.try_take() and not bucket.try_take()


def test_budget_waits_within_published_rate_and_backs_off_when_throttled():
    clock = Clock()
    budget = ApiBudget(clock, clock.sleep)
    # DescribeStreamSummary is published at 20/s; kmon takes half: 30 calls take ~2 s.
    for _ in range(30):
        assert budget.acquire("DescribeStreamSummary", max_wait=5)
    assert 1.9 <= clock.t <= 2.1
    pause = budget.throttled("ListStreams")
    assert pause == 5 and not budget.acquire("ListStreams")
    assert budget.throttled("ListStreams") == 10  # doubles while throttling continues
    clock.t += 10.1
    assert budget.acquire("ListStreams")
    budget.succeeded("ListStreams")
    assert budget.throttled("ListStreams") == 5


def test_accounting_rates_never_divide_by_less_than_a_refresh():
    clock = Clock()
    acc = Accounting(clock)
    for _ in range(3):
        acc.count_call("GetMetricData")
    acc.count_metrics(1200)
    calls_per_min, metrics_per_hour = acc.rates(interval=60)
    assert calls_per_min == 3 and metrics_per_hour == 72_000
    clock.t = 120
    acc.count_metrics(1200)
    assert acc.rates(interval=60)[1] == 72_000  # 2,400 over 120 s


def test_single_flight_makes_one_request_for_concurrent_misses():
    cache: SingleFlightCache[int] = SingleFlightCache(ttl=60)
    calls = []
    gate = threading.Event()

    def fetch() -> int:
        calls.append(1)
        gate.wait(2)
        return 42

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get("k", fetch))) for _ in range(5)
    ]
    for t in threads:
        t.start()
    time.sleep(0.1)
    gate.set()
    for t in threads:
        t.join()
    assert results == [42] * 5 and len(calls) == 1


def test_ttl_expiry_and_errors_are_not_cached():
    clock = Clock()
    cache: SingleFlightCache[str] = SingleFlightCache(ttl=10, clock=clock)
    assert cache.get("a", lambda: "one") == "one"
    assert cache.get("a", lambda: "two") == "one"
    clock.t = 11
    assert cache.get("a", lambda: "three") == "three"

    def boom() -> str:
        raise RuntimeError("no")

    try:
        cache.get("b", boom)
    except RuntimeError:
        pass
    assert cache.get("b", lambda: "ok") == "ok"


def test_rates_after_the_first_poll_show_running_cost_not_start_cost():
    clock = Clock()
    acc = Accounting(clock)
    for _ in range(200):  # the first poll describes every stream
        acc.count_call("DescribeStreamSummary")
    acc.mark_steady()
    assert acc.rates(interval=60)[0] == 200  # nothing since: the start is all there is
    clock.t = 60
    acc.count_call("ListStreams")
    acc.count_call("GetMetricData")
    assert acc.rates(interval=60)[0] == 2


def test_rates_are_the_last_five_minutes_not_the_average_since_start():
    clock = Clock()
    acc = Accounting(clock)
    acc.count_metrics(6000)  # opening a stream: its three hours of history, once
    for minute in range(1, 11):
        clock.t = 60 * minute
        acc.count_metrics(100)  # then 100 metrics a minute
    # At t=600 s the last five minutes hold five polls: 500 metrics / 300 s = 6,000 an hour
    # ($0.01 per 1,000: $1.44 a day), where an average since start would say 43,200.
    assert acc.rates(interval=60)[1] == 6000
