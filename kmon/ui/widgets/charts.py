"""Time-series charts: one PlotextPlot subclass, redrawn only when its data changes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from textual_plotext import PlotextPlot

Points = Sequence[tuple[int, float]]


@dataclass(frozen=True)
class Line:
    label: str
    points: tuple[tuple[int, float], ...]
    color: str


@dataclass(frozen=True)
class Limit:
    """A horizontal line: a service limit or a threshold, labelled on the chart."""

    label: str
    value: float
    color: str = "red"


# Round x-axis steps per window: -15m -10m -5m now, not -11.25m.
TICK_STEP_SEC = {900: 300, 3600: 900, 10800: 3600, 43200: 3 * 3600, 86400: 6 * 3600}


class TimeChart(PlotextPlot):
    """Lines over a window ending now, x in minutes ago, y in human units."""

    DEFAULT_CSS = """
    TimeChart { height: 1fr; min-height: 6; }
    """

    def __init__(self, y_format: Callable[[float], str], **kwargs) -> None:
        super().__init__(**kwargs)
        self._y_format = y_format
        self._signature: object = None
        self._empty_note = "no datapoints in this window"
        self._last: tuple | None = None

    def on_resize(self) -> None:
        # Tick spacing depends on the height: redraw at the new size.
        if self._last is not None:
            lines, limits, window_sec, now = self._last
            self.show(lines, limits, window_sec=window_sec, now=now)

    def show(
        self,
        lines: Sequence[Line],
        limits: Sequence[Limit],
        *,
        window_sec: int,
        now: int,
    ) -> bool:
        """Replace the data; returns False (and skips the redraw) when nothing changed."""
        signature = (tuple(lines), tuple(limits), window_sec, now // 60, self.size.height)
        if signature == self._signature:
            return False
        self._signature = signature
        self._last = (lines, limits, window_sec, now)
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        start = now - window_sec
        ymax = 0.0
        drawn = False
        for line in lines:
            pts = [(t, v) for t, v in line.points if t >= start]
            if not pts:
                continue
            xs = [(t - now) / 60 for t, _ in pts]
            ys = [v for _, v in pts]
            ymax = max(ymax, max(ys))
            plt.plot(xs, ys, label=line.label, color=line.color, marker="hd")
            drawn = True
        # The lowest limit is always drawn (it is the headroom that matters); higher ones only
        # when the data comes within a third of them, so they do not flatten the lines.
        ordered = sorted(limits, key=lambda lim: lim.value)
        limits = [
            lim for i, lim in enumerate(ordered) if i == 0 or lim.value <= max(ymax, 1e-9) * 3
        ]
        for lim in limits:
            ymax = max(ymax, lim.value)
        xmin = -window_sec / 60
        for lim in limits:
            plt.hline(lim.value, lim.color)
            # Labelled at the right end: the legend owns the top-left corner.
            plt.text(lim.label, x=xmin / 100, y=lim.value, color=lim.color, alignment="right")
        top = ymax * 1.12 if ymax > 0 else 1.0
        plt.ylim(0, top)
        plt.xlim(xmin, 0)
        # No more y ticks than rows can hold apart: plotext drops colliding ones in an order
        # that varies between runs.
        steps = 4 if self.size.height >= 14 else 2
        ticks = [top * i / steps for i in range(steps + 1)]
        plt.yticks(ticks, [self._y_format(v) for v in ticks])
        step = TICK_STEP_SEC.get(window_sec, window_sec / 4) / 60
        xt = [-step * i for i in range(int(round(-xmin / step)), -1, -1)]
        plt.xticks(xt, [_ago(x) for x in xt])
        if not drawn:
            plt.title(self._empty_note)
        self.refresh()
        return True


def _ago(minutes: float) -> str:
    m = -minutes
    if m == 0:
        return "now"
    if m >= 60:
        return f"-{m / 60:g}h"
    return f"-{m:g}m"
