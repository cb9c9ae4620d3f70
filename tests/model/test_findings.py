"""Findings: what is wrong with a stream, why, since when and what to do.

Every expected number below is worked out by hand in a comment from the service limits
(1 MiB/s and 1,000 records/s written per shard, 5 GetRecords calls/s per shard) and the default
thresholds (warn at 80% of capacity, 30 s of lag; CRIT after 5 throttled minutes running, at
half of retention). Series hold per-minute Sums (iterator age: Maximum ms), like CloudWatch's.
"""

from __future__ import annotations

from kmon.model import units
from kmon.model.detail import ShardRow
from kmon.model.findings import CODES, Finding, StreamFacts, health_of, judge_stream
from kmon.model.health import Health
from kmon.model.lag import ConsumerLag, LagStatus, ShardLag
from kmon.model.overview import stream_state
from kmon.model.rules import Thresholds
from kmon.model.series import Series

MIB = 1024 * 1024
# The newest complete minute (epoch seconds); "now" is 90 s later, 30 s into the next one.
M = 1_800_000_000 - 1_800_000_000 % 60
NOW = M + 90
ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/orders"
# A quarter of the 2**128 hash-key space: the share of each of 4 even shards.
QUARTER = 2**126


def facts(**kw) -> StreamFacts:
    base = dict(
        name="orders",
        arn=ARN,
        status="ACTIVE",
        mode="PROVISIONED",
        open_shards=4,
        retention_hours=24,
        efo_consumers=0,
        shard_level_metrics=(),
    )
    base.update(kw)
    return StreamFacts(**base)


def store(values: dict[str, dict[int, float]]):
    series: dict[str, Series] = {}

    def get(key: str) -> Series:
        return series.setdefault(key, Series())

    for key, pts in values.items():
        get(key).merge(sorted(pts.items()))
    return get


def minutes(n: int, value: float, newest: int = M) -> dict[int, float]:
    """``value`` for each of the ``n`` minutes ending at ``newest``."""
    return {newest - i * 60: value for i in range(n)}


def judge(f: StreamFacts, values: dict[str, dict[int, float]], **kw) -> list[Finding]:
    return judge_stream(f, store(values), M, **kw)


def one(findings: list[Finding], code: str) -> Finding:
    matching = [f for f in findings if f.code == code]
    assert len(matching) == 1, [f.code for f in findings]
    return matching[0]


def shard(i: int, records: float, throttled: float | None = None) -> ShardRow:
    """Shard i of 4 even shards, 100-byte records."""
    return ShardRow(
        shard_id=f"shardId-{i:012d}",
        is_open=True,
        parent=None,
        adjacent_parent=None,
        hash_share_pct=25.0,
        incoming_bytes_per_sec=records * 100,
        incoming_records_per_sec=records,
        write_throttled=throttled,
        hash_start=i * QUARTER,
        hash_end=(i + 1) * QUARTER - 1,
    )


def test_a_quiet_stream_has_no_findings_and_is_ok():
    assert judge(facts(), {}) == []
    assert judge_stream(facts(), store({}), None) == []
    assert health_of([]) == (Health.OK, None)
    # 400 rec/s of 4 shards x 1,000 = 10%: nothing to say.
    assert judge(facts(), {"incoming_records": minutes(10, 400 * 60)}) == []


# -- (a) a hot shard -------------------------------------------------------------------------


