"""Time-series charts: one PlotextPlot subclass, redrawn only when its data changes."""

from __future__ import annotations

import math
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

# Round y-axis steps, so a tick reads 6h or 2.5 MiB/s rather than 6h 43m or 2.2 MiB/s.
_MANTISSAS = (1.0, 2.0, 2.5, 5.0)
_SEC = 1000.0
DURATION_STEPS_MS = tuple(
    [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0]
    + [s * _SEC for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800)]
    + [h * 3600 * _SEC for h in (1, 2, 3, 6, 12, 24, 48, 96, 168)]
    + [d * 86400 * _SEC for d in (14, 30, 60, 90, 180, 365, 730, 1825, 3650)]
)


def nice_step(raw: float, scale: str = "decimal") -> float:
    """The smallest round step at least ``raw``: 1-2-2.5-5 by powers of ten, within binary
    units (KiB, MiB...) for ``bytes``, or clock steps (15s, 5m, 6h...) for ``duration``."""
    if not math.isfinite(raw) or raw <= 0:
        return 1.0
    if scale == "duration":
        return next((s for s in DURATION_STEPS_MS if s >= raw), raw)
    unit = 1.0
    if scale == "bytes":
        while raw >= unit * 1024:
            unit *= 1024
    power = unit * 10 ** math.floor(math.log10(raw / unit))
    step = next(m * power for m in (*_MANTISSAS, 10.0) if m * power >= raw)
    # 1000 KiB is not a round number of bytes: the next binary unit is.
    return unit * 1024 if scale == "bytes" and step >= unit * 1000 else step


class TimeChart(PlotextPlot):
    """Lines over a window ending now, x in minutes ago, y in human units."""

    DEFAULT_CSS = """
    TimeChart { height: 1fr; min-height: 6; }
    """

    def __init__(
        self,
        y_format: Callable[[float], str],
        scale: str = "decimal",
        min_step: float = 0.0,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self._y_format = y_format
        self._scale = scale
        self._min_step = min_step  # 1 for counts: no 0.25 throttles
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
            pts = [(t, v) for t, v in line.points if t >= start and math.isfinite(v)]
            if not pts:
                continue
            xs = [(t - now) / 60 for t, _ in pts]
            ys = [v for _, v in pts]
            ymax = max(ymax, max(ys))
            plt.plot(xs, ys, label=line.label, color=line.color, marker="hd")
            drawn = True
        # Every limit is drawn, however far above the data: the distance is the headroom.
        limits = [lim for lim in limits if math.isfinite(lim.value)]
        for lim in limits:
            ymax = max(ymax, lim.value)
        xmin = -window_sec / 60
        for lim in limits:
            plt.hline(lim.value, lim.color)
            # Labelled at the right end: the legend owns the top-left corner.
            plt.text(lim.label, x=xmin / 100, y=lim.value, color=lim.color, alignment="right")
        # No more y ticks than rows can hold apart: plotext drops colliding ones in an order
        # that varies between runs.
        tall = self.size.height >= 14
        steps = 4 if tall else 2
        # Headroom above the highest line or limit, so its label is not on the frame.
        reach = ymax * 1.08 if ymax > 0 else 1.0
        step = nice_step(reach / steps, self._scale)
        if tall:  # one tick more beats a third of the chart left empty above the data
            finer = nice_step(reach / (steps + 1), self._scale)
            if math.ceil(reach / finer) <= steps + 1:
                step = finer
        step = max(step, self._min_step)
        ticks = [step * i for i in range(math.ceil(reach / step) + 1)]
        plt.ylim(0, ticks[-1])
        plt.xlim(xmin, 0)
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
