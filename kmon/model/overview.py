"""From a stream's description and metric series to its overview row: rates, utilization, health."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from kmon.model.cost import hour_traffic, stream_cost
from kmon.model.detail import ShardRow
from kmon.model.findings import History, StreamFacts, health_of, judge_stream, pct_of
from kmon.model.health import Health
from kmon.model.lag import ConsumerLag
from kmon.model.pricing import DEFAULT_PRICES, Prices
from kmon.model.quotas import AccountQuotas
from kmon.model.rules import Thresholds
from kmon.model.series import Series
from kmon.model.snapshot import StreamState

__all__ = ["StreamFacts", "stream_state", "fleet_minute", "metrics_fresh", "newest_minute"]

PERIOD = 60
# A newest datapoint older than this is not "now": the stream shows no data rather than
# an old minute presented as current.
FRESHNESS_SEC = 10 * 60
# CloudWatch publishes different streams' minutes up to a minute or two apart: a stream is
# current when its newest minute is this close to the fleet's newest. An older one means the
# stream went quiet (idle streams publish nothing), shown as no data, not as its last busy minute.
FLEET_SPREAD_SEC = 2 * 60
# While CloudWatch cannot be read, health is judged from the last good fetch only this long
# (or two refreshes, if longer); after that it is unknown. One failed poll does not turn a
# whole wall screen grey.
STALE_HEALTH_SEC = 5 * 60


OVERVIEW_KEYS = (
    "incoming_bytes",
    "incoming_records",
    "outgoing_bytes",
    "iterator_age_ms",
    "write_throttled",
    "read_throttled",
    "get_records_calls",
)


def newest_minute(series: list[Series], now: int, fleet_minute: int | None = None) -> int | None:
    not_before = now - FRESHNESS_SEC
    if fleet_minute is not None:
        not_before = max(not_before, fleet_minute - FLEET_SPREAD_SEC)
    newest = [p[0] for s in series if (p := s.latest(not_before=not_before))]
    return max(newest) if newest else None


def metrics_fresh(last_fetched: datetime | None, now: datetime, refresh_sec: float) -> bool:
    """Whether metrics fetched at ``last_fetched`` are recent enough to judge health from."""
    if last_fetched is None:
        return False
    return (now - last_fetched).total_seconds() <= max(STALE_HEALTH_SEC, 2 * refresh_sec)


def fleet_minute(streams: list[Callable[[str], Series]], now: int) -> int | None:
    """The newest minute any stream has data for: what "now" means in CloudWatch's terms."""
    newest = [newest_minute([get(k) for k in OVERVIEW_KEYS], now) for get in streams]
    return max((m for m in newest if m is not None), default=None)


def stream_state(
    facts: StreamFacts,
    series: Callable[[str], Series],
    now: int,
    *,
    metrics_available: bool,
    metrics_recent: bool = False,
    thresholds: Thresholds = Thresholds(),
    fleet: int | None = None,
    consumers: Sequence[ConsumerLag] = (),
    shards: Sequence[ShardRow] | None = None,
    fetched_end: int | None = None,
    fetched_at: datetime | None = None,
    prices: Prices = DEFAULT_PRICES,
    quotas: AccountQuotas | None = None,
) -> StreamState:
    """The overview row for one stream, judged from its newest complete minute (``fleet``:
    the fleet's newest minute, see ``fleet_minute``), its consumers and, where read, its
    shards. ``metrics_available``: this poll read CloudWatch; ``metrics_recent``: a recent
    poll did (see ``metrics_fresh``), so the last good minute still stands while CloudWatch
    fails. ``fetched_end``: the end of the minutes last asked for this stream, which a budget
    may leave minutes behind the fleet's; ``fetched_at``: when that was. ``prices``: what the
    stream's cost a day is estimated with. ``quotas``: the account's, where known."""
    # A stream fetched a few minutes ago is judged as of then: its newest minute is compared
    # with the fleet's newest as it was, not taken for a stream gone quiet.
    behind = max(0, now - now % PERIOD - fetched_end) if fetched_end is not None else 0
    minute = newest_minute(
        [series(k) for k in OVERVIEW_KEYS], now - behind, fleet - behind if fleet else None
    )
    h = History(facts, series, minute)
    cap = h.capacity()
    in_bytes = h.rate("incoming_bytes")
    in_records = h.rate("incoming_records")
    out_bytes = h.rate("outgoing_bytes")
    # On-demand: capacity adapts to 2x the 30-day peak. Until that peak is read, utilization
    # stays null rather than a guess; then it is shown as the estimate it is.
    utils = (
        pct_of(in_bytes, cap[0] if cap else None),
        pct_of(in_records, cap[1] if cap else None),
        pct_of(out_bytes, cap[2] if cap else None),
    )
    judged = metrics_available or (metrics_recent and minute is not None)
    # Without metrics nothing is judged: the collector shows the last judgement, marked stale.
    findings = (
        judge_stream(
            facts,
            series,
            minute,
            thresholds=thresholds,
            consumers=consumers,
            shards=shards,
            prices=prices,
            quotas=quotas,
        )
        if judged
        else []
    )
    health, since = health_of(findings) if judged else (Health.UNKNOWN, None)
    # The cost's traffic: the hour up to the stream's newest minute (a stream quiet lately,
    # the fleet's); without metrics, the shape's cost alone.
    end = minute if minute is not None else (fleet - behind if fleet else None)
    traffic = hour_traffic(series, end) if judged and end is not None else None
    cost = stream_cost(
        mode=facts.mode,
        open_shards=facts.open_shards,
        retention_hours=facts.retention_hours,
        efo_consumers=facts.efo_consumers,
        traffic=traffic,
        prices=prices,
    )
    return StreamState(
        name=facts.name,
        arn=facts.arn,
        status=facts.status,
        mode=facts.mode,
        open_shards=facts.open_shards,
        retention_hours=facts.retention_hours,
        efo_consumers=facts.efo_consumers,
        described_at=facts.described_at,
        incoming_bytes_per_sec=in_bytes,
        incoming_records_per_sec=in_records,
        outgoing_bytes_per_sec=out_bytes,
        write_bytes_utilization_pct=utils[0],
        write_records_utilization_pct=utils[1],
        read_bytes_utilization_pct=utils[2],
        iterator_age_ms=h.at("iterator_age_ms"),
        write_throttled_per_min=h.at("write_throttled"),
        read_throttled_per_min=h.at("read_throttled"),
        health=health,
        health_reasons=tuple(f.cause for f in findings)
        or (("metrics unavailable",) if health is Health.UNKNOWN else ()),
        since=since if health in (Health.WARN, Health.CRIT) else None,
        findings=tuple(findings),
        metrics_minute=minute,
        metrics_fetched_at=fetched_at,
        consumers=tuple(consumers),
        cost=cost,
        write_capacity_bytes_per_sec=cap[0] if cap else None,
        capacity_estimated=h.capacity_estimated,
        peak_write_bytes_per_sec=facts.write_peak_bytes_per_sec,
        peak_at=facts.write_peak_at,
        warm_current_mibps=facts.warm_current_mibps,
        warm_target_mibps=facts.warm_target_mibps,
        efo_consumer_limit=(quotas or AccountQuotas()).efo_consumer_limit,
    )
