"""From a KCL lease table on moto to the stream's health in the FleetSnapshot: a stalled shard
makes the stream WARN, a dead worker makes it CRIT, each with its finding."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from kmon.collector.collector import Collector, CollectorOptions
from kmon.model.health import Health
from tests.collector.consumer_seed import World, lease_item
from tests.seed import NOW, REGION

SHARD0 = "shardId-000000000000"
SHARD1 = "shardId-000000000001"


class Clocks:
    """The wall clock and the monotonic clock the collector reads, moved together by hand."""

    def __init__(self) -> None:
        self.now = NOW
        self.t = 1000.0

    def wall(self):
        return self.now

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.t += seconds


@pytest.fixture
def world(endpoint, seeder) -> World:
    """orders (2 shards) takes 100 records a minute, read by the KCL application "app"
    (worker-1 on shard 0, worker-2 on shard 1)."""
    seeder.stream("orders", shards=2)
    # Records every minute from 20 minutes before NOW to 10 minutes after it: traffic in the
    # 10-minute window of every poll below.
    seeder.metric("orders", "IncomingRecords", {ago: 100 for ago in range(-10, 21)})
    w = World(endpoint)
    w.table(
        "app",
        [
            lease_item(SHARD0, "worker-1", "4960000000000000000000100", counter=5),
            lease_item(SHARD1, "worker-2", "4960000000000000000000200", counter=7),
        ],
    )
    return w


def make(endpoint: str, clocks: Clocks) -> Collector:
    opts = CollectorOptions(region=REGION, endpoint_url=endpoint, kcl_tables={"app": "orders"})
    return Collector(opts, clock=clocks.wall, monotonic=clocks.monotonic, sleep=clocks.sleep)


def renew(world: World, shard: str, owner: str, checkpoint: str, counter: int) -> None:
    world.dynamodb.put_item(TableName="app", Item=lease_item(shard, owner, checkpoint, counter))


def orders(snapshot):
    return snapshot.stream("orders")


def test_first_sight_of_a_healthy_application_is_ok(endpoint, world):
    snap = make(endpoint, Clocks()).poll(complete=True)
    st = orders(snap)
    assert snap.errors == ()
    assert st.health is Health.OK and st.findings == ()
    assert [(c.kind, c.name) for c in st.consumers] == [("kcl", "app")]


def test_a_checkpoint_that_does_not_move_while_records_arrive_makes_the_stream_warn(
    endpoint, world
):
    clocks = Clocks()
    c = make(endpoint, clocks)
    assert orders(c.poll(complete=True)).health is Health.OK
    # Ten minutes later both workers have renewed their leases (alive), worker-2 has
    # checkpointed further, worker-1's checkpoint on shard 0 is where it was: records keep
    # arriving and nobody gets past them. Ten minutes is the judging window: stalled.
    renew(world, SHARD0, "worker-1", "4960000000000000000000100", counter=25)
    renew(world, SHARD1, "worker-2", "4960000000000000000000900", counter=27)
    clocks.advance(600)
    snap = c.poll()
    st = orders(snap)
    assert st.health is Health.WARN and not st.stale
    assert [f.code for f in st.findings] == ["kcl-stalled-shard"]
    f = st.findings[0]
    assert (f.subject_kind, f.subject) == ("shard", SHARD0)
    assert f.cause == f"consumer app stalled on {SHARD0}"
    assert "Look at worker worker-1" in f.advice
    # Stalled since the checkpoint was first seen not moving: the first poll, at NOW.
    assert f.since == int(NOW.timestamp()) and st.since == f.since
    (app,) = st.consumers
    assert app.status.value == "stall"
    assert [(s.shard_id, s.stalled, s.dead_owner) for s in app.shards] == [
        (SHARD0, True, False),
        (SHARD1, False, False),
    ]
    doc = json.loads(snap.to_json())["streams"][0]
    assert doc["health"] == "warn"
    assert doc["findings"][0]["code"] == "kcl-stalled-shard"
    assert doc["since"] == "2026-11-25T12:00:30Z"
    # The change is an event: the stream from ok to warn, the application from its first
    # (unjudged) state to stall.
    assert ("stream", "ok", "warn") in [(e.subject_kind, e.from_, e.to) for e in snap.events]
    assert ("consumer", "app", "stall") in [(e.subject_kind, e.subject, e.to) for e in snap.events]


def test_a_worker_that_stops_renewing_its_lease_makes_the_stream_critical(endpoint, world):
    clocks = Clocks()
    c = make(endpoint, clocks)
    assert orders(c.poll(complete=True)).health is Health.OK
    # 15 s in, nothing renewed yet: a renewal may simply land between polls.
    clocks.advance(15)
    assert orders(c.poll()).health is Health.OK
    # 65 s in worker-2 has renewed its lease, worker-1 has not: past the 60 s lease
    # duration, worker-1 is dead.
    renew(world, SHARD1, "worker-2", "4960000000000000000000200", counter=8)
    clocks.advance(50)
    snap = c.poll()
    st = orders(snap)
    assert st.health is Health.CRIT
    assert [f.code for f in st.findings] == ["kcl-dead-worker"]
    f = st.findings[0]
    assert (f.subject_kind, f.subject) == ("worker", "worker-1")
    assert f.cause == "worker worker-1 of app stopped renewing its leases"
    assert SHARD0 in f.evidence and "(60 s)" in f.evidence
    assert f.since == int(NOW.timestamp())  # the renewal it last saw
    doc = json.loads(snap.to_json())["streams"][0]
    assert doc["health"] == "crit"
    assert doc["findings"][0]["subject"] == {"kind": "worker", "name": "worker-1"}
    (app,) = st.consumers
    assert [(s.shard_id, s.dead_owner) for s in app.shards] == [(SHARD0, True), (SHARD1, False)]
