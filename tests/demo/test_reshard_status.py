"""A resharded stream is UPDATING for a while, as on AWS, so dashboards see the change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kmon.demo import DemoWorld
from kmon.demo.world import UPDATING_SEC
from tests.demo.conftest import FakeClock


def status(aws: dict[str, Any], name: str) -> str:
    summary = aws["kinesis"].describe_stream_summary(StreamName=name)
    return summary["StreamDescriptionSummary"]["StreamStatus"]


def test_resharded_stream_is_updating_then_active(
    world: DemoWorld, aws: dict[str, Any], clock: FakeClock, wait: Any
) -> None:
    assert world.resharded
    assert status(aws, "user-profiles") == "UPDATING"
    listed = aws["kinesis"].list_streams()["StreamSummaries"]
    assert {s["StreamName"]: s["StreamStatus"] for s in listed}["user-profiles"] == "UPDATING"
    assert status(aws, "orders-events") == "ACTIVE"  # only the resharded one
    clock.set(clock() + timedelta(seconds=UPDATING_SEC + 1))
    wait(lambda: status(aws, "user-profiles") == "ACTIVE")
