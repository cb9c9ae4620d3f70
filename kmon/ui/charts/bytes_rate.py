"""Bytes in and out per second against the stream's write and read limits."""

from __future__ import annotations

from kmon.model.units import limit_rate
from kmon.ui.charts.base import Style, TimeChart


class BytesChart(TimeChart):
    SERIES = (
        Style("in", "in", "cyan", "hd"),
        Style("out", "out", "green", "•"),
    )
    LIMITS = (
        Style("write", "write limit", "red", "─"),
        Style("read", "read limit", "orange", "╌"),
    )
    MEASURED = {"write": ("in",), "read": ("out",)}
    SCALE = "bytes"
    TICK_WIDTH = 10  # as the records chart under it: 512 KiB/s, 2.5k rec/s

    @staticmethod
    def tick(value: float) -> str:
        return limit_rate(value)  # round ticks without a trailing .0: 2 MiB/s, 2.5 MiB/s
