"""What every time chart shares: a window ending now on the x axis, round ticks in the chart's
unit on the y axis, a scale that fits the data, limit lines across the whole window, and a
legend above the plot rather than over the data.

Each chart kind is a subclass (one per file) that names its series and limit lines, each with
its own colour and its own marker, so two series are never told apart by colour alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.color import Color
from rich.style import Style as RichStyle
from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

Points = Sequence[tuple[int, float]]

# Plotext's colour names and the terminal colour each one draws with (plotext's own table:
# note that its "orange" is the terminal's yellow, and "yellow" is not a plotext colour).
PLOTEXT_COLORS = {
    "red": 1,
    "green": 2,
    "orange": 3,
    "blue": 4,
    "magenta": 5,
    "cyan": 6,
    "gray": 8,
    "white": 15,
}

# The legend's sample of each plotext marker.
GLYPHS = {"hd": "▄", "dot": "•", "sd": "█"}
# Markers are blocks, box lines or plain symbols (• × +): braille and sextant characters come
# from fallback fonts in many terminals and in the SVG export, at another width.

# A limit more than this many times the data's peak is not drawn: the scale would flatten the
# data to its floor. The scale fits the data instead and the legend names the limit at the top
# edge with the peak's share of it ("write limit 4.0 MiB/s ↑ 11%"). Nearer, the line is drawn
# in place, and the data still spans about a third of the height or more.
FAR_LIMIT_RATIO = 3.0

# A series that lies on an earlier one at this share of its points or more is drawn as spaced
# markers over it, so the one underneath shows between them (and the legend says "= other").
COINCIDENT_SHARE = 0.8
# Spaced markers sit at least this many columns apart.
SPARSE_COLUMNS = 3

# Invisible on spaces; only there to end the span before them (see TimeChart.render).
_SPACER = RichStyle(dim=True)

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
    if scale == "bytes" and step >= unit * 100:
        # Steps of 250 or 500 KiB reach 1000 KiB, not a round number of bytes: halves of
        # the next binary unit do (128, 256, 512 KiB, then 1 MiB).
        return next(unit * b for b in (128, 256, 512, 1024) if unit * b >= raw)
    return step


@dataclass(frozen=True)
class Style:
    """How one series or limit line is drawn: a colour (a plotext colour name) and a marker
    (a plotext marker name or one character), both distinct within a chart."""

    key: str
    label: str
    color: str
    marker: str
    short: str = ""  # the label when the legend is short of room

    @property
    def glyph(self) -> str:
        return GLYPHS.get(self.marker, self.marker)

    @property
    def rich(self) -> RichStyle:
        return RichStyle(color=Color.from_ansi(PLOTEXT_COLORS[self.color]))


@dataclass(frozen=True)
class Limit:
    """A horizontal line: a service limit or a threshold. ``key`` picks its style in the chart;
    ``label`` says what and how much ("write limit 4.0 MiB/s"); ``short`` is the label when
    room is short."""

    key: str
    value: float
    label: str
    short: str = ""


@dataclass(frozen=True)
class Drawn:
    """What a chart drew, for its legend and for tests: each series with the points in the
    window and how it was drawn, each limit in place or at the top edge."""

    series: tuple[tuple[Style, tuple[tuple[int, float], ...], str | None], ...]
    lines: tuple[tuple[Style, Limit], ...]
    above: tuple[tuple[Style, Limit, float], ...]  # (style, limit, peak / limit)
    top: float


class TimeChart(PlotextPlot):
    """Series over a window ending now: x in minutes ago, y in the chart's unit from zero to
    just above the data (or a near limit). Subclasses set SERIES, LIMITS, SCALE, MIN_STEP and
    ``tick``."""

    DEFAULT_CSS = """
    TimeChart { height: 1fr; min-height: 4; }
    """

    SERIES: tuple[Style, ...] = ()
    LIMITS: tuple[Style, ...] = ()
    SCALE = "decimal"
    MIN_STEP = 0.0  # 1 for counts: no 0.25 throttles
    # Which series a limit is measured against (its share: their peak / the limit).
    MEASURED: Mapping[str, tuple[str, ...]] = {}
    EMPTY_NOTE = "no datapoints in this window"
    # Tick labels padded to this width, so charts stacked in a panel line their plots up.
    TICK_WIDTH = 0

    def __init__(self, x_labels: bool = True, **kwargs) -> None:
        """``x_labels=False``: no row of time labels under the axis (a chart stacked right
        above another with the same window)."""
        super().__init__(**kwargs)
        self.x_labels = x_labels
        self._signature: object = None
        self._last: tuple | None = None
        self.legend: list[Text] = []
        self.drawn: Drawn | None = None

    @staticmethod
    def tick(value: float) -> str:
        return f"{value:g}"

    def on_resize(self) -> None:
        # Tick spacing and the legend's room depend on the size: redraw at the new size.
        if self._last is not None:
            self.show(*self._last[:2], window_sec=self._last[2], now=self._last[3])

    def show(
        self,
        data: Mapping[str, Points],
        limits: Sequence[Limit] = (),
        *,
        window_sec: int,
        now: int,
    ) -> bool:
        """Replace the data (series key -> points); returns False (and skips the redraw) when
        nothing changed."""
        data = {k: tuple(v) for k, v in data.items()}
        signature = (
            tuple(sorted(data.items())),
            tuple(limits),
            window_sec,
            now // 60,
            self.size.width,
            self.size.height,
        )
        if signature == self._signature:
            return False
        self._signature = signature
        self._last = (data, tuple(limits), window_sec, now)
        self._draw(data, limits, window_sec, now)
        self.refresh()
        return True

    # -- drawing --------------------------------------------------------------------------

    def _draw(self, data, limits, window_sec: int, now: int) -> None:
        start = now - window_sec
        series = [
            (
                style,
                tuple(
                    (t, v)
                    for t, v in data.get(style.key, ())
                    if t >= start and v is not None and math.isfinite(v)
                ),
            )
            for style in self.SERIES
        ]
        peak = max((v for _, pts in series for _, v in pts), default=0.0)
        styles = {s.key: s for s in self.LIMITS}
        lines, above = [], []
        for lim in limits:
            if lim.value is None or not math.isfinite(lim.value) or lim.value <= 0:
                continue
            style = styles[lim.key]
            if peak * FAR_LIMIT_RATIO >= lim.value:
                lines.append((style, lim))
            else:
                measured = self.MEASURED.get(lim.key) or [s.key for s in self.SERIES]
                own = max(
                    (v for s, pts in series if s.key in measured for _, v in pts), default=0.0
                )
                above.append((style, lim, own / lim.value))
        reach = max([peak, *(lim.value for _, lim in lines)])

        width, height = self.size.width, self.size.height
        # The plot keeps the rows below the legend; the x axis and its labels take two.
        below = 2 if self.x_labels else 1
        rows_guess = max(1, height - 1 - below)
        top, ticks = self._y_ticks(reach, rows_guess)
        tolerance = top / rows_guess / 2  # half a row: where two lines look like one
        plotted = self._layout(series, tolerance)
        self.drawn = Drawn(tuple(plotted), tuple(lines), tuple(above), top)
        self.legend = fit_legend(self._legend_items(), width)
        rows = max(1, height - len(self.legend) - below)
        if rows != rows_guess:
            top, ticks = self._y_ticks(reach, rows)
            self.drawn = Drawn(tuple(plotted), tuple(lines), tuple(above), top)

        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.xaxes(True, False)
        plt.yaxes(True, False)
        xmin = -window_sec / 60
        labels = [self.tick(v).rjust(self.TICK_WIDTH) for v in ticks]
        plot_cols = max(1, width - max(cell_len(label) for label in labels) - 1)  # the axis: 1
        for style, pts, under in plotted:
            if not pts:
                continue
            xs = [(t - now) / 60 for t, _ in pts]
            ys = [v for _, v in pts]
            if under is None:
                plt.plot(xs, ys, color=style.color, marker=style.marker)
                continue
            # Spaced markers over the series it lies on, plus every point where it does not.
            base = dict(next(p for s, p, _ in plotted if s.key == under))
            every = max(2, math.ceil(SPARSE_COLUMNS * len(pts) / plot_cols))
            keep = [
                i
                for i, (t, v) in enumerate(pts)
                if i % every == 0 or t not in base or abs(base[t] - v) > tolerance
            ]
            plt.scatter(
                [xs[i] for i in keep], [ys[i] for i in keep], color=style.color, marker=style.marker
            )
        # Limits last, dashed: a mark every other column from the window's left edge to now,
        # so data running at the limit shows between the marks instead of hiding the line.
        cols = sorted({*range(0, plot_cols, 2), plot_cols - 1})
        xs = [xmin - xmin * c / max(1, plot_cols - 1) for c in cols]
        for style, lim in lines:
            plt.scatter(xs, [lim.value] * len(xs), color=style.color, marker=style.marker)
        plt.ylim(0, top)
        plt.xlim(xmin, 0)
        plt.yticks(ticks, labels)
        step = TICK_STEP_SEC.get(window_sec, window_sec / 4) / 60
        xt = [-step * i for i in range(int(round(-xmin / step)), -1, -1)]
        plt.xticks(xt, [_ago(x) for x in xt])

    def _y_ticks(self, reach: float, rows: int) -> tuple[float, list[float]]:
        """Round ticks from zero to just above ``reach``: no more than the rows hold apart
        (plotext drops colliding ticks in an order that varies between runs)."""
        steps = max(1, min(4, (rows - 1) // 2))  # ticks at least two rows apart
        reach = reach * 1.08 if reach > 0 else 1.0  # headroom: the peak is not on the frame
        step = max(nice_step(reach / steps, self.SCALE), self.MIN_STEP)
        # A finer round step, when its ticks still fit, beats a third of the chart left empty
        # above the data.
        finer = max(nice_step(reach / (steps + 1), self.SCALE), self.MIN_STEP)
        if math.ceil(reach / finer) <= steps:
            step = finer
        ticks = [step * i for i in range(math.ceil(reach / step) + 1)]
        return ticks[-1], ticks

    def _layout(self, series, tolerance: float):
        """Each series with its points and, when it lies on an earlier one, that one's key."""
        out: list[tuple[Style, tuple, str | None]] = []
        for style, pts in series:
            under = None
            for other, other_pts, other_under in out:
                if other_under is None and pts and _coincident(pts, other_pts, tolerance):
                    under = other.key
                    break
            out.append((style, pts, under))
        return out

    def _legend_items(self) -> list[tuple[Text, Text, bool]]:
        """(full, short, is_limit) legend entries: the series, then the limits drawn, then
        the limits above the scale with the peak's share of each."""
        drawn = self.drawn
        if not any(pts for _, pts, _ in drawn.series):
            note = Text(self.EMPTY_NOTE, style="dim")
            return [(note, note, False)]
        labels = {s.key: s for s in self.SERIES}
        items: list[tuple[Text, Text, bool]] = []
        # Series at zero all window long share one entry: "+× read, put failed = 0".
        zeros = [s for s, pts, _ in drawn.series if pts and not any(v for _, v in pts)]
        if len(zeros) < 2:
            zeros = []
        for style, pts, under in drawn.series:
            if style in zeros:
                continue
            other = labels.get(under) if under else None
            full = _series_entry(style, pts, style.label, other.label if other else "")
            short_under = (other.short or other.label) if other else ""
            short = _series_entry(style, pts, style.short or style.label, short_under)
            items.append((full, short, False))
        if zeros:
            glyphs = Text()
            for i, s in enumerate(zeros):
                # The space ends the last glyph's span (see _join).
                glyphs.append(s.glyph + (" " if i == len(zeros) - 1 else ""), style=s.rich)
            full = glyphs + Text(", ".join(s.label for s in zeros) + " = 0")
            short = glyphs + Text(", ".join(s.short or s.label for s in zeros) + " = 0")
            items.append((full, short, False))
        for style, lim in drawn.lines:
            glyph = Text(f"{style.glyph} ", style=style.rich)
            items.append((glyph + Text(lim.label), glyph + Text(lim.short or lim.label), True))
        for style, lim, share in drawn.above:
            full = Text(f"{lim.label} ↑ {share_pct(share)}", style=style.rich)
            short = Text(f"{lim.short or lim.label} ↑{share_pct(share)}", style=style.rich)
            items.append((full, short, True))
        return items

    def render(self) -> RenderResult:
        """The legend on its own rows above the plot, then the plot in the rows left."""
        width, height = self.size.width, self.size.height
        legend = self.legend[: max(0, height - 1)]
        # Without time labels the plot is built a row taller and that row left off.
        rows = max(1, height - len(legend)) + (0 if self.x_labels else 1)
        plot = self._plot
        plot.plotsize(width, rows)
        plot._set_size(width, rows)  # as PlotextPlot.render does: plotsize alone is not enough
        plot.theme(self._get_plotext_theme_name(self.app.theme))
        canvas = Text.from_ansi(plot.build(), no_wrap=True, end="").split("\n")
        if not self.x_labels:
            canvas = canvas[:-1]
        for line in canvas:
            # Spaces before text (right-aligned ticks, the time labels) get a span of their
            # own: the SVG export drops the leading spaces of a span, shifting its text.
            for gap in re.finditer(r" +(?=\S)", line.plain):
                line.stylize(_SPACER, gap.start(), gap.end())
        return Text("\n", no_wrap=True, end="").join([*legend, *canvas])


