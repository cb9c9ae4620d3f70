"""Human units: bytes in binary steps, counts in k/M/G, durations as 3m 12s. Model values are
SI; these turn them into the words the screens and the findings' text share."""

from __future__ import annotations

import math

DASH = "–"  # no datapoint: never shown as 0

_BYTE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")

# Beyond these a value is nonsense from a broken source, not a reading: it is shown as
# "more than" the largest that still fits a cell, never as a 300-digit number cut anywhere.
MAX_DAYS = 999
MAX_COUNT = 999e9  # 999G
MAX_PCT = 9999.0
MAX_BYTES = 999 * 1024.0**4  # 999 TiB


def _scaled(value: float, base: float, units: tuple[str, ...]) -> tuple[float, str]:
    i = 0
    while abs(value) >= base and i < len(units) - 1:
        value /= base
        i += 1
    return value, units[i]


def _num(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}" if abs(v) < 1 else f"{v:.1f}"


def bytes_(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return DASH
    if value > MAX_BYTES:
        return ">999 TiB"
    v, unit = _scaled(float(value), 1024.0, _BYTE_UNITS)
    return f"{_num(v)} {unit}"


def scaled_bytes(value: float | None) -> tuple[str, str]:
    """A number and its unit apart, for big digits with the unit in a title."""
    if value is None:
        return "-", "B"
    v, unit = _scaled(float(value), 1024.0, _BYTE_UNITS)
    return _num(v), unit


def bytes_rate(value: float | None) -> str:
    text = bytes_(value)
    return text if text == DASH else f"{text}/s"


def usd(value: float) -> str:
    """Dollars: $1,234.56; under a cent, to four places ($0.0042)."""
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}"


def limit_rate(value: float) -> str:
    """A service limit, a round number: 1 MiB/s, 2 MiB/s (not 1.0 MiB/s)."""
    v, unit = _scaled(float(value), 1024.0, _BYTE_UNITS)
    return f"{v:g} {unit}/s"


def count(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return DASH
    if value > MAX_COUNT:
        return ">999G"
    v, unit = _scaled(float(value), 1000.0, ("", "k", "M", "G"))
    if not unit and float(value).is_integer():
        return f"{int(value)}"
    return f"{_num(v)}{unit}"


def count_rate(value: float | None) -> str:
    text = count(value)
    return text if text == DASH else f"{text}/s"


def pct(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return DASH
    if value > MAX_PCT:
        return f">{MAX_PCT:.0f}%"
    return f"{value:.0f}%" if value >= 10 or value == 0 else f"{value:.1f}%"


def duration(seconds: float | None) -> str:
    """3m 12s, 2h 05m, 29h 12m, 4d 3h; under a second shows ms. Minutes are kept up to two
    days, so a countdown to data loss visibly moves."""
    if seconds is None or not math.isfinite(seconds):
        return DASH
    if seconds < 0:
        seconds = 0.0
    if seconds == 0:
        return "0s"
    if seconds > MAX_DAYS * 86400:
        return f">{MAX_DAYS}d"
    if seconds < 0.9995:
        return f"{seconds * 1000:.0f}ms" if seconds >= 0.0005 else "<1ms"
    s = int(round(seconds))
    if s >= 2 * 86400:
        d, rem = divmod(s, 86400)
        return f"{d}d {rem // 3600}h"
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if h:
        return f"{h}h {m:02d}m"
    if m:
        return f"{m}m {sec:02d}s"
    return f"{sec}s"


def axis_duration_ms(ms: float) -> str:
    """An axis tick: round values without their zero part (12h, 5m)."""
    text = duration_ms(ms)
    for zero in (" 00m", " 00s", " 0h"):
        text = text.removesuffix(zero)
    return text


def interval(seconds: float) -> str:
    """A configured interval: 60s, 90s, 5m."""
    if seconds < 120 or seconds % 60:
        return f"{seconds:g}s"
    return f"{seconds / 60:g}m"


def duration_ms(ms: float | None) -> str:
    return DASH if ms is None else duration(ms / 1000.0)


def hours(h: int | None) -> str:
    if h is None:
        return DASH
    return f"{h // 24}d" if h % 24 == 0 and h >= 48 else f"{h}h"


def age(seconds: float) -> str:
    """'updated 12s ago' style ages."""
    return duration(max(0.0, seconds)) if seconds >= 1 else "0s"


def compact_duration(seconds: float) -> str:
    """A short span for tight cells: 45s, 12m, 1h12m, 3d4h."""
    if not math.isfinite(seconds):
        return DASH
    if seconds > MAX_DAYS * 86400:
        return f">{MAX_DAYS}d"
    s = int(max(0.0, seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        h, m = divmod(s // 60, 60)
        return f"{h}h{m:02d}m"
    d, h = divmod(s // 3600, 24)
    return f"{d}d{h}h"
