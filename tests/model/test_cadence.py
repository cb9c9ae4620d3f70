"""The CloudWatch budget's arithmetic, with numbers worked out by hand."""

from __future__ import annotations

import pytest

from kmon.model.cadence import changed_sharply, needs_every_minute, plan
from kmon.model.health import Health

KIB = 1024


def test_a_hundred_healthy_streams_under_the_default_budget_are_fetched_every_five_minutes():
    # $3/day buys 3 / $0.01 * 1,000 / 24 = 12,500 metrics an hour. 100 streams x 7 metrics =
    # 700 metrics a fetch fit every 700 * 60 / 12,500 = 3.4 min; max_staleness asks only 5.
    p = plan(
        budget_usd_per_day=3.0,
        max_staleness_sec=300,
        close=0,
        healthy=100,
        metrics_per_stream=7,
    )
    assert p.healthy_every_sec == 300
    # 700 metrics x 12 an hour = 8,400/h; x 24 = 201,600/day at $0.01 per 1,000 = $2.016.
    assert p.projected_usd_per_day == pytest.approx(2.016)
    assert not p.over_budget


def test_a_budget_too_small_for_max_staleness_stretches_further():
    # $2/day = 8,333.3 metrics/h. 5 streams on screen or not OK: 5 x 7 x 60 = 2,100/h; other
    # reads 600/h; 5,633.3/h left for 100 healthy streams of 7 metrics: one fetch of 700 every
    # 700 / 5,633.3 h = 7.46 min, rounded up to whole minutes: 8 min.
    p = plan(
        budget_usd_per_day=2.0,
        max_staleness_sec=300,
        close=5,
        healthy=100,
        metrics_per_stream=7,
        other_metrics_per_hour=600,
    )
    assert p.healthy_every_sec == 480
    # 2,100 + 600 + 700 x 7.5 = 7,950/h -> 190,800/day -> $1.908.
    assert p.projected_usd_per_day == pytest.approx(1.908)
    assert not p.over_budget


def test_two_thousand_streams_on_three_dollars_is_over_budget_at_an_hour():
    # 14,000 metrics a fetch against 12,500/h: every 67.2 -> 68 min, past the hour's cap.
    p = plan(
        budget_usd_per_day=3.0,
        max_staleness_sec=300,
        close=0,
        healthy=2000,
        metrics_per_stream=7,
    )
    assert p.healthy_every_sec == 3600
    assert p.over_budget
    # Once an hour: 14,000/h = 336,000/day = $3.36.
    assert p.projected_usd_per_day == pytest.approx(3.36)


def test_no_budget_is_every_stream_every_minute():
    # 100 x 7 x 60 = 42,000 metrics/h = 1,008,000/day = $10.08.
    p = plan(
        budget_usd_per_day=0,
        max_staleness_sec=300,
        close=3,
        healthy=97,
        metrics_per_stream=7,
    )
    assert p.healthy_every_sec is None
    assert p.projected_usd_per_day == pytest.approx(10.08)


def test_close_streams_are_on_screen_not_ok_or_never_judged():
    assert needs_every_minute(Health.OK, on_screen=True, changing=False)
    assert needs_every_minute(Health.OK, on_screen=False, changing=True)
    assert needs_every_minute(Health.WARN, on_screen=False, changing=False)
    assert needs_every_minute(Health.CRIT, on_screen=False, changing=False)
    assert needs_every_minute(None, on_screen=False, changing=False)
    assert not needs_every_minute(Health.OK, on_screen=False, changing=False)
    # Unknown from missing data (idle streams publish nothing) is not worth every minute.
    assert not needs_every_minute(Health.UNKNOWN, on_screen=False, changing=False)


def test_sharp_changes():
    steady = [100 * KIB * 60.0] * 10  # 100 KiB/s for ten minutes, as bytes per minute
    # Up to 210 KiB/s: x2.1 and 110 KiB/s more (over the 64 KiB/s floor).
    assert changed_sharply([*steady, 100 * KIB * 60, 100 * KIB * 60, 210 * KIB * 60], [])
    # Up to 150 KiB/s: only x1.5.
    assert not changed_sharply([*steady, 150 * KIB * 60] * 1 + [150 * KIB * 60] * 2, [])
    # Down to 40 KiB/s: half and 60 KiB/s less... under the floor: not news.
    assert not changed_sharply([*steady, 40 * KIB * 60] * 1 + [40 * KIB * 60] * 2, [])
    # Down to nothing from 100 KiB/s: x0 and 100 KiB/s less.
    assert changed_sharply([*steady, 0.0, 0.0, 0.0], [])
    # A quiet stream going from 1 to 5 KiB/s is x5 but only 4 KiB/s more.
    assert not changed_sharply([1 * KIB * 60.0] * 10 + [5 * KIB * 60.0] * 3, [])
    # Iterator age from 0 to 90 s is news; to 30 s is not; falling never is.
    assert changed_sharply([], [0.0] * 10 + [0.0, 0.0, 90_000.0])
    assert not changed_sharply([], [0.0] * 10 + [30_000.0] * 3)
    assert not changed_sharply([], [600_000.0] * 10 + [0.0] * 3)
    # Too little history to tell.
    assert not changed_sharply([0.0, 0.0, 1e9], [])