def _series_entry(style: Style, pts, label: str, under: str) -> Text:
    """``▄ in``; ``• out = in`` when drawn over another series; ``(no data)``."""
    text = Text(f"{style.glyph} ", style=style.rich)
    if not pts:
        text.append(f"{label} (no data)", style="dim")
    elif not any(v for _, v in pts):
        text.append(f"{label} = 0")  # says more than "= other" when both are 0
    elif under:
        text.append(f"{label} = {under}")
    else:
        text.append(label)
    return text


def share_pct(share: float) -> str:
    """A peak's share of a limit far above it: 11%, 0.4%, <0.1%."""
    pct = share * 100
    if 0 < pct < 0.05:
        return "<0.1%"
    return f"{pct:.0f}%" if round(pct, 1) >= 10 or pct == 0 else f"{pct:.1f}%"


def count_tick(value: float) -> str:
    """A round count on an axis, without a trailing .0: 0, 500, 2.5k, 30k, 1M."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:g}{unit}"
    return f"{value:g}"


def fit_legend(
    items: Sequence[tuple[Text, Text, bool]], width: int, max_rows: int = 2
) -> list[Text]:
    """Legend rows for ``width`` columns from (full, short, is_limit) entries: all in full on
    one row if that fits, else the limits short, else all short; else the short forms over up
    to ``max_rows`` rows (an entry is never split; a row still too wide ends in an ellipsis)."""
    if not items or width <= 0:
        return []
    sep = 2
    tiers = (
        [full for full, _, _ in items],
        [short if limit else full for full, short, limit in items],
        [short for _, short, _ in items],
    )
    for chosen in tiers:
        if sum(t.cell_len for t in chosen) + sep * (len(chosen) - 1) <= width:
            return [_join(chosen, width)]
    rows: list[list[Text]] = [[]]
    used = 0
    for t in tiers[-1]:
        need = t.cell_len + (sep if rows[-1] else 0)
        if rows[-1] and used + need > width and len(rows) < max_rows:
            rows.append([])
            used, need = 0, t.cell_len
        rows[-1].append(t)
        used += need
    return [_join(r, width) for r in rows]


def _join(entries: Sequence[Text], width: int) -> Text:
    """Entries two spaces apart; the spaces end the entry before them (some renderers, the SVG
    export among them, drop a span's leading spaces)."""
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    for i, entry in enumerate(entries):
        line.append_text(entry)
        if i < len(entries) - 1:
            line.append("  ")
    line.truncate(width, overflow="ellipsis")
    return line


def _coincident(pts, other, tolerance: float) -> bool:
    """Whether ``pts`` lies on ``other`` (the same minute, within ``tolerance``) for at least
    COINCIDENT_SHARE of its points."""
    by_t = dict(other)
    same = sum(1 for t, v in pts if t in by_t and abs(by_t[t] - v) <= tolerance)
    return same >= COINCIDENT_SHARE * len(pts)


def _ago(minutes: float) -> str:
    m = -minutes
    if m == 0:
        return "now"
    if m >= 60:
        return f"-{m / 60:g}h"
    return f"-{m:g}m"
