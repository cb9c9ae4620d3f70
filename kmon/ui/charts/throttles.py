"""Throttled and failed records per minute: the stream's write and read limits exceeded, and
what PutRecords callers saw. The provisioned-throughput counts are drawn first; the put counts
often equal them minute for minute and are then drawn as spaced markers over them."""

from __future__ import annotations

from kmon.ui.charts.base import Style, TimeChart, count_tick


class ThrottleChart(TimeChart):
    SERIES = (
        Style("write", "write exceeded", "red", "hd", short="write"),
        Style("read", "read exceeded", "cyan", "+", short="read"),
        Style("put_throttled", "put throttled", "orange", "•"),
        Style("put_failed", "put failed", "white", "×"),
    )
    MIN_STEP = 1.0  # counts: no 0.25 throttles

    @staticmethod
    def tick(value: float) -> str:
        return f"{count_tick(value)}/min"
