from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest

from kmon.demo import DemoWorld

T0 = datetime(2026, 11, 25, 14, 30, 20, tzinfo=timezone.utc)
RESHARD_AFTER_SEC = 90.0
RUN_MINUTES = 4  # minutes the shared world runs past its start


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def set(self, now: datetime) -> None:
        with self._lock:
            self.now = now


def wait_for(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the demo world")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def wait() -> Any:
    return wait_for


@pytest.fixture(scope="session")
def run_minutes() -> int:
    return RUN_MINUTES


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture(scope="module")
def world(clock: FakeClock) -> Iterator[DemoWorld]:
    w = DemoWorld(seed=7, clock=clock, reshard_after_sec=RESHARD_AFTER_SEC)
    w.start()
    try:
        # Move the clock; the world's own thread publishes the minutes and reshards.
        target = T0 + timedelta(minutes=RUN_MINUTES)
        clock.set(target)
        wait_for(lambda: w.published_until >= target.replace(second=0))
        yield w
    finally:
        w.stop()


@pytest.fixture(scope="module")
def aws(world: DemoWorld) -> dict[str, Any]:
    kw = {
        "endpoint_url": world.endpoint,
        "region_name": world.region,
        "aws_access_key_id": "test",
        "aws_secret_access_key": "test",
    }
    return {s: boto3.client(s, **kw) for s in ("kinesis", "cloudwatch", "dynamodb", "lambda")}
