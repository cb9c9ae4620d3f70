"""Account quotas and on-demand capacity estimates, with numbers worked out by hand.

Quotas warn at 80% (``Thresholds.quota_warn_pct``). On-demand write capacity is twice the
previous 30-day peak, at least 4 MiB/s. A provisioned shard takes 1 MiB/s of writes.
"""

from __future__ import annotations

import pytest

from kmon.model.health import Health
from kmon.model.overview import stream_state
from kmon.model.quotas import AccountLimits, AccountQuotas, account_quotas
from kmon.model.rules import Thresholds
from tests.model.test_findings import MIB, NOW, facts, judge, minutes, one, store


def limits(shards=(0, 500), on_demand=(0, 50)) -> AccountLimits:
    return AccountLimits(
        shard_limit=shards[1],
        open_shards=shards[0],
        on_demand_streams=on_demand[0],
        on_demand_stream_limit=on_demand[1],
    )


def test_quota_lines_warn_from_80_percent():
    q = account_quotas(limits(shards=(412, 500), on_demand=(3, 50)))
    # 412 / 500 = 82.4%: past 80%. 3 / 50 = 6%.
    assert [x.text for x in q.quotas] == [
        "shards 412 of 500 (82%) WARN",
        "on-demand streams 3 of 50",
    ]
    assert [x.level for x in q.quotas] == [Health.WARN, Health.OK]
    assert [x.name for x in q.warnings] == ["shards"]
    assert q.shards_left() == 88  # 500 - 412


def test_exactly_on_the_line_warns_and_one_below_does_not():
    # 400 / 500 = 80.0% exactly; 399 / 500 = 79.8%.
    assert account_quotas(limits(shards=(400, 500))).quotas[0].level is Health.WARN
    assert account_quotas(limits(shards=(399, 500))).quotas[0].level is Health.OK
    # 40 / 50 on-demand streams = 80%.
    assert account_quotas(limits(on_demand=(40, 50))).warnings[0].text == (
        "on-demand streams 40 of 50 (80%) WARN"
    )


def test_the_configured_line_is_used():
    q = account_quotas(limits(shards=(412, 500)), thresholds=Thresholds(quota_warn_pct=90))
    assert q.quotas[0].text == "shards 412 of 500"  # 82.4% is under 90%
    assert "quota_warn_pct must be in (0, 100], got 0" in Thresholds(quota_warn_pct=0).problems()


def test_a_quota_aws_left_out_is_not_shown():
    q = account_quotas(AccountLimits(None, 12, 2, 50))
    assert [x.name for x in q.quotas] == ["on-demand streams"]
    assert q.shards_left() is None
    assert account_quotas(None).quotas == ()


def test_efo_limit_is_50_with_on_demand_advantage_and_20_otherwise():
    assert account_quotas(limits(), True).efo_consumer_limit == 50
    assert account_quotas(limits(), False).efo_consumer_limit == 20
    unknown = account_quotas(limits(), None)
    assert unknown.efo_consumer_limit == 20 and unknown.efo_limit_assumed
    assert unknown.to_dict()["efo_limit_assumed"] is True


def test_write_advice_that_needs_more_shards_than_the_account_has_left_says_so():
    # 4 shards writing 3.8 MiB/s = 95% of 4 MiB/s. At 80% of 1 MiB/s a shard carries 0.8 MiB/s:
    # 3.8 / 0.8 = 4.75 -> 5 shards, one more than now. The account has 500 of 500 open.
    values = {"incoming_bytes": minutes(10, 60 * 3.8 * MIB)}
    full = account_quotas(limits(shards=(500, 500)))
    f = one(judge(facts(), values, quotas=full), "write-capacity")
    assert "--target-shard-count 5" in f.command
    assert "that is 1 more shard, and 0 can still be opened (500 of 500 open)" in f.advice
    assert "the command below fails until then" in f.advice
    # With room for it, nothing is said of the quota.
    roomy = account_quotas(limits(shards=(499, 500)))
    assert "quota" not in one(judge(facts(), values, quotas=roomy), "write-capacity").advice


