"""Time-series charts for the stream detail: one PlotextPlot subclass per chart kind."""

from kmon.ui.charts.base import TICK_STEP_SEC, Limit, Style, TimeChart, nice_step
from kmon.ui.charts.bytes_rate import BytesChart
from kmon.ui.charts.iterator_age import IteratorAgeChart
from kmon.ui.charts.records_rate import RecordsChart
from kmon.ui.charts.throttles import ThrottleChart

__all__ = [
    "TICK_STEP_SEC",
    "BytesChart",
    "IteratorAgeChart",
    "Limit",
    "RecordsChart",
    "Style",
    "ThrottleChart",
    "TimeChart",
    "nice_step",
]
