from datetime import datetime, timedelta, timezone

from kmon.model.health import Health
from kmon.model.overview import StreamFacts, metrics_fresh, stream_state
from kmon.model.series import Series
from kmon.model.timefmt import iso_epoch

MIB = 1024 * 1024
NOW = 10_000 * 60 + 30  # 30 s into a minute


def facts(**kw):
    base = dict(
        name="s",
        arn=None,
        status="ACTIVE",
        mode="PROVISIONED",
        open_shards=2,
        retention_hours=24,
        efo_consumers=0,
    )
    base.update(kw)
    return StreamFacts(**base)


def store(values: dict[str, dict[int, float]]):
    series: dict[str, Series] = {}

    def get(key):
        s = series.setdefault(key, Series())
        return s

    for key, pts in values.items():
        get(key).merge(sorted(pts.items()))
    return get


def minute(ago: int) -> int:
    return (NOW - NOW % 60) - ago * 60


def test_rates_and_utilization_from_newest_minute():
    get = store(
        {
            "incoming_bytes": {minute(2): 1.0, minute(1): 60 * 1.5 * MIB},
            "incoming_records": {minute(1): 60 * 500},
            "outgoing_bytes": {minute(1): 60 * 2 * MIB},
        }
    )
    st = stream_state(facts(), get, NOW, metrics_available=True)
    assert st.incoming_bytes_per_sec == 1.5 * MIB
    assert st.write_bytes_utilization_pct == 75.0  # 1.5 MiB/s of 2 shards x 1 MiB/s
    assert st.write_records_utilization_pct == 25.0  # 500/s of 2,000/s
    assert st.read_bytes_utilization_pct == 50.0  # 2 MiB/s of 4 MiB/s
    assert st.health is Health.OK
    assert st.metrics_minute == minute(1)


def test_on_demand_has_no_utilization_and_stale_data_is_not_current():
    get = store({"incoming_bytes": {minute(1): 60 * MIB}})
    st = stream_state(facts(mode="ON_DEMAND"), get, NOW, metrics_available=True)
    assert st.incoming_bytes_per_sec == MIB
    assert st.write_bytes_utilization_pct is None
    old = store({"incoming_bytes": {minute(30): 60 * MIB}})
    st = stream_state(facts(), old, NOW, metrics_available=True)
    assert st.incoming_bytes_per_sec is None and st.health is Health.OK


def test_a_stream_gone_quiet_shows_no_data_not_its_last_busy_minute():
    # Idle streams publish no datapoints: 8 minutes old while the fleet is at the newest
    # minute means nothing is arriving now.
    quiet = store({"incoming_bytes": {minute(8): 60 * MIB}})
    st = stream_state(facts(), quiet, NOW, metrics_available=True, fleet=minute(1))
    assert st.incoming_bytes_per_sec is None and st.write_bytes_utilization_pct is None
    # A minute behind the fleet is CloudWatch's spread, not silence.
    late = store({"incoming_bytes": {minute(2): 60 * MIB}})
    st = stream_state(facts(), late, NOW, metrics_available=True, fleet=minute(1))
    assert st.incoming_bytes_per_sec == MIB


def test_health_stands_on_recent_metrics_then_turns_unknown():
    fetched = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
    # One failed poll does not grey out the fleet; five minutes without CloudWatch do.
    assert metrics_fresh(fetched, fetched + timedelta(minutes=2), refresh_sec=60)
    assert not metrics_fresh(fetched, fetched + timedelta(minutes=6), refresh_sec=60)
    assert metrics_fresh(fetched, fetched + timedelta(minutes=15), refresh_sec=600)
    assert not metrics_fresh(None, fetched, refresh_sec=60)
    get = store({"write_throttled": {minute(a): 3 for a in range(1, 6)}})
    st = stream_state(facts(), get, NOW, metrics_available=False, metrics_recent=True)
    assert st.health is Health.CRIT  # judged from the last good minute
    assert st.findings and st.since == minute(5)
    # Too old to judge: the model says so and judges nothing; the collector's memory shows
    # the last judgement, marked stale.
    st = stream_state(facts(), get, NOW, metrics_available=False, metrics_recent=False)
    assert st.health is Health.UNKNOWN
    assert st.findings == () and st.since is None
    assert st.health_reasons == ("metrics unavailable",)
    assert st.write_throttled_per_min == 3  # the last numbers stay on screen


def test_five_minutes_of_throttling_is_critical():
    get = store({"write_throttled": {minute(a): 3 for a in range(1, 6)}})
    st = stream_state(facts(), get, NOW, metrics_available=True)
    assert st.write_throttled_per_min == 3 and st.health is Health.CRIT
    # Health is the worst finding, since the first of the five throttled minutes.
    assert [f.code for f in st.findings] == ["uneven-keys"]
    assert st.health_reasons == (st.findings[0].cause,)
    assert st.since == minute(5)
    doc = st.to_dict()
    assert doc["since"] == doc["findings"][0]["since"] == iso_epoch(minute(5))
    # Four minutes running: a warning, since the first of them.
    four = store({"write_throttled": {minute(a): 3 for a in range(1, 5)}})
    st = stream_state(facts(), four, NOW, metrics_available=True)
    assert st.health is Health.WARN and st.since == minute(4)
    st = stream_state(facts(), store({}), NOW, metrics_available=False)
    assert st.health is Health.UNKNOWN and st.to_dict()["since"] is None


def test_health_is_ok_with_no_since_when_nothing_is_wrong():
    st = stream_state(facts(), store({}), NOW, metrics_available=True)
    assert st.health is Health.OK and st.findings == () and st.health_reasons == ()
    assert st.since is None and st.to_dict()["since"] is None
