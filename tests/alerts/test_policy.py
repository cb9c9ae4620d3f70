"""The alert decision: what fires, when, and what the payload says. Pure: no I/O, no clock."""

from __future__ import annotations

import json

from kmon.model.alerting import AlertPolicy, AlertSettings
from kmon.model.health import Health
from tests.alerts.fleet import snap, state, ts

CRIT, WARN, OK, UNKNOWN = Health.CRIT, Health.WARN, Health.OK, Health.UNKNOWN


def fired(policy, *snapshots):
    """The (stream, from, to) of the alerts each snapshot raises, one list per snapshot."""
    return [[(a.stream, a.from_, a.to) for a in policy.update(s)] for s in snapshots]


def test_the_first_snapshot_seeds_without_firing():
    policy = AlertPolicy(AlertSettings(hold_minutes=0))
    # Crit for an hour when kmon starts: that is not a change, nothing fires.
    assert fired(policy, snap(0, state("orders", CRIT, ts(-60)), state("clicks", OK))) == [[]]
    assert fired(policy, snap(1, state("orders", CRIT, ts(-60)), state("clicks", OK))) == [[]]
    # A change after that does.
    assert fired(policy, snap(2, state("orders", CRIT, ts(-60)), state("clicks", CRIT, ts(2)))) == [
        [("clicks", "ok", "crit")]
    ]


def test_a_stream_first_judged_after_startup_seeds_too():
    policy = AlertPolicy(AlertSettings(hold_minutes=0))
    # Not judged yet on the first poll (description pending): its first judgement is startup.
    assert fired(
        policy,
        snap(0, state("orders", UNKNOWN)),
        snap(1, state("orders", CRIT, ts(-30))),
        snap(2, state("orders", OK)),
        snap(3, state("orders", CRIT, ts(3))),
    ) == [[], [], [], [("orders", "ok", "crit")]]


def test_hold_minutes_damps_a_flapping_stream():
    policy = AlertPolicy(AlertSettings(hold_minutes=2))
    flapping = [
        snap(0, state("orders", OK)),
        snap(1, state("orders", CRIT, ts(1))),  # a blip
        snap(2, state("orders", OK)),
        snap(3, state("orders", CRIT, ts(3))),  # another
        snap(4, state("orders", OK)),
        snap(5, state("orders", CRIT, ts(5))),  # this one stays
        snap(6, state("orders", CRIT, ts(5))),
        snap(7, state("orders", CRIT, ts(5))),  # held 2 minutes: fires once
        snap(8, state("orders", CRIT, ts(5))),
        snap(9, state("orders", OK)),  # blips back to OK do not end it
        snap(10, state("orders", CRIT, ts(10))),
        snap(11, state("orders", OK)),
        snap(12, state("orders", CRIT, ts(12))),
        snap(20, state("orders", CRIT, ts(12))),
    ]
    assert fired(policy, *flapping) == [[]] * 7 + [[("orders", "ok", "crit")]] + [[]] * 6


def test_since_from_history_counts_not_when_kmon_noticed():
    policy = AlertPolicy(AlertSettings(hold_minutes=5))
    # Throttled for 10 minutes by the metric history, seen by kmon only now: fires at once.
    assert fired(policy, snap(0, state("orders", OK)), snap(1, state("orders", CRIT, ts(-9)))) == [
        [],
        [("orders", "ok", "crit")],
    ]


def test_without_since_kmon_times_the_hold_from_when_it_saw_the_state():
    policy = AlertPolicy(AlertSettings(hold_minutes=2))
    got = fired(
        policy,
        snap(0, state("orders", OK)),
        snap(1, state("orders", CRIT, None)),
        snap(2, state("orders", CRIT, None)),
        snap(3, state("orders", CRIT, None)),
    )
    assert got == [[], [], [], [("orders", "ok", "crit")]]