def test_hot_shard_is_named_with_its_share_and_the_split_command():
    # 4 shards; shard 0 takes 1,000 rec/s (its whole limit) and throttles, the others 400,
    # 300 and 300. The stream carries 2,000 rec/s of 4 x 1,000 = 50%: not full, one shard is.
    rows = [shard(0, 1_000, throttled=120), shard(1, 400), shard(2, 300), shard(3, 300)]
    values = {
        "incoming_records": minutes(3, 2_000 * 60),
        "incoming_bytes": minutes(3, 200_000 * 60),  # 100 bytes a record: 5% of 4 MiB/s
        "write_throttled": minutes(3, 120),  # the last 3 minutes: WARN, not yet 5 running
    }
    found = judge(facts(), values, shards=rows)
    assert [f.code for f in found] == ["hot-shard"]
    hot = found[0]
    assert hot.severity is Health.WARN
    assert (hot.subject_kind, hot.subject) == ("shard", "shardId-000000000000")
    # Its share: 1,000 of the stream's 2,000 rec/s = 50%, on a quarter of the key space.
    assert hot.cause == "hot shard shardId-000000000000: one shard takes 50% of the writes"
    assert "50% of the stream's writes on 25% of the key space" in hot.evidence
    assert "shardId-000000000000 at 100% of its 1 MiB/s / 1,000 rec/s write limit" in hot.evidence
    assert "stream at 50% of capacity" in hot.evidence
    assert "120 writes throttled in the last minute" in hot.evidence
    # Shard 0 holds hash keys [0, 2**126 - 1]; the split point is the first key of the upper
    # half: (0 + (2**126 - 1) + 1) / 2 = 2**125. 2**128 = 340282366920938463463374607431768211456,
    # halved three times: 170141183460469231731687303715884105728,
    # 85070591730234615865843651857942052864, 42535295865117307932921825928971026432.
    assert hot.command == (
        "aws kinesis split-shard --stream-name orders --shard-to-split shardId-000000000000 "
        "--new-starting-hash-key 42535295865117307932921825928971026432"
    )
    # Throttled for the newest 3 minutes: since 2 minutes before the newest.
    assert hot.since == M - 120
    assert health_of(found) == (Health.WARN, M - 120)


def test_hot_shard_throttled_five_minutes_running_is_critical():
    rows = [shard(0, 1_000, throttled=60), shard(1, 400), shard(2, 300), shard(3, 300)]
    values = {
        "incoming_records": minutes(5, 2_000 * 60),
        "write_throttled": minutes(5, 60),
    }
    hot = one(judge(facts(), values, shards=rows), "hot-shard")
    assert hot.severity is Health.CRIT and hot.since == M - 4 * 60


def test_a_full_stream_is_a_capacity_problem_not_a_hot_shard():
    # 4 shards all at 900 rec/s: the stream is at 90%, every shard is "hot".
    rows = [shard(i, 900, throttled=5) for i in range(4)]
    values = {"incoming_records": minutes(3, 3_600 * 60), "write_throttled": minutes(1, 20)}
    found = judge(facts(), values, shards=rows)
    assert [f.code for f in found] == ["write-capacity"]


# -- (b) throttled writes without shard-level metrics -------------------------------------------


def test_uneven_keys_without_enhanced_monitoring_says_what_seeing_the_shard_costs():
    # 400 rec/s of 4,000 = 10%, yet writes throttle: some key is hotter than its shard.
    values = {"incoming_records": minutes(10, 400 * 60), "write_throttled": minutes(1, 30)}
    found = judge(facts(shard_level_metrics=()), values)
    assert [f.code for f in found] == ["uneven-keys"]
    f = found[0]
    assert f.severity is Health.WARN and f.subject == "orders"
    assert "30 writes throttled in the last minute" in f.evidence
    assert "stream at 10% of capacity" in f.evidence
    # 3 metrics (IncomingBytes, IncomingRecords, WriteProvisionedThroughputExceeded) x 4 shards
    # x $0.30 per metric a month = 12 x $0.30 = $3.60.
    assert "3 metrics x 4 shards cost about $3.60 a month ($0.30 per metric)" in f.advice
    assert f.command == (
        "aws kinesis enable-enhanced-monitoring --stream-name orders --shard-level-metrics "
        "IncomingBytes IncomingRecords WriteProvisionedThroughputExceeded"
    )
    assert f.since == M


