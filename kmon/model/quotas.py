"""The account's Kinesis quotas against what it uses: open shards of the shard quota, on-demand
streams of theirs, and how many enhanced fan-out consumers each stream may register.

Pure: judged from DescribeLimits' and DescribeAccountSettings' answers with the configured
thresholds (``Thresholds.quota``).
"""

from __future__ import annotations

from dataclasses import dataclass

from kmon.model import limits, units
from kmon.model.health import Health
from kmon.model.rules import Thresholds


@dataclass(frozen=True)
class AccountLimits:
    """DescribeLimits' answer; None where AWS left a field out."""

    shard_limit: int | None
    open_shards: int | None
    on_demand_streams: int | None
    on_demand_stream_limit: int | None


@dataclass(frozen=True)
class Quota:
    """One account quota and how much of it is used, judged OK or WARN."""

    name: str  # shards | on-demand streams
    used: int
    limit: int
    level: Health

    @property
    def pct(self) -> float:
        return self.used / self.limit * 100

    @property
    def figure(self) -> str:
        """``412 of 500 (82%)``; an OK quota without its share."""
        base = f"{self.used:,} of {self.limit:,}"
        return f"{base} ({units.pct(self.pct)})" if self.level is Health.WARN else base

    @property
    def text(self) -> str:
        """``shards 412 of 500 (82%) WARN``, ``on-demand streams 3 of 50``."""
        warn = " WARN" if self.level is Health.WARN else ""
        return f"{self.name} {self.figure}{warn}"

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "used": self.used,
            "limit": self.limit,
            "pct": round(self.pct, 1),
            "level": self.level.value,
        }


@dataclass(frozen=True)
class AccountQuotas:
    limits: AccountLimits | None = None
    # The On-demand Advantage commitment (DescribeAccountSettings' minimum throughput billing
    # commitment) raises the EFO consumers a stream may register from 20 to 50. None: not
    # known (no permission, or the endpoint does not implement it): 20 is assumed.
    on_demand_advantage: bool | None = None
    quotas: tuple[Quota, ...] = ()

    @property
    def efo_consumer_limit(self) -> int:
        if self.on_demand_advantage:
            return limits.MAX_EFO_CONSUMERS_ADVANTAGE
        return limits.MAX_EFO_CONSUMERS

    @property
    def efo_limit_assumed(self) -> bool:
        return self.on_demand_advantage is None

    @property
    def warnings(self) -> tuple[Quota, ...]:
        return tuple(q for q in self.quotas if q.level is Health.WARN)

    def shards_left(self) -> int | None:
        """Shards that can still be opened under the account's shard quota; None unknown."""
        lim = self.limits
        if lim is None or lim.shard_limit is None or lim.open_shards is None:
            return None
        return max(0, lim.shard_limit - lim.open_shards)

    def on_demand_full(self) -> bool:
        """No room for one more on-demand stream."""
        lim = self.limits
        if lim is None or lim.on_demand_streams is None or not lim.on_demand_stream_limit:
            return False
        return lim.on_demand_streams >= lim.on_demand_stream_limit

    def to_dict(self) -> dict:
        lim = self.limits
        return {
            "shard_limit": lim.shard_limit if lim else None,
            "open_shards": lim.open_shards if lim else None,
            "on_demand_streams": lim.on_demand_streams if lim else None,
            "on_demand_stream_limit": lim.on_demand_stream_limit if lim else None,
            "on_demand_advantage": self.on_demand_advantage,
            "efo_consumer_limit": self.efo_consumer_limit,
            "efo_limit_assumed": self.efo_limit_assumed,
            "quotas": [q.to_dict() for q in self.quotas],
        }


def account_quotas(
    account: AccountLimits | None,
    on_demand_advantage: bool | None = None,
    thresholds: Thresholds = Thresholds(),
) -> AccountQuotas:
    """The quotas judged: those AWS gave both numbers of, in the order they matter."""
    found: list[Quota] = []
    if account is not None:
        for name, used, limit in (
            ("shards", account.open_shards, account.shard_limit),
            ("on-demand streams", account.on_demand_streams, account.on_demand_stream_limit),
        ):
            level = thresholds.quota(used, limit)
            if used is not None and limit and level is not Health.UNKNOWN:
                found.append(Quota(name, used, limit, level))
    return AccountQuotas(account, on_demand_advantage, tuple(found))


def efo_level(consumers: int | None, quotas: AccountQuotas, thresholds: Thresholds) -> Health:
    """A stream's registered EFO consumers against the limit: WARN near it."""
    return thresholds.quota(consumers, quotas.efo_consumer_limit)
