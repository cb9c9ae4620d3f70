"""Human units: what every number on screen looks like, including the odd ones."""

from __future__ import annotations

import pytest

from kmon.ui import format as fmt


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.25, "250ms"),
        (42, "42s"),
        (252, "4m 12s"),
        (7500, "2h 05m"),
        (29 * 3600 + 12 * 60, "29h 12m"),  # a countdown under two days keeps its minutes
        (4 * 86400 + 3 * 3600 + 59, "4d 3h"),
        (-5, "0s"),
        (None, fmt.DASH),
        (float("nan"), fmt.DASH),
        (float("inf"), fmt.DASH),
    ],
)
def test_duration(seconds, text):
    assert fmt.duration(seconds) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0 B/s"),
        (512, "512 B/s"),
        (1.8 * 1024 * 1024, "1.8 MiB/s"),
        (6 * 1024**3, "6.0 GiB/s"),
        (None, fmt.DASH),
        (float("nan"), fmt.DASH),
    ],
)
def test_bytes_rate(value, text):
    assert fmt.bytes_rate(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (950, "950"), (1500, "1.5k"), (2_500_000, "2.5M"), (float("inf"), fmt.DASH)],
)
def test_count(value, text):
    assert fmt.count(value) == text


@pytest.mark.parametrize(
    ("value", "text"), [(0, "0%"), (4.25, "4.2%"), (90, "90%"), (None, fmt.DASH)]
)
def test_pct(value, text):
    assert fmt.pct(value) == text


def test_rates_and_hours():
    assert fmt.count_rate(1000) == "1.0k/s"
    assert fmt.count_rate(None) == fmt.DASH
    assert fmt.hours(24) == "24h" and fmt.hours(168) == "7d"


def test_axis_ticks_drop_zero_parts():
    assert fmt.axis_duration_ms(12 * 3600 * 1000) == "12h"
    assert fmt.axis_duration_ms(5 * 60 * 1000) == "5m"
    assert fmt.axis_duration_ms(90 * 1000) == "1m 30s"
    assert fmt.axis_duration_ms(3 * 86400 * 1000) == "3d"


def test_absurd_values_read_as_more_than_not_as_300_digits():
    # A lag of 1e300 ms (a broken source) would be a 300-digit day count; inf would raise.
    assert fmt.duration_ms(1e300) == ">999d"
    assert fmt.compact_duration(float("inf")) == fmt.DASH
    assert fmt.compact_duration(1e12) == ">999d"
    assert fmt.count(1e13) == ">999G" and fmt.count(999e9) == "999G"
    assert fmt.pct(1e6) == ">9999%" and fmt.pct(9999) == "9999%"
    assert fmt.bytes_rate(1e300) == ">999 TiB/s"
    # 999 days is the largest duration still shown as itself (Kinesis keeps a year at most).
    assert fmt.duration(999 * 86400) == "999d 0h"
