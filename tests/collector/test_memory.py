"""What the collector remembers between polls: the last judgement kept (stale) while metrics
fail, since filled from first sight when history cannot tell, and events on every change."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kmon.collector.memory import Memory
from kmon.model.findings import Finding
from kmon.model.health import Health
from kmon.model.lag import ConsumerLag, LagStatus
from kmon.model.snapshot import StreamState

T0 = datetime(2026, 11, 25, 12, 0, 30, tzinfo=timezone.utc)
TS0 = int(T0.timestamp())


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def finding(severity: Health, code: str = "uneven-keys", since: int | None = None) -> Finding:
    return Finding(
        severity, code, "stream", "s", f"{code} cause", "evidence", "advice", None, since
    )


def state(
    name: str,
    health: Health,
    *findings: Finding,
    since: int | None = None,
    consumers: tuple[ConsumerLag, ...] = (),
    **kw,
) -> StreamState:
    reasons = tuple(f.cause for f in findings)
    if health is Health.UNKNOWN and not reasons:
        reasons = ("metrics unavailable",)
    return StreamState(
        name=name,
        arn=None,
        status="ACTIVE",
        mode="PROVISIONED",
        open_shards=2,
        retention_hours=24,
        efo_consumers=0,
        health=health,
        health_reasons=reasons,
        findings=findings,
        since=since,
        consumers=consumers,
        **kw,
    )


def worst_first(states: list[StreamState]) -> list[str]:
    return [s.name for s in sorted(states, key=lambda s: (-s.health.rank, s.name))]


def test_the_last_judgement_stays_marked_stale_while_metrics_are_unavailable():
    mem = Memory()
    crit = finding(Health.CRIT, since=TS0 - 600)
    first = mem.apply(
        [
            state("a-busy", Health.WARN, finding(Health.WARN, "write-capacity", TS0 - 60)),
            state("b-throttled", Health.CRIT, crit, since=TS0 - 600, write_throttled_per_min=42.0),
            state("c-new", Health.UNKNOWN),  # never judged
        ],
        at(0),
    )
    assert [s.stale for s in first] == [False, False, False]
    assert worst_first(first) == ["b-throttled", "a-busy", "c-new"]

    # A minute later CloudWatch fails: the model can only say UNKNOWN for b and c.
    second = mem.apply(
        [
            state("a-busy", Health.WARN, finding(Health.WARN, "write-capacity", TS0 - 60)),
            state("b-throttled", Health.UNKNOWN),
            state("c-new", Health.UNKNOWN),
        ],
        at(1),
    )
    a, b, c = second
    assert b.health is Health.CRIT and b.stale and b.as_of == at(0)
    assert b.findings == (crit,) and b.since == TS0 - 600
    assert b.write_throttled_per_min == 42.0  # the last numbers stay with their judgement
    assert b.to_dict()["stale"] is True
    assert b.to_dict()["as_of"] == "2026-11-25T12:00:30Z"
    # Sorting worst first still puts it at the top, above the WARN stream judged now.
    assert worst_first(second) == ["b-throttled", "a-busy", "c-new"]
    # Nothing was ever judged for c: it stays UNKNOWN, not stale.
    assert c.health is Health.UNKNOWN and not c.stale and c.as_of is None
    assert not a.stale

    # Still failing: as_of stays the time of the last real judgement, not of this poll.
    third = mem.apply([state("b-throttled", Health.UNKNOWN)], at(2))
    assert third[0].stale and third[0].as_of == at(0) and third[0].health is Health.CRIT

    # Metrics back: the new judgement replaces the kept one.
    fourth = mem.apply([state("b-throttled", Health.OK)], at(3))
    assert fourth[0].health is Health.OK and not fourth[0].stale and fourth[0].as_of is None


def test_a_stale_stream_shows_its_consumers_as_they_are_now():
    mem = Memory()
    mem.apply([state("s", Health.CRIT, finding(Health.CRIT))], at(0))
    now = (ConsumerLag("efo", "reader", 1_000.0, LagStatus.OK),)
    (kept,) = mem.apply([state("s", Health.UNKNOWN, consumers=now)], at(1))
    assert kept.stale and kept.consumers == now


def test_a_stream_that_left_the_list_is_forgotten():
    mem = Memory()
    mem.apply([state("s", Health.CRIT, finding(Health.CRIT))], at(0))
    mem.apply([], at(1))  # deleted
    (again,) = mem.apply([state("s", Health.UNKNOWN)], at(2))  # a new stream of that name
    assert again.health is Health.UNKNOWN and not again.stale


def test_events_record_each_change_of_health():
    mem = Memory()
    mem.apply(
        [
            state("hot", Health.CRIT, finding(Health.CRIT, since=TS0 - 300), since=TS0 - 300),
            state("calm", Health.OK),
        ],
        at(0),
    )
    # First sight of a CRIT stream is news; first sight of an OK one is not.
    assert [(e.stream, e.from_, e.to) for e in mem.events] == [("hot", None, "crit")]
    first = mem.events[0]
    assert first.at == TS0 - 300 and first.seen_at == TS0  # began before kmon saw it
    assert first.cause == "uneven-keys cause" and first.severity == "crit"

    mem.apply(
        [
            state("hot", Health.CRIT, finding(Health.CRIT, since=TS0 - 300), since=TS0 - 300),
            state("calm", Health.WARN, finding(Health.WARN, "write-capacity")),
        ],
        at(1),
    )
    mem.apply(
        [
            state("hot", Health.CRIT, finding(Health.CRIT, since=TS0 - 300), since=TS0 - 300),
            state("calm", Health.OK),
        ],
        at(2),
    )
    events = list(mem.events)
    assert [(e.stream, e.from_, e.to) for e in events] == [
        ("hot", None, "crit"),
        ("calm", "ok", "warn"),
        ("calm", "warn", "ok"),
    ]
    warn, recovered = events[1], events[2]
    assert warn.at == TS0 + 60 and warn.cause == "write-capacity cause"  # since from first sight
    assert recovered.recovery and recovered.severity == "ok" and recovered.at == TS0 + 120


def test_a_kept_judgement_makes_no_event():
    mem = Memory()
    mem.apply([state("s", Health.CRIT, finding(Health.CRIT))], at(0))
    mem.apply([state("s", Health.UNKNOWN)], at(1))  # kept, stale: nothing changed
    mem.apply([state("s", Health.UNKNOWN)], at(2))
    assert [(e.from_, e.to) for e in mem.events] == [(None, "crit")]
    # Back with the same judgement: still nothing new.
    mem.apply([state("s", Health.CRIT, finding(Health.CRIT))], at(3))
    assert [(e.from_, e.to) for e in mem.events] == [(None, "crit")]


def test_consumer_status_changes_are_events():
    mem = Memory()

    def poll(minute: int, *consumers: ConsumerLag) -> None:
        mem.apply([state("s", Health.OK, consumers=consumers)], at(minute))

    ok = ConsumerLag("kcl", "app", 1_000.0, LagStatus.OK)
    stalled = ConsumerLag(
        "kcl", "app", None, LagStatus.STALL, since=TS0 - 120, reasons=("checkpoint unchanged",)
    )
    stopped = ConsumerLag("lambda", "fn", None, LagStatus.STOP, note="mapping Disabled")
    poll(0, ok)  # first sight of an OK consumer: no event
    poll(1, stalled, stopped)  # OK -> STALL; a new consumer seen stopped
    poll(2, stalled, stopped)  # no change
    poll(3, ok, stopped)  # recovered
    events = [e for e in mem.events if e.subject_kind == "consumer"]
    assert [(e.subject, e.from_, e.to, e.severity) for e in events] == [
        ("app", "ok", "stall", "warn"),
        ("fn", None, "stop", "crit"),
        ("app", "stall", "ok", "ok"),
    ]
    assert events[0].at == TS0 - 120 and events[0].cause == "checkpoint unchanged"
    # A stopped consumer without a since of its own: since it was first seen.
    assert events[1].at == TS0 + 60 and events[1].cause == "mapping Disabled"
    assert all(e.stream == "s" for e in events)


def test_since_is_filled_from_first_sight_when_history_cannot_tell():
    mem = Memory()
    # A finding history could not date (since None) on a WARN stream.
    (s1,) = mem.apply([state("s", Health.WARN, finding(Health.WARN, "stream-status"))], at(0))
    assert s1.findings[0].since == TS0 and s1.since == TS0
    (s2,) = mem.apply([state("s", Health.WARN, finding(Health.WARN, "stream-status"))], at(5))
    assert s2.findings[0].since == TS0 and s2.since == TS0  # still since first seen
    # A finding that history dates keeps its own since.
    dated = finding(Health.WARN, "write-capacity", since=TS0 - 3600)
    (s3,) = mem.apply(
        [state("s", Health.WARN, finding(Health.WARN, "stream-status"), dated)], at(6)
    )
    assert [f.since for f in s3.findings] == [TS0, TS0 - 3600]
    assert s3.since == TS0 - 3600  # the earliest of the stream's WARN findings
    # Gone and back: a new first sight.
    mem.apply([state("s", Health.OK)], at(7))
    (s4,) = mem.apply([state("s", Health.WARN, finding(Health.WARN, "stream-status"))], at(8))
    assert s4.findings[0].since == TS0 + 8 * 60


def test_consumer_since_is_filled_but_ok_and_unknown_have_none():
    mem = Memory()
    lagging = ConsumerLag("efo", "reader", 45_000.0, LagStatus.WARN)
    quiet = ConsumerLag("efo", "idle", None, LagStatus.UNKNOWN)
    (s,) = mem.apply([state("s", Health.OK, consumers=(lagging, quiet))], at(0))
    assert [c.since for c in s.consumers] == [TS0, None]
    (s,) = mem.apply([state("s", Health.OK, consumers=(lagging, quiet))], at(3))
    assert s.consumers[0].since == TS0
