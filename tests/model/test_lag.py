"""Consumer lag judged over a window: each status, the slope, catch-up and data-loss arithmetic."""

from __future__ import annotations

import json

import pytest

from kmon.collector.leases import LeaseWatch
from kmon.model.kcl import Lease, balance, judge_kcl, max_per_minute
from kmon.model.lag import ConsumerLag, LagStatus, ShardLag, judge_lag, sort_consumers, worst
from kmon.model.rules import Thresholds
from kmon.model.trend import catch_up_sec, data_loss_sec, slope_ms_per_min

NOW = 1_800_000_000 - 1_800_000_000 % 60 + 30  # 30 s into a minute
DAY_MS = 24 * 3600 * 1000


def pts(*values: float, end: int = NOW - 30) -> list[tuple[int, float]]:
    """One point a minute, the last at the start of the newest complete minute."""
    n = len(values)
    return [(end - (n - 1 - i) * 60, float(v)) for i, v in enumerate(values)]


def verdict(values, **kw):
    kw.setdefault("retention_hours", 24)
    return judge_lag(pts(*values), now=NOW, **kw)


# -- arithmetic --------------------------------------------------------------------------------


def test_slope_is_least_squares_in_ms_per_minute():
    assert slope_ms_per_min(pts(0, 1000, 2000, 3000)) == pytest.approx(1000.0)
    assert slope_ms_per_min(pts(9000, 6000, 3000)) == pytest.approx(-3000.0)
    # Noisy: fit, not first-to-last. (0, 3000, 0, 3000) -> 600 ms/min.
    assert slope_ms_per_min(pts(0, 3000, 0, 3000)) == pytest.approx(600.0)
    assert slope_ms_per_min(pts(5)) is None
    assert slope_ms_per_min([]) is None


def test_catch_up_is_lag_over_the_falling_rate():
    assert catch_up_sec(60_000, -30_000) == pytest.approx(120.0)  # 2 minutes
    assert catch_up_sec(0, 5_000) == 0.0
    assert catch_up_sec(10_000, 0) is None
    assert catch_up_sec(10_000, 1_000) is None
    assert catch_up_sec(None, -1) is None


def test_data_loss_is_the_time_until_lag_reaches_retention():
    # 24 h retention, 12 h behind, falling a further 60 s behind each minute: 12 h left.
    assert data_loss_sec(DAY_MS / 2, 60_000, 24) == pytest.approx(12 * 3600)
    assert data_loss_sec(DAY_MS / 2, 120_000, 24) == pytest.approx(6 * 3600)
    assert data_loss_sec(DAY_MS, 1, 24) == 0.0  # already expiring
    assert data_loss_sec(1000, -5, 24) is None
    assert data_loss_sec(1000, 5, None) is None


def test_jitter_gives_no_catch_up_or_data_loss_time():
    v = verdict([300, 310, 330, 320, 340])  # ~9 ms/min: noise
    assert v.trend_ms_per_min == pytest.approx(9.0)
    assert v.catch_up_sec is None and v.data_loss_sec is None
    falling = verdict([340, 320, 330, 310, 300])
    assert falling.catch_up_sec is None
    assert verdict([0]).catch_up_sec == 0.0
    assert verdict([DAY_MS]).data_loss_sec == 0.0


def test_verdict_carries_lag_trend_and_times():
    v = verdict([120_000, 90_000, 60_000])
    assert v.lag_ms == 60_000
    assert v.trend_ms_per_min == pytest.approx(-30_000)
    assert v.catch_up_sec == pytest.approx(120)
    assert v.data_loss_sec is None


# -- statuses ----------------------------------------------------------------------------------


def test_ok_under_the_warn_threshold_and_flat():
    v = verdict([1000, 1200, 900, 1100])
    assert v.status is LagStatus.OK and v.reasons == ()


def test_warn_over_30_seconds():
    assert verdict([29_999]).status is LagStatus.OK
    v = verdict([30_000])
    assert v.status is LagStatus.WARN and "over 30 s" in v.reasons[0]