def test_when_only_the_last_step_would_pass_the_quota_the_advice_names_where_to_stop():
    # 10 shards writing 19 MiB/s (190%): 19 / 0.8 = 23.75 -> 24 shards. UpdateShardCount at most
    # doubles: 20 first (10 more), then 24 (14 more). 488 of 500 open leaves 12: the first step
    # fits, the second does not, so the quota must be raised before passing 10 + 12 = 22.
    values = {"incoming_bytes": minutes(10, 60 * 19 * MIB)}
    q = account_quotas(limits(shards=(488, 500)))
    f = one(judge(facts(open_shards=10), values, quotas=q), "write-capacity")
    assert "--target-shard-count 20" in f.command
    assert "that is 14 more shards, and 12 can still be opened" in f.advice
    assert "before going past 22." in f.advice


def test_switching_to_on_demand_when_the_account_has_no_on_demand_stream_left():
    values = {"incoming_bytes": minutes(10, 60 * 3.8 * MIB)}
    q = account_quotas(limits(on_demand=(50, 50)))
    f = one(judge(facts(), values, quotas=q), "write-capacity")
    assert "50 of its 50 on-demand streams already" in f.advice


def on_demand(peak: float | None, at: int | None = None, **kw):
    return facts(mode="ON_DEMAND", write_peak_bytes_per_sec=peak, write_peak_at=at, **kw)


def state(f, mib_per_sec: float, **kw):
    values = {"incoming_bytes": minutes(10, 60 * mib_per_sec * MIB)}
    return stream_state(f, store(values), NOW, metrics_available=True, **kw)


def test_on_demand_capacity_is_twice_the_30_day_peak_as_an_estimate():
    # Peak 3 MiB/s -> max(4, 2 x 3) = 6 MiB/s; writing 1.5 MiB/s is 25% of it.
    s = state(on_demand(3 * MIB, at=NOW - 10 * 86400), 1.5)
    assert s.write_capacity_bytes_per_sec == 6 * MIB
    assert s.write_bytes_utilization_pct == pytest.approx(25.0)
    assert s.capacity_estimated and s.health is Health.OK
    assert s.write_records_utilization_pct is None  # no records figure for on-demand
    doc = s.to_dict()
    assert doc["capacity_estimated"] is True and doc["peak_write_bytes_per_sec"] == 3 * MIB


def test_a_peak_under_2_mib_gives_the_4_mib_floor():
    # Peak 1.5 MiB/s -> 2 x 1.5 = 3 MiB/s, under the 4 MiB/s floor; 1 MiB/s is 25% of 4.
    s = state(on_demand(1.5 * MIB, at=NOW - 86400), 1.0)
    assert s.write_capacity_bytes_per_sec == 4 * MIB
    assert s.write_bytes_utilization_pct == pytest.approx(25.0)
    # No writes in 30 days: the starting 4 MiB/s.
    assert state(on_demand(0.0), 1.0).write_capacity_bytes_per_sec == 4 * MIB


def test_without_the_peak_on_demand_utilization_is_not_guessed():
    s = state(on_demand(None), 1.5)
    assert s.write_bytes_utilization_pct is None and not s.capacity_estimated


def test_past_an_estimated_capacity_is_a_warning_not_critical():
    # Peak 3 MiB/s -> 6 MiB/s; writing 6.6 MiB/s is 110%: AWS adapts, so WARN with the estimate
    # in the evidence, and the warm-throughput command only with On-demand Advantage.
    f = on_demand(3 * MIB, at=NOW - 10 * 86400)
    s = state(f, 6.6)
    assert s.write_bytes_utilization_pct == pytest.approx(110.0)
    assert s.health is Health.WARN
    finding = one(list(s.findings), "write-capacity")
    assert "of the estimated capacity (6.6 MiB/s of ~6.0 MiB/s: 2x the 30-day peak" in (
        finding.evidence
    )
    assert finding.summary == "writes at ~110%" and finding.command is None
    # Warm throughput for the last hour's peak under 80%: 6.6 / 0.8 = 8.25 -> 9 MiB/s.
    advantage = AccountQuotas(on_demand_advantage=True)
    s = state(f, 6.6, quotas=advantage)
    assert s.findings[0].command == (
        "aws kinesis update-stream-warm-throughput --stream-name orders --warm-throughput-mi-bps 9"
    )
    assert s.efo_consumer_limit == 50
