"""Kinesis Data Streams list prices: one region's public prices, dated and sourced.

Every figure kmon shows from these is an estimate: list prices, before any discount, credit,
Savings Plan or On-demand Advantage commitment, and without tax. Other regions cost a little
more or less: ``[pricing]`` in the config file overrides any price, for every region or for
one (see ``PriceBook``).

Units: USD; a GB is 2^30 bytes (AWS bills data by the binary gigabyte); a month is 730 hours
(AWS's convention for per-month prices).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

REGION = "us-east-1"
READ_ON = "2026-11"
PAGE = "aws.amazon.com/kinesis/data-streams/pricing/"
SOURCE = f"Amazon Kinesis Data Streams pricing, {REGION} ({PAGE}), read {READ_ON}"

# Where each figure comes from. The pricing page renders its tables at view time; the unit
# definitions (25 KB PUT payload units, on-demand records rounded up to 1 KB) are in its text.
_PAGE_TABLE = (
    f"{PAGE} ({REGION} list price; the page's table renders at view time, the figure matches "
    "the published rate as commonly quoted)"
)
_OD_BLOG = (
    f"{PAGE}; confirmed by the AWS Big Data Blog 'Kinesis On-demand Advantage saves 60%+ on "
    f"streaming costs' (2026-03-09, {REGION} prices for On-demand Standard)"
)

GB = 1024**3
HOURS_PER_MONTH = 730
# A PUT payload unit is 25 KB of a record; AWS's pricing uses 1 KB = 1,024 bytes (its on-demand
# terms say "1 KB (1,024 bytes)", and its provisioned example has 100 records of 35 KB make
# 3.4 MB/s). A 5 KB record is 1 unit, a 45 KB record 2.
PUT_PAYLOAD_UNIT_BYTES = 25 * 1024
# On-demand data in is billed with each record rounded up to the next 1 KB (4.5 KB counts as 5).
ON_DEMAND_RECORD_ROUNDING_BYTES = 1024
# Extended retention covers 24 h to 7 days; long-term retention whatever is kept beyond 7 days.
BASE_RETENTION_HOURS = 24
EXTENDED_RETENTION_HOURS = 7 * 24


def _price(usd: float, unit: str, source: str = _PAGE_TABLE):
    return field(default=usd, metadata={"unit": unit, "source": source})


@dataclass(frozen=True)
class Prices:
    """One region's Kinesis Data Streams prices (USD). Field names are the config keys."""

    # Provisioned mode.
    shard_hour: float = _price(0.015, "per shard-hour")
    put_payload_units_million: float = _price(0.014, "per million PUT payload units (25 KB)")
    extended_retention_shard_hour: float = _price(
        0.02, "per shard-hour, retention over 24 h up to 7 days"
    )
    efo_consumer_shard_hour: float = _price(0.015, "per EFO consumer-shard-hour")
    efo_gb: float = _price(0.013, "per GB read by EFO consumers")
    # On-demand (Standard) mode.
    on_demand_stream_hour: float = _price(0.04, "per stream-hour", _OD_BLOG)
    on_demand_in_gb: float = _price(0.08, "per GB written (records rounded up to 1 KB)", _OD_BLOG)
    on_demand_out_gb: float = _price(0.04, "per GB read by polling (GetRecords) readers")
    on_demand_efo_gb: float = _price(0.05, "per GB read by EFO consumers", _OD_BLOG)
    on_demand_extended_retention_gb_month: float = _price(
        0.10, "per GB-month stored over 24 h up to 7 days", _OD_BLOG
    )
    # Both modes.
    long_term_retention_gb_month: float = _price(0.023, "per GB-month stored beyond 7 days")
    # The prices set by the config file; the rest are the list prices above.
    overridden: tuple[str, ...] = ()

    @property
    def basis(self) -> str:
        """What the figures rest on, in a few words: 'us-east-1 list prices of 2026-11'."""
        text = f"{REGION} list prices of {READ_ON}"
        if self.overridden:
            text += f", {len(self.overridden)} set in [pricing]"
        return text


DEFAULT_PRICES = Prices()

PRICE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Prices) if f.name != "overridden")


def unit_of(name: str) -> str:
    return next(f.metadata["unit"] for f in fields(Prices) if f.name == name)


def source_of(name: str) -> str:
    return next(f.metadata["source"] for f in fields(Prices) if f.name == name)


def price_problem(name: str, value: object) -> str | None:
    """Why ``value`` cannot be the price ``name``; None when it can."""
    if name not in PRICE_FIELDS:
        return f"unknown price {name!r} (known: {', '.join(PRICE_FIELDS)})"
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value < 0
    ):
        return f"price {name} must be a number of USD, 0 or more, got {value!r}"
    return None


@dataclass(frozen=True)
class PriceBook:
    """The ``[pricing]`` table: overrides for every region, then per region on top of those.

    ``everywhere`` maps price names to USD; ``regions`` maps a region to its own overrides.
    With neither, every region is priced at the us-east-1 list prices.
    """

    everywhere: Mapping[str, float] = field(default_factory=dict)
    regions: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def for_region(self, region: str | None) -> Prices:
        values = {**self.everywhere, **self.regions.get(region or "", {})}
        if not values:
            return DEFAULT_PRICES
        return replace(
            DEFAULT_PRICES,
            **{k: float(v) for k, v in values.items()},
            overridden=tuple(sorted(values)),
        )


DEFAULT_BOOK = PriceBook()