def test_warn_when_growing_across_the_window_even_under_the_threshold():
    v = verdict([2_000, 5_000, 9_000, 14_000])
    assert v.status is LagStatus.WARN
    assert v.reasons == ("lag growing across the window",)


def test_growth_that_touched_zero_in_the_window_is_ok():
    # Burrow's rule: it caught up inside the window, so it is keeping up.
    assert verdict([0, 5_000, 9_000, 14_000]).status is LagStatus.OK


def test_jitter_is_not_growth():
    assert verdict([100, 200, 300, 400]).status is LagStatus.OK  # 100 ms/min


def test_err_at_half_retention():
    assert verdict([DAY_MS / 2 - 1]).status is LagStatus.WARN
    v = verdict([DAY_MS / 2])
    assert v.status is LagStatus.ERR and "retention" in v.reasons[0]
    # A week of retention makes the same lag a warning.
    assert verdict([DAY_MS / 2], retention_hours=168).status is LagStatus.WARN


def test_stall_when_lag_rises_with_the_clock():
    v = verdict([60_000, 120_000, 180_000, 240_000, 300_000])
    assert v.status is LagStatus.STALL
    assert v.data_loss_sec == pytest.approx((DAY_MS - 300_000) / 60_000 * 60)
    # The same rise over too few samples is only a warning.
    assert verdict([60_000, 120_000, 180_000]).status is LagStatus.WARN


def test_stop_when_silent_while_the_stream_has_traffic():
    v = judge_lag([], now=NOW, retention_hours=24, has_traffic=True)
    assert v.status is LagStatus.STOP and v.lag_ms is None
    # No traffic: nothing to read, so silence says nothing.
    assert judge_lag([], now=NOW, retention_hours=24, has_traffic=False).status is (
        LagStatus.UNKNOWN
    )
    # Consumers that may not publish lag are unknown, not stopped.
    quiet = judge_lag([], now=NOW, retention_hours=24, has_traffic=True, silent_means_stop=False)
    assert quiet.status is LagStatus.UNKNOWN


def test_points_outside_the_window_do_not_count():
    old = [(NOW - 3600, 5_000_000.0)]
    assert judge_lag(old, now=NOW, retention_hours=24).status is LagStatus.UNKNOWN


def test_stop_reasons_from_outside_win_over_lag():
    v = verdict([1000], stopped=["mapping Disabled"])
    assert v.status is LagStatus.STOP and v.reasons == ("mapping Disabled",)
    assert v.lag_ms == 1000


def test_thresholds_are_configurable():
    assert verdict([10_000], thresholds=Thresholds(iterator_age_warn_ms=5_000)).status is (
        LagStatus.WARN
    )


def test_since_is_when_the_current_status_began_in_the_samples():
    end = NOW - 30  # the newest complete minute
    # Over 30 s from the second of four samples on: since that minute, 2 minutes before the end.
    assert verdict([10_000, 40_000, 45_000, 50_000]).since == end - 120
    # Growing from the first sample: the rise began 3 minutes before the end.
    assert verdict([2_000, 5_000, 9_000, 14_000]).since == end - 180
    # Rising a minute every minute (60 s/min, over the 54 s/min stall line) from the first of
    # five samples: stalled since 4 minutes before the end, not since it crossed 30 s.
    stall = verdict([60_000, 120_000, 180_000, 240_000, 300_000])
    assert stall.status is LagStatus.STALL and stall.since == end - 240
    # Past half of 24 h retention only at the newest sample.
    err = verdict([DAY_MS / 2 - 1, DAY_MS / 2])
    assert err.status is LagStatus.ERR and err.since == end
    # OK has no since; a reason from outside carries the caller's time.
    assert verdict([1_000]).since is None
    stopped = verdict([1_000], stopped=["mapping Disabled"], stopped_since=end - 600)
    assert stopped.since == end - 600
    # Silent while records arrive: stopped from the minute after the last datapoint.
    last = NOW - 30 - 19 * 60
    silent = judge_lag([(last, 400.0)], now=NOW, retention_hours=24, has_traffic=True)
    assert silent.status is LagStatus.STOP and silent.since == last + 60