def test_uneven_keys_with_enhanced_monitoring_points_at_the_shard_view():
    values = {"incoming_records": minutes(10, 400 * 60), "write_throttled": minutes(1, 30)}
    enhanced = ("IncomingBytes", "IncomingRecords", "WriteProvisionedThroughputExceeded")
    f = one(judge(facts(shard_level_metrics=enhanced), values), "uneven-keys")
    assert f.command is None and "Press s to see which shard is hot." in f.advice


def test_throttled_writes_count_before_the_stream_is_described():
    # Not described yet (a big fleet's first poll, or DescribeStreamSummary denied): capacity
    # and shard metrics unknown, but five throttled minutes running are still CRIT.
    values = {"write_throttled": minutes(5, 30)}
    undescribed = facts(open_shards=None, shard_level_metrics=None)
    f = one(judge(undescribed, values), "uneven-keys")
    assert f.severity is Health.CRIT and f.since == M - 4 * 60
    assert f.command is None  # whether enhanced monitoring is on is not known yet
    assert f.evidence == "30 writes throttled in the last minute"
    # An on-demand stream has no utilization to quote; it says what it is.
    on_demand = facts(mode="ON_DEMAND", open_shards=None)
    assert one(judge(on_demand, values), "uneven-keys").evidence == (
        "30 writes throttled in the last minute; on-demand"
    )


# -- (c) shared reads --------------------------------------------------------------------------


def test_shared_reads_over_the_call_limit_advise_enhanced_fan_out():
    # 840 GetRecords calls a minute = 14 calls/s over 2 shards = 7 calls/s per shard,
    # 140% of the 5 calls/s limit; and reads throttle in the newest minute.
    values = {"get_records_calls": minutes(10, 840), "read_throttled": minutes(1, 15)}
    app = ConsumerLag("kcl", "orders-app", 1_000.0, LagStatus.OK, table="orders-app")
    found = judge(facts(open_shards=2), values, consumers=[app])
    assert [f.code for f in found] == ["shared-reads"]
    f = found[0]
    assert f.severity is Health.WARN
    assert f.cause == "polling readers exceed the shared read limit"
    assert "7.0 GetRecords calls/s per shard (limit 5/s)" in f.evidence
    assert "15 reads throttled in the last minute" in f.evidence
    assert "Polling readers kmon sees: orders-app (kcl)" in f.advice
    assert "(0 of 20 registered now)" in f.advice
    assert f.command == (
        f"aws kinesis register-stream-consumer --stream-arn {ARN} --consumer-name <reader-name>"
    )
    assert f.since == M  # throttled in the newest minute only


def test_shared_reads_advice_says_what_an_efo_consumer_costs():
    # 2 shards written at 1 MiB/s all hour, and polled 7 times a second per shard. One more
    # EFO consumer: 2 consumer-shard-hours x 24 x $0.015 = $0.72, plus it reads every byte
    # written: 1 MiB/s x 86,400 s = 84.375 GiB x $0.013 = $1.097; $1.82 a day.
    values = {"get_records_calls": minutes(10, 840), "incoming_bytes": minutes(60, MIB * 60)}
    f = one(judge(facts(open_shards=2), values), "shared-reads")
    assert "Each costs ≈ $1.82/day, est. (its shard-hours and reads)." in f.advice


def test_shared_reads_near_the_limit_warn_before_anything_throttles():
    # 600 calls a minute = 10/s over 2 shards = 5/s per shard: 100% of the limit (>= 80%),
    # for the last 4 minutes; 300 a minute before that = 2.5/s per shard, 50%.
    calls = {**minutes(10, 300), **minutes(4, 600)}
    f = one(judge(facts(open_shards=2), {"get_records_calls": calls}), "shared-reads")
    assert f.severity is Health.WARN
    assert f.cause == "polling readers near the shared read limit"
    assert "kmon sees no named polling reader" in f.advice
    assert f.since == M - 3 * 60


# -- (d) write capacity ------------------------------------------------------------------------


