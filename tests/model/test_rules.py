"""Every threshold judgement, through the Thresholds methods the screens and findings ask."""

from __future__ import annotations

import pytest

from kmon.model.health import Health
from kmon.model.rules import Thresholds

T = Thresholds()
HOUR_MS = 3600 * 1000
MIB = 1024 * 1024


def test_no_data_is_unknown_never_ok_or_zero():
    assert T.utilization(None) is Health.UNKNOWN
    assert T.iterator_age(None, 24) is Health.UNKNOWN
    # No throttle datapoints at all: nothing throttled.
    assert T.throttling(()) is Health.OK


def test_utilization_warns_at_80_and_is_critical_at_the_limit():
    assert T.utilization(0.0) is Health.OK
    assert T.utilization(79.9) is Health.OK
    assert T.utilization(80.0) is Health.WARN
    assert T.utilization(99.9) is Health.WARN
    assert T.utilization(100.0) is Health.CRIT
    assert T.utilization(140.0) is Health.CRIT


def test_iterator_age_warns_at_30s_and_is_critical_at_half_retention():
    assert T.iterator_age(29_999, 24) is Health.OK
    assert T.iterator_age(30_000, 24) is Health.WARN
    half_day = 12 * HOUR_MS  # half of 24 h retention
    assert T.iterator_age(half_day - 1, 24) is Health.WARN
    assert T.iterator_age(half_day, 24) is Health.CRIT
    # The same age is only a warning on a stream that keeps records for a week (risk at 84 h).
    assert T.iterator_age(half_day, 168) is Health.WARN
    assert T.iterator_age(84 * HOUR_MS, 168) is Health.CRIT
    # Retention not known yet: no retention line to cross, the 30 s line still holds.
    assert T.iterator_age(13 * HOUR_MS, None) is Health.WARN


def test_retention_risk_line_and_its_label():
    assert T.retention_risk_ms(24) == 12 * HOUR_MS
    assert T.retention_risk_ms(None) is None
    assert T.retention_risk_label == "50% of retention"
    quarter = Thresholds(retention_crit_fraction=0.25)
    assert quarter.retention_risk_label == "25% of retention"
    assert quarter.retention_risk_ms(24) == 6 * HOUR_MS
    assert quarter.iterator_age(6 * HOUR_MS, 24) is Health.CRIT


def test_throttling_newest_minute_warns_five_minutes_running_is_critical():
    assert T.throttling((0, 0, 0, 0, 3)) is Health.WARN
    assert T.throttling((1, 1, 1, 1, 1)) is Health.CRIT
    assert T.throttling((1, 1, 0, 1, 1)) is Health.WARN  # the run was broken
    assert T.throttling((1, 1, 1, 1, 0)) is Health.OK  # over now
    assert T.throttling((0, 0, 0, 0, 0)) is Health.OK
    assert T.throttling((None, None, None, None, 2)) is Health.WARN
    # Fewer minutes than the run needs cannot be a run.
    assert T.throttling((4, 4)) is Health.WARN
    # Only the newest five count: an older quiet minute does not break the run.
    assert T.throttling((0, 1, 1, 1, 1, 1)) is Health.CRIT


def test_thresholds_are_configurable():
    strict = Thresholds(utilization_warn_pct=50)
    assert strict.utilization(60) is Health.WARN
    assert T.utilization(60) is Health.OK
    assert Thresholds(utilization_crit_pct=90).utilization(90) is Health.CRIT
    assert Thresholds(iterator_age_warn_ms=10_000).iterator_age(10_000, 24) is Health.WARN
    two = Thresholds(throttle_crit_minutes=2)
    assert two.throttling((0, 0, 0, 1, 1)) is Health.CRIT
    assert two.throttling((0, 0, 0, 0, 1)) is Health.WARN


def test_problems_name_inconsistent_settings():
    assert T.problems() == []
    assert Thresholds(retention_crit_fraction=1.0).problems() == []
    same = Thresholds(utilization_warn_pct=100, utilization_crit_pct=100).problems()
    assert same == ["utilization_warn_pct (100) must be below utilization_crit_pct (100)"]
    inverted = Thresholds(utilization_warn_pct=90, utilization_crit_pct=80).problems()
    assert inverted == ["utilization_warn_pct (90) must be below utilization_crit_pct (80)"]
    for fraction in (0.0, 1.5):
        (problem,) = Thresholds(retention_crit_fraction=fraction).problems()
        assert problem == f"retention_crit_fraction must be in (0, 1], got {fraction:g}"
    negative = Thresholds(iterator_age_warn_ms=-1).problems()
    assert negative == ["iterator_age_warn_ms must not be negative, got -1"]
    assert Thresholds(shard_hot_pct=120).problems() == [
        "shard_hot_pct must be in (0, 100], got 120"
    ]
    assert Thresholds(throttle_crit_minutes=0).problems() == [
        "throttle_crit_minutes must be at least 1"
    ]


def test_shards_for_keeps_the_peak_under_the_warning_line():
    # 80% of 1 MiB/s leaves 0.8 MiB/s usable per shard; 1.8 / 0.8 = 2.25 -> 3 shards
    # (3 x 0.8 = 2.4 MiB/s, 75% busy at the peak).
    assert T.shards_for(1.8 * MIB, 1 * MIB) == 3
    # 2,000 rec/s over 800 usable per shard = 2.5 -> 3.
    assert T.shards_for(2_000, 1_000) == 3
    # 1,600 rec/s / 800 = exactly 2 shards, each at exactly 80%: still WARN, so 3.
    assert T.shards_for(1_600, 1_000) == 3
    # 700 rec/s fits one shard at 70%.
    assert T.shards_for(700, 1_000) == 1
    # Nothing to carry still needs a shard.
    assert T.shards_for(0, 1_000) == 1
    # At a 50% warning line 500 usable per shard: 1,200 / 500 = 2.4 -> 3.
    assert Thresholds(utilization_warn_pct=50).shards_for(1_200, 1_000) == 3


def test_shard_hot_shared_reads_lease_and_lag_lines():
    assert T.shard_hot(80.0, None) and not T.shard_hot(79.9, 0)
    assert T.shard_hot(5.0, 2)  # throttled at any load: a hot key
    assert not T.shard_hot(None, None)
    assert T.shared_read_busy(80.0) and not T.shared_read_busy(79.0)
    assert not T.shared_read_busy(None)
    # A lease renewed 60 s ago is not dead yet; 61 s is.
    assert not T.lease_dead(60.0) and T.lease_dead(61.0)
    assert T.thrashing(3) and not T.thrashing(2) and not T.thrashing(None)
    assert T.lag_high(30_000) and not T.lag_high(29_999) and not T.lag_high(None)


@pytest.mark.parametrize("pct", [79.9, 80.0, 100.0])
def test_utilization_and_shard_hot_lines_move_together_when_configured(pct):
    t = Thresholds(utilization_warn_pct=70, shard_hot_pct=70)
    assert t.utilization(pct) is not Health.OK
    assert t.shard_hot(pct, None)