def test_worst_ranks_stop_over_err_over_stall_over_warn():
    S = LagStatus
    assert worst([S.OK, S.WARN, S.STALL]) is S.STALL
    assert worst([S.ERR, S.STALL]) is S.ERR
    assert worst([S.ERR, S.STOP, S.OK]) is S.STOP
    assert worst([S.OK, S.UNKNOWN]) is S.UNKNOWN
    assert worst([]) is S.UNKNOWN


# -- leases ------------------------------------------------------------------------------------


def lease(shard, owner="w1", checkpoint="123", counter=10, switches=0, **kw) -> Lease:
    return Lease(shard, shard, owner, checkpoint, counter, switches, **kw)


def test_balance_counts_leases_per_worker_unowned_and_thrashing():
    b = balance(
        [
            lease("s0", "w1"),
            lease("s1", "w1", switches=3),
            lease("s2", "w2"),
            lease("s3", None),
            lease("s4", None, checkpoint="SHARD_END"),  # finished: not work, not a problem
        ]
    )
    assert b.workers == {"w1": 2, "w2": 1}
    assert b.unowned == 1
    assert b.thrashing == ("s1",)


def test_lease_watch_measures_how_long_counter_and_checkpoint_stood_still():
    watch = LeaseWatch()
    assert watch.observe("t", lease("s0", counter=1, checkpoint="5"), 100.0) == (0.0, 0.0)
    assert watch.observe("t", lease("s0", counter=1, checkpoint="5"), 115.0) == (15.0, 15.0)
    assert watch.observe("t", lease("s0", counter=2, checkpoint="5"), 130.0) == (0.0, 30.0)
    assert watch.observe("t", lease("s0", counter=2, checkpoint="6"), 140.0) == (10.0, 0.0)
    # Same key in another table is another lease.
    assert watch.observe("u", lease("s0", counter=2, checkpoint="6"), 140.0) == (0.0, 0.0)
    watch.prune(140.0 + 3601)
    assert watch.observe("t", lease("s0", counter=9, checkpoint="6"), 4000.0) == (0.0, 0.0)


def kcl(leases, still=None, shard_points=None, **kw):
    kw.setdefault("retention_hours", 24)
    return judge_kcl(
        "app",
        "app",
        leases,
        now=NOW,
        still=still or {},
        shard_points=shard_points or {},
        **kw,
    )


def test_kcl_ok_with_shard_lag_and_balance():
    c = kcl(
        [lease("s0", "w1"), lease("s1", "w2")],
        shard_points={"s0": pts(500, 400), "s1": pts(2000, 1500)},
    )
    assert c.status is LagStatus.OK
    assert c.lag_ms == 1500  # the worst shard at the newest minute
    assert [s.lag_ms for s in c.shards] == [400, 1500]
    assert c.workers == {"w1": 1, "w2": 1} and c.unowned == 0


def test_kcl_unowned_lease_stops_it():
    c = kcl([lease("s0", "w1"), lease("s1", None)], shard_points={"s0": pts(10)})
    assert c.status is LagStatus.STOP
    assert c.unowned == 1
    assert [s.status for s in c.shards] == [LagStatus.OK, LagStatus.STOP]
    assert "lease s1 has no owner" in c.full_note


def test_kcl_dead_worker_after_the_lease_duration():
    leases = [lease("s0", "w1")]
    alive = kcl(leases, still={"s0": (59.0, 0.0)}, shard_points={"s0": pts(10)})
    assert alive.status is LagStatus.OK
    dead = kcl(leases, still={"s0": (61.0, 0.0)}, shard_points={"s0": pts(10)})
    assert dead.status is LagStatus.STOP
    assert "worker w1 has not renewed lease s0 for 61 s" in dead.reasons
    # The lease duration is a setting: an application with a 10 s failover time.
    quick = Thresholds(lease_duration_sec=10)
    early = kcl(leases, still={"s0": (11.0, 0.0)}, shard_points={"s0": pts(10)}, thresholds=quick)
    assert early.status is LagStatus.STOP


