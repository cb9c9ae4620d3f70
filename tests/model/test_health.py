from kmon.model.health import Health


def inputs(**kw):
    base = dict(
        utilizations_pct=(None, None, None),
        iterator_age_ms=None,
        retention_hours=24,
        throttles_recent=(0, 0, 0, 0, 0),
    )
    base.update(kw)
    return HealthInputs(**base)


def test_no_datapoints_is_ok():
    assert judge(inputs())[0] is Health.OK


def test_utilization_thresholds():
    assert judge(inputs(utilizations_pct=(79.9, None, None)))[0] is Health.OK
    assert judge(inputs(utilizations_pct=(80.0, None, None)))[0] is Health.WARN
    assert judge(inputs(utilizations_pct=(10, 100.0, None)))[0] is Health.CRIT


def test_iterator_age_warns_at_30s_and_is_critical_at_half_retention():
    assert judge(inputs(iterator_age_ms=29_999))[0] is Health.OK
    assert judge(inputs(iterator_age_ms=30_000))[0] is Health.WARN
    half_day = 12 * 3600 * 1000
    assert judge(inputs(iterator_age_ms=half_day - 1))[0] is Health.WARN
    assert judge(inputs(iterator_age_ms=half_day))[0] is Health.CRIT
    # The same age is only a warning on a stream that keeps records for a week.
    assert judge(inputs(iterator_age_ms=half_day, retention_hours=168))[0] is Health.WARN


def test_throttling_newest_minute_warns_five_minutes_running_is_critical():
    assert judge(inputs(throttles_recent=(0, 0, 0, 0, 3)))[0] is Health.WARN
    assert judge(inputs(throttles_recent=(1, 1, 1, 1, 1)))[0] is Health.CRIT
    assert judge(inputs(throttles_recent=(1, 1, 0, 1, 1)))[0] is Health.WARN
    assert judge(inputs(throttles_recent=(1, 1, 1, 1, 0)))[0] is Health.OK


def test_unknown_when_metrics_unavailable_and_thresholds_are_configurable():
    assert judge(inputs(metrics_available=False))[0] is Health.UNKNOWN
    strict = Thresholds(utilization_warn_pct=50)
    assert judge(inputs(utilizations_pct=(60, None, None)), strict)[0] is Health.WARN
