"""TTL caches behind a lock, with single-flight: concurrent misses make one request."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, TypeVar

from cachetools import TLRUCache

V = TypeVar("V")


class SingleFlightCache(Generic[V]):
    """A TTL cache of fetched values.

    ``jitter`` spreads expiry over ``ttl * (1 +- jitter)`` so entries fetched together do not
    all expire together: refreshes trickle across polls instead of bursting.
    """

    def __init__(
        self,
        ttl: float,
        *,
        maxsize: int = 100_000,
        jitter: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.ttl = ttl
        self._rng = rng or random.Random()

        def ttu(_key, _value, now: float) -> float:
            spread = self._rng.uniform(-jitter, jitter) if jitter else 0.0
            return now + ttl * (1 + spread)

        self._cache: TLRUCache = TLRUCache(maxsize=maxsize, ttu=ttu, timer=clock)
        self._lock = threading.Lock()
        self._inflight: dict[Hashable, Future] = {}

    def peek(self, key: Hashable) -> V | None:
        """The cached value if still fresh, without fetching."""
        with self._lock:
            return self._cache.get(key)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._cache

    def get(self, key: Hashable, fetch: Callable[[], V]) -> V:
        with self._lock:
            try:
                return self._cache[key]
            except KeyError:
                pass
            future = self._inflight.get(key)
            leader = future is None
            if leader:
                future = self._inflight[key] = Future()
        if not leader:
            return future.result()
        try:
            value = fetch()
        except BaseException as exc:
            future.set_exception(exc)
            raise
        else:
            with self._lock:
                self._cache[key] = value
            future.set_result(value)
            return value
        finally:
            with self._lock:
                self._inflight.pop(key, None)

    def invalidate(self, key: Hashable | None = None) -> None:
        with self._lock:
            if key is None:
                self._cache.clear()
            else:
                self._cache.pop(key, None)