def test_kcl_stalled_checkpoint_while_records_arrive():
    leases = [lease("s0"), lease("s1")]
    still = {"s0": (0.0, 600.0), "s1": (0.0, 600.0)}
    # s1 is caught up (low lag): an idle shard, not a stalled one.
    c = kcl(leases, still=still, shard_points={"s1": pts(0)}, has_traffic=True)
    assert c.status is LagStatus.STALL
    assert [s.status for s in c.shards] == [LagStatus.STALL, LagStatus.OK]
    # Without traffic there is nothing to checkpoint.
    assert kcl(leases, still=still, shard_points={"s1": pts(0)}, has_traffic=False).status is (
        LagStatus.OK
    )
    # Under the window it is too early to tell.
    short = {"s0": (0.0, 599.0), "s1": (0.0, 599.0)}
    assert kcl(leases, still=short, shard_points={"s1": pts(0)}, has_traffic=True).status is (
        LagStatus.OK
    )


def test_kcl_child_waiting_for_its_parent_is_not_stalled():
    leases = [
        lease("p0", checkpoint="100"),
        lease("c1", checkpoint="TRIM_HORIZON", parents=("p0",)),
        lease("c2", checkpoint="TRIM_HORIZON", parents=("gone",)),  # parent already cleaned up
    ]
    still = {le.key: (0.0, 900.0) for le in leases}
    c = kcl(leases, still=still, has_traffic=True)
    assert [(s.shard_id, s.status) for s in c.shards] == [
        ("c1", LagStatus.UNKNOWN),
        ("c2", LagStatus.STALL),
        ("p0", LagStatus.STALL),
    ]


def test_kcl_shard_rows_say_what_the_lease_showed_and_since_when():
    leases = [
        lease("p0", "w1", checkpoint="100"),
        lease("c1", "w2", checkpoint="TRIM_HORIZON", parents=("p0",)),
        lease("s2", "w3", checkpoint="200"),
    ]
    # w1 renewed p0 61 s ago (dead); nobody checkpointed s2 for 10 minutes while records
    # arrive (stalled); c1 waits for p0.
    still = {"p0": (61.0, 0.0), "c1": (0.0, 900.0), "s2": (0.0, 600.0)}
    c = kcl(leases, still=still, has_traffic=True)
    rows = {s.shard_id: s for s in c.shards}
    assert rows["p0"].dead_owner and not rows["p0"].stalled
    assert rows["p0"].status is LagStatus.STOP and rows["p0"].since == NOW - 61
    assert rows["s2"].stalled and not rows["s2"].dead_owner
    assert rows["s2"].status is LagStatus.STALL and rows["s2"].since == NOW - 600
    assert rows["c1"].waiting_for == ("p0",) and not rows["c1"].stalled
    assert not rows["c1"].dead_owner and rows["c1"].since is None
    # The application is as bad as its worst shard, since that shard's trouble began.
    assert c.status is LagStatus.STOP and c.since == NOW - 61


def test_a_row_without_a_readable_counter_does_not_make_a_dead_worker():
    row = Lease("s0", "s0", "w1", "5", None, None)
    assert kcl([row], still={"s0": (120.0, 0.0)}, shard_points={"s0": pts(10)}).status is (
        LagStatus.OK
    )


def test_kcl_thrashing_warns_and_no_metrics_is_unknown():
    c = kcl([lease("s0", switches=4)], shard_points={"s0": pts(10)})
    assert c.status is LagStatus.WARN and c.thrashing == ("s0",)
    quiet = kcl([lease("s0")])
    assert quiet.status is LagStatus.UNKNOWN and quiet.lag_ms is None
    empty = kcl([])
    assert empty.status is LagStatus.UNKNOWN and empty.note == "no leases"