def test_min_severity_crit_ignores_warn_and_warn_escalates_to_crit():
    crit_only = AlertPolicy(AlertSettings(hold_minutes=0))
    warn_too = AlertPolicy(AlertSettings(min_severity="warn", hold_minutes=0))
    story = [
        snap(0, state("orders", OK)),
        snap(1, state("orders", WARN, ts(1))),
        snap(2, state("orders", CRIT, ts(2))),
        snap(3, state("orders", CRIT, ts(2))),
        snap(4, state("orders", WARN, ts(1))),
    ]
    assert fired(crit_only, *story) == [[], [], [("orders", "warn", "crit")], [], []]
    assert fired(warn_too, *story) == [
        [],
        [("orders", "ok", "warn")],
        [("orders", "warn", "crit")],
        [],
        [("orders", "crit", "warn")],  # still at or above warn: a change of level
    ]


def test_recovery_fires_only_with_on_recovery_after_the_hold():
    story = [
        snap(0, state("orders", OK)),
        snap(1, state("orders", CRIT, ts(-5))),
        snap(2, state("orders", OK)),
        snap(3, state("orders", OK)),
        snap(4, state("orders", OK)),  # OK for 2 minutes: recovered
        snap(5, state("orders", OK)),
        snap(6, state("orders", CRIT, ts(0))),  # and a new problem alerts again
    ]
    quiet = AlertPolicy(AlertSettings(hold_minutes=2))
    assert fired(quiet, *story) == [
        [],
        [("orders", "ok", "crit")],
        [],
        [],
        [],
        [],
        [("orders", "ok", "crit")],
    ]
    told = AlertPolicy(AlertSettings(hold_minutes=2, on_recovery=True))
    alerts = [told.update(s) for s in story]
    assert [[(a.from_, a.to, a.recovery) for a in x] for x in alerts] == [
        [], [("ok", "crit", False)], [], [], [("crit", "ok", True)], [], [("ok", "crit", False)]
    ]  # fmt: skip
    recovery = alerts[4][0]
    assert recovery.to_dict()["kind"] == "recovery" and recovery.since == ts(2)
    assert recovery.summary == "orders recovered: OK (was CRIT)"


def test_warn_below_min_severity_counts_as_recovered():
    policy = AlertPolicy(AlertSettings(hold_minutes=0, on_recovery=True))
    got = fired(
        policy,
        snap(0, state("orders", OK)),
        snap(1, state("orders", CRIT, ts(1))),
        snap(2, state("orders", WARN, ts(0))),
    )
    assert got == [[], [("orders", "ok", "crit")], [("orders", "crit", "warn")]]


def test_stale_streams_never_fire_and_fire_once_fresh_again():
    policy = AlertPolicy(AlertSettings(hold_minutes=0))
    got = fired(
        policy,
        snap(0, state("orders", OK)),
        snap(1, state("orders", CRIT, ts(-10), stale=True)),
        snap(2, state("orders", CRIT, ts(-10), stale=True)),
        snap(3, state("orders", UNKNOWN)),
        snap(4, state("orders", CRIT, ts(-10))),
    )
    assert got == [[], [], [], [], [("orders", "ok", "crit")]]


def test_a_deleted_and_recreated_stream_starts_over():
    policy = AlertPolicy(AlertSettings(hold_minutes=0))
    got = fired(
        policy,
        snap(0, state("orders", OK)),
        snap(1),
        snap(2, state("orders", CRIT, ts(2))),  # judged for the first time again: seeds
    )
    assert got == [[], [], []]


def test_payload_carries_stream_levels_since_cause_and_findings():
    policy = AlertPolicy(AlertSettings(hold_minutes=2))
    policy.update(snap(0, state("orders", OK)))
    (alert,) = policy.update(snap(10, state("orders", CRIT, ts(4))))
    doc = json.loads(alert.to_json())
    assert doc["stream"] == "orders" and doc["kind"] == "alert"
    assert (doc["from"], doc["to"], doc["severity"]) == ("ok", "crit", "crit")
    assert doc["since"] == "2026-11-25T12:04:00Z" and doc["at"] == "2026-11-25T12:10:00Z"
    assert (doc["region"], doc["account"]) == ("us-east-1", "123456789012")
    assert doc["cause"] == "writes throttled 5 minutes running"
    (finding,) = doc["findings"]
    assert finding["code"] == "write-throttled" and finding["since"] == "2026-11-25T12:04:00Z"
    assert finding["command"].startswith("aws kinesis update-shard-count")
    assert alert.summary == "orders CRIT (was OK): writes throttled 5 minutes running"