def test_write_capacity_gives_the_target_shard_count_and_its_command():
    # 2 provisioned shards carry 1.8 MiB/s of 2 MiB/s = 90%: past the 80% line.
    # Target: 1.8 MiB/s / (0.8 x 1 MiB/s) = 2.25 -> 3 shards (3 x 0.8 = 2.4 MiB/s > 1.8);
    # 500 rec/s needs 500 / 800 -> 1. One call can go from 2 to at most 4: 3 directly.
    values = {
        "incoming_bytes": minutes(10, 1.8 * MIB * 60),
        "incoming_records": minutes(10, 500 * 60),
    }
    found = judge(facts(open_shards=2), values)
    assert [f.code for f in found] == ["write-capacity"]
    f = found[0]
    assert f.severity is Health.WARN
    assert f.cause == "writes at 90% of the stream's capacity"
    assert f.evidence.startswith("write 90% of capacity (1.8 MiB/s of 2.0 MiB/s")
    assert "warn at 80%, limit 100%" in f.evidence
    # The cost of each way out, at us-east-1 list prices: one more shard is 24 shard-hours a
    # day x $0.015 = $0.36. On-demand, at the hour's traffic (10 minutes of 1.8 MiB/s and
    # 500 rec/s in the hour: 0.3 MiB/s and 83.3 rec/s on average, 3,775-byte records):
    # now 2 x 24 x $0.015 = $0.72 + 83.3 x 86,400 = 7.2 M PUT units x $0.014 = $0.1008, $0.8208;
    # on-demand $0.04 x 24 = $0.96 + 83.3 rec/s x 4 KiB (rounded up) x 86,400 s = 27.47 GiB
    # x $0.08 = $2.197; $3.157 a day, $2.34 more.
    assert f.advice.startswith(
        "3 shards keep the last hour's peak (1.8 MiB/s, 500/s) under 80% of capacity "
        "(≈ $0.36/day more, est.)."
    )
    assert "on-demand mode, which adapts capacity by itself: ≈ $2.34/day more at the " in f.advice
    assert "at most doubles" not in f.advice
    assert f"--stream-arn {ARN} --stream-mode-details StreamMode=ON_DEMAND" in f.advice
    assert f.command == (
        "aws kinesis update-shard-count --stream-name orders --target-shard-count 3 "
        "--scaling-type UNIFORM_SCALING"
    )
    assert f.since == M - 9 * 60  # at 90% for the newest 10 minutes


def test_write_capacity_past_double_goes_there_in_two_steps():
    # Scaled down to 2 shards after a busy spell: 40 minutes ago the stream took 3.6 MiB/s,
    # now 1.8 MiB/s (90%, WARN). The hour's peak needs 3.6 / 0.8 = 4.5 -> 5 shards, more than
    # twice 2: UpdateShardCount goes to 4 first, then to 5.
    values = {"incoming_bytes": {**minutes(10, 1.8 * MIB * 60), M - 40 * 60: 3.6 * MIB * 60}}
    f = one(judge(facts(open_shards=2), values), "write-capacity")
    assert f.advice.startswith("5 shards keep the last hour's peak (3.6 MiB/s")
    assert "UpdateShardCount at most doubles per call: go to 4 first, then to 5." in f.advice
    assert "--target-shard-count 4 " in f.command


def test_writes_at_the_limit_are_critical():
    # 2,000 rec/s on 2 shards = 100% of 2 x 1,000.
    values = {"incoming_records": minutes(2, 2_000 * 60), "write_throttled": minutes(1, 50)}
    f = one(judge(facts(open_shards=2), values), "write-capacity")
    assert f.severity is Health.CRIT
    assert "50 writes throttled in the last minute" in f.evidence


# -- (e) since comes from history --------------------------------------------------------------