def test_kcl_that_published_lag_and_went_silent_while_records_arrive_is_stopped():
    old = [(NOW - 30 - 20 * 60, 500.0), (NOW - 30 - 19 * 60, 400.0)]  # before the window
    c = kcl([lease("s0")], app_points=old, has_traffic=True)
    assert c.status is LagStatus.STOP
    assert "no lag datapoints while the stream has traffic" in c.reasons
    assert kcl([lease("s0")], app_points=old, has_traffic=False).status is LagStatus.UNKNOWN
    assert kcl([lease("s0")], has_traffic=True).status is LagStatus.UNKNOWN  # never published
    muted = kcl([lease("s0")], app_points=old, has_traffic=True, silent_means_stop=False)
    assert muted.status is LagStatus.UNKNOWN


def test_kcl_prefers_the_application_tracker_series():
    c = kcl([lease("s0")], shard_points={"s0": pts(10, 10)}, app_points=pts(40_000, 45_000))
    assert c.lag_ms == 45_000 and c.status is LagStatus.WARN
    assert c.history == tuple(pts(40_000, 45_000))


def test_max_per_minute():
    assert max_per_minute([[(0, 1.0), (60, 5.0)], [(60, 7.0), (120, 2.0)]]) == [
        (0, 1.0),
        (60, 7.0),
        (120, 2.0),
    ]


# -- JSON --------------------------------------------------------------------------------------


def test_json_shape_for_each_kind_and_markup_kept_literal():
    plain = ConsumerLag("efo", "c1", 1500.0, LagStatus.OK, trend_ms_per_min=-10.0, catch_up_sec=9.0)
    assert plain.to_dict() == {
        "kind": "efo",
        "name": "c1",
        "lag_ms": 1500.0,
        "status": "ok",
        "since": None,
        "trend_ms_per_min": -10.0,
        "catch_up_sec": 9.0,
        "data_loss_sec": None,
    }
    # When the status began, as ISO-8601 UTC.
    warned = ConsumerLag("efo", "c1", 45_000.0, LagStatus.WARN, since=1_800_000_000)
    assert warned.to_dict()["since"] == "2027-01-15T08:00:00Z"
    shard = ShardLag("shardId-0", "[bold]w[/]", "SHARD_END", None, LagStatus.OK, 3, 0, ("p",))
    app = ConsumerLag(
        "kcl",
        "app",
        None,
        LagStatus.STOP,
        note="no permission: x",
        reasons=("lease s1 has no owner",),
        history=((60, 1.0),),
        table="app",
        shards=(shard,),
        workers={"[bold]w[/]": 1},
        unowned=1,
    )
    d = json.loads(json.dumps(app.to_dict()))
    assert d["table"] == "app" and d["unowned"] == 1
    assert d["workers"] == {"[bold]w[/]": 1}
    assert d["shards"] == [
        {
            "shard_id": "shardId-0",
            "owner": "[bold]w[/]",
            "checkpoint": "SHARD_END",
            "lag_ms": None,
            "status": "ok",
            "since": None,
            "lease_counter": 3,
            "owner_switches": 0,
            "parents": ["p"],
        }
    ]
    assert d["note"] == "no permission: x; lease s1 has no owner"
    assert "history" not in d


def test_consumers_sort_by_kind_then_name():
    cs = [
        ConsumerLag("shared", "z", None, LagStatus.OK),
        ConsumerLag("lambda", "a", None, LagStatus.OK),
        ConsumerLag("efo", "b", None, LagStatus.OK),
        ConsumerLag("efo", "a", None, LagStatus.OK),
    ]
    assert [(c.kind, c.name) for c in sort_consumers(cs)] == [
        ("efo", "a"),
        ("efo", "b"),
        ("lambda", "a"),
        ("shared", "z"),
    ]
