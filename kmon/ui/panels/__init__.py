"""The stream detail's parts, one file each: the summary, the findings strip and the four
panels (throughput, iterator age, throttling, consumers), each a widget with its own show()."""

from kmon.ui.panels.base import Panel, capacity
from kmon.ui.panels.consumers import ConsumersPanel
from kmon.ui.panels.findings import FindingsStrip
from kmon.ui.panels.iterator_age import IteratorAgePanel
from kmon.ui.panels.summary import SummaryBar, summary_fields, window_label
from kmon.ui.panels.throttling import ThrottlingPanel
from kmon.ui.panels.throughput import ThroughputPanel

__all__ = [
    "ConsumersPanel",
    "FindingsStrip",
    "IteratorAgePanel",
    "Panel",
    "SummaryBar",
    "ThrottlingPanel",
    "ThroughputPanel",
    "capacity",
    "summary_fields",
    "window_label",
]