def test_since_from_history_on_the_very_first_judgement():
    # Writes throttled every minute for the last 90 minutes, at 10% of capacity: the newest
    # minute and the 89 before it, so since = M - 89 minutes.
    values = {
        "incoming_records": minutes(90, 400 * 60),
        "write_throttled": minutes(90, 25),
    }
    f = one(judge(facts(), values), "uneven-keys")
    assert f.severity is Health.CRIT  # 5 minutes running and more
    assert f.since == M - 89 * 60
    st = stream_state(facts(), store(values), NOW, metrics_available=True)
    assert st.health is Health.CRIT and st.since == M - 89 * 60
    # From "now" (30 s into the minute after M): 90 s + 89 minutes = 5,430 s, 1h 30m 30s.
    assert NOW - st.since == 5_430
    assert units.duration(NOW - st.since) == "1h 30m"
    assert st.to_dict()["since"] == st.to_dict()["findings"][0]["since"] is not None


def test_since_stops_at_the_first_quiet_minute():
    # Throttled for 20 minutes, quiet for one, throttled again for the newest 6.
    throttled = {**minutes(27, 10), M - 6 * 60: 0.0}
    values = {"incoming_records": minutes(27, 400 * 60), "write_throttled": throttled}
    assert one(judge(facts(), values), "uneven-keys").since == M - 5 * 60


# -- (f) consumers make the stream's health ----------------------------------------------------


def kcl_app(status: LagStatus, *shards: ShardLag, **kw) -> ConsumerLag:
    return ConsumerLag(
        "kcl",
        "orders-app",
        None,
        status,
        table="orders-app",
        shards=shards,
        workers={"worker-1": 1, "worker-2": 1},
        **kw,
    )


HEALTHY = {"incoming_records": minutes(10, 400 * 60)}  # 10% of capacity


def test_a_stalled_kcl_application_alone_makes_the_stream_warn():
    stalled = ShardLag(
        "shardId-000000000002",
        "worker-2",
        "49650000000000000000000000002",
        None,
        LagStatus.STALL,
        stalled=True,
        since=M - 600,
    )
    fine = ShardLag("shardId-000000000001", "worker-1", "49650000000000000001", 800.0, LagStatus.OK)
    app = kcl_app(LagStatus.STALL, fine, stalled, since=M - 600)
    found = judge(facts(), HEALTHY, consumers=[app])
    assert [f.code for f in found] == ["kcl-stalled-shard"]
    f = found[0]
    assert f.severity is Health.WARN
    assert (f.subject_kind, f.subject) == ("shard", "shardId-000000000002")
    assert f.cause == "consumer orders-app stalled on shardId-000000000002"
    assert "Look at worker worker-2" in f.advice
    assert f.since == M - 600
    st = stream_state(facts(), store(HEALTHY), NOW, metrics_available=True, consumers=[app])
    assert st.health is Health.WARN and st.since == M - 600
    assert st.health_reasons == ("consumer orders-app stalled on shardId-000000000002",)


def test_a_dead_worker_makes_the_stream_critical_and_names_the_worker():
    dead = ShardLag(
        "shardId-000000000002",
        "worker-2",
        "49650000000000000000000000002",
        None,
        LagStatus.STOP,
        dead_owner=True,
        since=M - 120,
    )
    app = kcl_app(LagStatus.STOP, dead, since=M - 120)
    found = judge(facts(), HEALTHY, consumers=[app])
    assert [f.code for f in found] == ["kcl-dead-worker"]  # not also "consumer-stopped"
    f = found[0]
    assert f.severity is Health.CRIT
    assert (f.subject_kind, f.subject) == ("worker", "worker-2")
    assert f.cause == "worker worker-2 of orders-app stopped renewing its leases"
    assert "lease counter of shardId-000000000002 unchanged" in f.evidence
    assert "(60 s)" in f.evidence  # the configured lease duration
    assert health_of(found) == (Health.CRIT, M - 120)


def test_a_consumer_nobody_can_judge_changes_nothing():
    app = kcl_app(LagStatus.UNKNOWN)
    assert judge(facts(), HEALTHY, consumers=[app]) == []
    st = stream_state(facts(), store(HEALTHY), NOW, metrics_available=True, consumers=[app])
    assert st.health is Health.OK and st.since is None and st.findings == ()


def test_worst_first_when_a_dead_worker_and_a_stall_meet():
    dead = ShardLag("shardId-000000000000", "worker-1", "1", None, LagStatus.STOP, dead_owner=True)
    stalled = ShardLag("shardId-000000000002", "worker-2", "2", None, LagStatus.STALL, stalled=True)
    found = judge(facts(), HEALTHY, consumers=[kcl_app(LagStatus.STOP, dead, stalled)])
    assert [(f.code, f.severity) for f in found] == [
        ("kcl-dead-worker", Health.CRIT),
        ("kcl-stalled-shard", Health.WARN),
    ]


def test_unowned_leases_thrashing_and_unfinished_parents():
    unowned = ShardLag("shardId-000000000003", None, "TRIM_HORIZON", None, LagStatus.STOP)
    f = one(
        judge(facts(), HEALTHY, consumers=[kcl_app(LagStatus.STOP, unowned)]), "kcl-unowned-lease"
    )
    assert f.severity is Health.CRIT
    assert f.cause == "1 lease(s) of orders-app have no owner: nobody reads those shards"

    thrash = kcl_app(LagStatus.WARN, thrashing=("shardId-000000000001",))
    found = judge(facts(), HEALTHY, consumers=[thrash])
    assert [f.code for f in found] == ["kcl-thrashing"]
    assert "ownerSwitchesSinceCheckpoint at or above 3 on shardId-000000000001" in found[0].evidence

    parent = ShardLag(
        "shardId-000000000000", "worker-1", "7", None, LagStatus.STALL, stalled=True, since=M
    )
    child = ShardLag(
        "shardId-000000000004",
        "worker-2",
        "TRIM_HORIZON",
        None,
        LagStatus.UNKNOWN,
        parents=("shardId-000000000000",),
        waiting_for=("shardId-000000000000",),
    )
    found = judge(facts(), HEALTHY, consumers=[kcl_app(LagStatus.STALL, parent, child)])
    assert [f.code for f in found] == ["kcl-stalled-shard", "kcl-parent-unfinished"]
    waits = found[1]
    assert waits.subject == "shardId-000000000000"
    assert waits.cause == (
        "orders-app: child shardId-000000000004 waits for parent shardId-000000000000 to finish"
    )


def test_lambda_mapping_disabled_and_a_failed_batch():
    off = ConsumerLag(
        "lambda",
        "orders-fn",
        None,
        LagStatus.STOP,
        since=M - 300,
        details={"uuid": "a1b2", "state": "Disabled"},
    )
    f = one(judge(facts(), HEALTHY, consumers=[off]), "lambda-mapping-disabled")
    assert f.severity is Health.CRIT and f.since == M - 300
    assert f.command == "aws lambda update-event-source-mapping --uuid a1b2 --enabled"

    failing = ConsumerLag(
        "lambda",
        "orders-fn",
        2_000.0,
        LagStatus.WARN,
        details={
            "uuid": "a1b2",
            "state": "Enabled",
            "last_result": "PROBLEM: Function call failed",
        },
    )
    found = judge(facts(), HEALTHY, consumers=[failing])
    assert [f.code for f in found] == ["lambda-batch-failed"]
    assert found[0].evidence == "last processing result: PROBLEM: Function call failed"


def test_a_lagging_lambda_is_named_instead_of_the_stream_iterator_age():
    # The stream's iterator age (35 s) is the Lambda's lag: the consumer's finding names it.
    fn = ConsumerLag(
        "lambda",
        "orders-fn",
        35_000.0,
        LagStatus.WARN,
        details={"uuid": "a1b2", "state": "Enabled", "parallelization_factor": "1"},
    )
    values = {**HEALTHY, "iterator_age_ms": minutes(3, 35_000)}
    found = judge(facts(), values, consumers=[fn])
    assert [f.code for f in found] == ["consumer-lag"]
    f = found[0]
    assert f.cause == "consumer orders-fn (lambda) is 35s behind"
    # Parallelization factor 1 -> 2 (up to 10 concurrent batches per shard).
    assert (
        f.command == "aws lambda update-event-source-mapping --uuid a1b2 --parallelization-factor 2"
    )
    # Without a named consumer the stream's own finding says it.
    alone = judge(facts(), values)
    assert [f.code for f in alone] == ["iterator-age"]
    assert alone[0].since == M - 2 * 60


def test_iterator_age_past_half_retention_is_a_retention_risk():
    # 13 h behind on 24 h retention: past the 12 h line. Retention doubled: 48 h.
    values = {"iterator_age_ms": minutes(2, 13 * 3600 * 1000)}
    f = one(judge(facts(), values), "retention-risk")
    assert f.severity is Health.CRIT
    assert f.command == (
        "aws kinesis increase-stream-retention-period --stream-name orders "
        "--retention-period-hours 48"
    )
    assert "50% of retention 12h 00m" in f.evidence


def test_a_stream_that_is_not_active_says_so():
    f = one(judge(facts(status="UPDATING"), HEALTHY), "stream-status")
    assert f.severity is Health.WARN
    assert f.command == "aws kinesis describe-stream-summary --stream-name orders"


def test_names_in_commands_are_quoted_for_the_shell():
    values = {"incoming_records": minutes(10, 400 * 60), "write_throttled": minutes(1, 30)}
    f = one(judge(facts(name="orders; rm -rf ~"), values), "uneven-keys")
    assert "--stream-name 'orders; rm -rf ~' " in f.command


# -- (g) configured thresholds -----------------------------------------------------------------


def test_non_default_utilization_line_is_used():
    # 2 shards at 1.4 MiB/s = 70%: fine at the default 80% line, WARN at 60%.
    values = {"incoming_bytes": minutes(5, 1.4 * MIB * 60)}
    assert judge(facts(open_shards=2), values) == []
    strict = Thresholds(utilization_warn_pct=60)
    found = judge(facts(open_shards=2), values, thresholds=strict)
    assert [f.code for f in found] == ["write-capacity"]
    f = found[0]
    assert f.severity is Health.WARN and "warn at 60%" in f.evidence
    # 1.4 MiB/s over 0.6 MiB/s usable per shard = 2.33 -> 3 shards.
    assert "--target-shard-count 3 " in f.command
    st = stream_state(
        facts(open_shards=2), store(values), NOW, metrics_available=True, thresholds=strict
    )
    assert st.health is Health.WARN


# -- (h) health_of -----------------------------------------------------------------------------


def finding(severity: Health, since: int | None, code: str = "x") -> Finding:
    return Finding(severity, code, "stream", "orders", "cause", "evidence", "advice", None, since)


def test_health_is_the_worst_finding_since_the_earliest_of_that_severity():
    found = [
        finding(Health.WARN, 100),  # earliest of all, but only WARN
        finding(Health.CRIT, 500),
        finding(Health.CRIT, 300),
        finding(Health.CRIT, None),
    ]
    assert health_of(found) == (Health.CRIT, 300)
    assert health_of([finding(Health.WARN, None)]) == (Health.WARN, None)
    assert health_of([finding(Health.WARN, 900), finding(Health.WARN, 600)]) == (Health.WARN, 600)


def test_every_code_is_known_and_serialised_with_its_subject():
    assert len(CODES) == len(set(CODES)) == 16
    d = finding(Health.CRIT, M).to_dict()
    assert d["severity"] == "crit" and d["subject"] == {"kind": "stream", "name": "orders"}
    assert d["since"] == "2027-01-15T08:00:00Z"  # M = 1,800,000,000 exactly
    assert finding(Health.WARN, None).to_dict()["since"] is None
