"""Wall mode: for a screen nobody touches, read from across the room.

Every stream at once as a tile, worst first (``widgets.wall_tiles``), and above them a focus
area that cycles through the streams that are not OK (all of them when all are OK): health as
colour and word, how long, the cause, and its one number in block digits as big as the space
allows, with a countdown to the next. The fleet's counts worst first, and a banner when data is
stale or a source fails.

Cheap by design: the tiles and the focus are laid out again only when a snapshot arrives, the
terminal is resized or the focus moves on; each second only the countdown (and the header)
repaint themselves."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import cache

from rich.console import Console
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Footer, Static

from kmon.model.health import Health
from kmon.model.snapshot import FleetSnapshot, StreamState, worst_first
from kmon.ui import format as fmt
from kmon.ui.screens.base import KmonScreen
from kmon.ui.stale import STALE_STYLE, stale_label
from kmon.ui.styles import CONTEXT_STYLE, LAG_STYLE, STATUS_STYLE
from kmon.ui.widgets import wall_digits
from kmon.ui.widgets.wall_tiles import (
    TileGrid,
    badge,
    big_figure,
    figure_width,
    health_style,
    key_figure,
    plan_tiles,
    state_for,
    svg_safe,
)

# The focus area keeps about a third of the height (at most this many rows) unless the tiles
# need it to show every stream that is not OK; it never goes below its title and cause.
FOCUS_ROWS = 10
FOCUS_MIN_ROWS = 2
MAX_SCALE = 8
# The text beside the digits needs this many columns, else it goes below them.
SIDE_COLUMN = 36


def wall_order(streams: tuple[StreamState, ...]) -> list[StreamState]:
    """Worst first; among equals, the longest in trouble first (the model's order)."""
    return worst_first(streams)


def focus_order(streams: tuple[StreamState, ...]) -> list[StreamState]:
    """The streams the focus cycles through: those WARN or CRIT, worst first; all of them when
    none is."""
    order = wall_order(streams)
    problems = [s for s in order if s.health in (Health.WARN, Health.CRIT)]
    return problems or order


def fleet_counts(streams: tuple[StreamState, ...], contexts: tuple = ()) -> Text:
    """'✖ 2 CRIT   ▲ 1 WARN   ✓ 4 OK': every state's count, worst first; with several
    contexts, each context's ('us-east-1 ✖ 2 CRIT ✓ 4 OK │ eu-west-1 ERR ✓ 3 OK')."""
    t = Text(no_wrap=True, overflow="ellipsis")
    if not streams:
        t.append("no streams", style="italic")
    if len(contexts) > 1:
        for i, ctx in enumerate(contexts):
            if i:
                t.append("│ ", style="dim")
            t.append(f"{ctx.label} ", style="bold")
            if not ctx.ok:
                word, style = CONTEXT_STYLE[ctx.status]
                t.append(f"{word} ", style=style)
            _counts(t, [s for s in streams if s.context == ctx.label], gap=" ")
            t.append("  ")
    else:
        _counts(t, streams, gap="   ")
    stale = sum(1 for s in streams if s.stale)
    if stale:
        t.append(f"({stale} as last known)", style="dim")
    return t


def _counts(t: Text, streams, gap: str) -> None:
    counts: dict[Health, int] = {}
    for s in streams:
        counts[s.health] = counts.get(s.health, 0) + 1
    for h in sorted(counts, key=lambda h: -h.rank):
        marker, word = fmt.HEALTH_STYLE[h][0].split(" ", 1)
        t.append(f"{marker} {counts[h]} {word}{gap}", style=fmt.HEALTH_STYLE[h][1])


class Countdown(Widget):
    """'2 of 3 not OK · next in 12s': repaints itself each second, never the layout."""

    DEFAULT_CSS = """
    Countdown { width: auto; height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.position = ""
        self.remaining: int | None = None
        self.short = False

    def set(self, position: str, remaining: int | None, longest: int, short: bool) -> None:
        """A new place in the cycle; ``longest`` sizes the widget so a second never re-lays
        the screen out."""
        self.position, self.remaining, self.short = position, remaining, short
        width = len(self._text(longest)) + 2
        if self.styles.width is None or self.styles.width.value != width:
            self.styles.width = width
        self.refresh()

    def tick(self, remaining: int) -> None:
        """A new second; nothing to count when the focus has only one stream to show."""
        if self.remaining is not None and remaining != self.remaining:
            self.remaining = remaining
            self.refresh()

    def _text(self, remaining: int | None) -> str:
        if remaining is None:
            return self.position
        when = f"next {remaining}s" if self.short else f"next in {remaining}s"
        return f"{self.position} · {when}" if self.position else when

    def render(self) -> Text:
        return Text(self._text(self.remaining), justify="right", no_wrap=True)


class FocusBody(Widget):
    """The stream on show: its cause, and its number in block digits as big as the space
    allows with, beside them when there is room (else below), what the number is, the
    evidence, the vital signs and the worst consumer."""

    DEFAULT_CSS = """
    FocusBody { height: 1fr; padding: 0 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.stream: StreamState | None = None
        self.now = 0.0

    def show(self, stream: StreamState | None, now: float) -> None:
        self.stream, self.now = stream, now
        self.refresh()

    def render_text(self) -> str:
        region = self.content_region
        return "\n".join(line.plain for line in self.lines(region.width, region.height))

    def render(self) -> Text:
        region = self.content_region
        return Text("\n", no_wrap=True).join(self.lines(region.width, region.height))

    def lines(self, width: int, height: int) -> list[Text]:
        s = self.stream
        if s is None or width <= 0 or height <= 0:
            return []
        figure = key_figure(s, self.now)
        loud = s.health in (Health.WARN, Health.CRIT)
        ink = health_style(s) if loud else ""
        out = [self._cause(s)]
        scale, side = self._scale(figure, width, height)
        if scale:
            digits = big_figure(figure, scale, ink, figure_width(figure, scale))
            if side:
                gap = 3
                column = self._side(s, figure, width - len(digits[0]) - gap, len(digits))
                for i, line in enumerate(digits):
                    line = line + Text(" " * gap)
                    if i < len(column):
                        line.append_text(column[i])
                    out.append(line)
            else:
                out += digits
                out.append(Text.assemble((figure.text + " ", "bold"), (figure.label, "bold")))
                out += self._below(s, height - len(out))
        else:
            if figure is not None:
                line = Text.assemble((figure.text + " ", f"bold {ink}".strip()))
                line.append(figure.label, style="dim")
                out.append(line)
            out += self._below(s, height - len(out))
        if scale and len(out) < height:
            # Some air between the cause and the digits, and the digits centred in the rest.
            out[1:1] = [Text("")] * max(1, (height - len(out)) // 2)
        if s.stale:  # the last known numbers, dimmed like the tiles
            for line in out:
                line.stylize("dim")
        return [svg_safe(line) for line in out[:height]]

    def _scale(self, figure, width: int, height: int) -> tuple[int, bool]:
        """The largest digits that fit: beside a column of text (True) or above a few lines."""
        if figure is None or not figure.drawable:
            return 0, False
        side = below = 0
        for scale in range(1, MAX_SCALE + 1):
            w, rows = figure_width(figure, scale), wall_digits.rows(scale)
            if rows <= height - 1 and w + 3 + SIDE_COLUMN <= width:
                side = scale
            if rows <= height - 2 and w <= width:
                below = scale
        if side and side >= below - 1:
            return side, True
        return below, False

    @staticmethod
    def _cause(s: StreamState) -> Text:
        what = Text(no_wrap=True, overflow="ellipsis")
        top = s.findings[0] if s.findings else None
        if top is not None:
            what.append(top.cause + " ", style=health_style(s))
            if len(s.findings) > 1:
                what.append(f"(+{len(s.findings) - 1} more)", style="dim")
        elif s.health_reasons:
            what.append("; ".join(s.health_reasons), style=health_style(s))
        elif s.health is Health.OK:
            what.append("no findings: nothing wrong seen", style="green")
        else:
            what.append("not judged yet: no data", style="dim")
        return what

    def _side(self, s: StreamState, figure, width: int, rows: int) -> list[Text]:
        """What stands beside the digits: what they are, the evidence, the vitals one a line
        (or all on one when rows are few) and the worst consumer."""
        out = [
            Text.assemble((figure.text + " ", f"bold {health_style(s)}"), (figure.label, "bold"))
        ]
        if s.findings:
            evidence = Text(s.findings[0].evidence, style="dim")
            wrapped = evidence.wrap(_console(), max(1, width))
            out += list(wrapped)[: max(1, min(3, rows - 3))]
        vitals = _vitals(s)
        consumer = _consumer(s, self.now)
        if rows - len(out) - 1 >= len(vitals) + (1 if consumer else 0):
            out.append(Text(""))
            out += [_join([v]) for v in vitals]
        else:
            out.append(_join(vitals))
        if consumer is not None:
            out.append(consumer)
        return [_clip(line, width) for line in out[:rows]]

    def _below(self, s: StreamState, rows: int) -> list[Text]:
        out = []
        if s.findings:
            out.append(Text(s.findings[0].evidence, style="dim", no_wrap=True, overflow="ellipsis"))
        out.append(_join(_vitals(s)))
        consumer = _consumer(s, self.now)
        if consumer is not None:
            out.append(consumer)
        return out[: max(0, rows)]


@cache
def _console() -> Console:
    """For wrapping text (the evidence beside the digits); never prints."""
    return Console(width=200)


def _clip(line: Text, width: int) -> Text:
    line = line.copy()
    line.no_wrap = True
    if line.cell_len > width:
        line.truncate(max(0, width), overflow="ellipsis")
    return line


def _vitals(s: StreamState) -> list[tuple[str, str, str]]:
    """(what, value, style): in, out, write %, iterator age, throttles."""
    utils = [
        v for v in (s.write_bytes_utilization_pct, s.write_records_utilization_pct) if v is not None
    ]
    throttled = None
    if s.write_throttled_per_min is not None or s.read_throttled_per_min is not None:
        throttled = (s.write_throttled_per_min or 0) + (s.read_throttled_per_min or 0)
    return [
        ("in", fmt.bytes_rate(s.incoming_bytes_per_sec), ""),
        ("out", fmt.bytes_rate(s.outgoing_bytes_per_sec), ""),
        (
            "write",
            fmt.util_pct(max(utils), s.capacity_estimated)
            if utils
            else "on-demand"
            if s.mode == "ON_DEMAND"
            else fmt.DASH,
            "",
        ),
        ("iterator age", fmt.duration_ms(s.iterator_age_ms), ""),
        ("throttled/min", fmt.count(throttled), "bold red" if throttled else ""),
    ]


def _join(parts: list[tuple[str, str, str]]) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")
    for label, value, style in parts:
        t.append(f"{label} ", style="dim")
        t.append(f"{value}   ", style=style)
    return t


def _consumer(s: StreamState, now: float) -> Text | None:
    worst = s.worst_consumer
    if worst is None:
        return None
    t = Text(no_wrap=True, overflow="ellipsis")
    t.append("worst consumer ", style="dim")
    # The shared readers' long name says nothing its kind does not.
    name = "shared readers" if worst.kind == "shared" else f"{worst.name} ({worst.kind})"
    t.append(name + " ", style="bold")
    if worst.lag_ms is not None:
        t.append(f"{fmt.duration_ms(worst.lag_ms)} behind ")
    label, status_style = STATUS_STYLE.get(worst.status.value, (worst.status.value, ""))
    t.append(label + " ", style=LAG_STYLE.get(worst.status.value, status_style))
    stale = stale_label(worst, now)
    if worst.data_loss_sec is not None:
        gap = " " if stale else ""  # ends the span: an SVG export drops leading spaces
        t.append(f"data loss in {fmt.duration(worst.data_loss_sec)}{gap}", style="bold red")
    if stale:  # its last known judgement
        t.append(f"({stale})")
        t.stylize(STALE_STYLE)
    return t


class WallBody(Vertical):
    """The focus above, the tiles below: splits its height between them on every resize."""

    DEFAULT_CSS = """
    WallBody { height: 1fr; }
    WallBody #focus { height: 1fr; }
    WallBody #focus-head { height: 1; }
    WallBody #focus-title {
        width: 1fr; height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def __init__(self, on_resize: Callable[[], None], **kwargs) -> None:
        super().__init__(**kwargs)
        self._on_resize = on_resize

    def compose(self) -> ComposeResult:
        with Vertical(id="focus"):
            with Horizontal(id="focus-head"):
                yield Static(id="focus-title")
                yield Countdown(id="countdown")
            yield FocusBody(id="focus-body")
        yield TileGrid(id="wall-tiles")

    def on_resize(self) -> None:
        self._on_resize()


class WallScreen(KmonScreen):
    BINDINGS = [
        Binding("escape", "app.toggle_wall", "Leave wall mode"),
        Binding("w", "app.toggle_wall", "Leave wall mode", show=False),
        Binding("n", "next_stream", "Next stream", id="next"),
    ]
    DEFAULT_CSS = """
    WallScreen #banner { height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    WallScreen #wall-counts {
        height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def __init__(self, cycle_sec: float = 15.0, start: str | None = None) -> None:
        super().__init__()
        self.cycle_sec = cycle_sec
        self.current: str | None = start
        self._snapshot: FleetSnapshot | None = None
        # The countdown runs on a monotonic clock (tests may set their own).
        self.monotonic: Callable[[], float] = time.monotonic
        self._deadline = 0.0
        self._size_laid_out: tuple[int, int] | None = None
        self._banner_text = ""

    def compose(self) -> ComposeResult:
        yield self.make_header()
        yield Static(id="banner")
        yield Static(id="wall-counts")
        yield WallBody(self._relayout, id="wall-body")
        yield Footer()

    def on_mount(self) -> None:
        self._deadline = self.monotonic() + self.cycle_sec
        self.set_interval(1.0, self._every_second)
        self._banner()

    # -- the cycle ----------------------------------------------------------------------

    def remaining(self) -> int:
        """Whole seconds until the focus moves on."""
        return max(0, math.ceil(self._deadline - self.monotonic() - 1e-6))

    def _every_second(self) -> None:
        if self.app.screen is not self:
            return
        if self.remaining() <= 0:
            self.action_next_stream()
        else:
            self.query_one(Countdown).tick(self.remaining())
        self._banner()

    def action_next_stream(self) -> None:
        self._deadline = self.monotonic() + self.cycle_sec
        if self._snapshot is None or not self._snapshot.streams:
            return
        order = [s.key for s in focus_order(self._snapshot.streams)]
        i = order.index(self.current) + 1 if self.current in order else 0
        self.current = order[i % len(order)]
        self._render_focus()
        self.query_one(TileGrid).set_current(self.current)

    # -- a snapshot -----------------------------------------------------------------------

    def show(self, snapshot: FleetSnapshot) -> None:
        self.header.show(snapshot)
        self._snapshot = snapshot
        names = {s.key for s in snapshot.streams}
        if self.current not in names:
            order = focus_order(snapshot.streams)
            self.current = order[0].key if order else None
            self._deadline = self.monotonic() + self.cycle_sec
        self.query_one("#wall-counts", Static).update(
            svg_safe(fleet_counts(snapshot.streams, snapshot.contexts))
        )
        self._relayout()
        self._render_focus()
        self._banner()

    def _now(self) -> float:
        return self.app.clock().timestamp()

    def _relayout(self) -> None:
        """Split the body between the focus and the tiles, and plan the tiles: the richest
        that list every stream not OK while the focus keeps about a third of the height."""
        snap = self._snapshot
        body = self.query_one(WallBody)
        width, height = body.size.width, body.size.height
        grid = body.query_one(TileGrid)
        if snap is None or width <= 0 or height <= 0:
            return
        order = wall_order(snap.streams)
        now = self._now()
        plan = plan_tiles(
            order, width, height - max(FOCUS_MIN_ROWS, min(FOCUS_ROWS, height // 3)), now
        )
        if not plan.complete:
            plan = plan_tiles(order, width, height - min(FOCUS_MIN_ROWS, height), now)
        grid.show(plan, now, self.current)
        if self._size_laid_out != (width, height):
            self._size_laid_out = (width, height)
            self._render_focus()

    def _render_focus(self) -> None:
        snap = self._snapshot
        title = self.query_one("#focus-title", Static)
        body = self.query_one(FocusBody)
        countdown = self.query_one(Countdown)
        if snap is None or self.current is None or snap.stream(self.current) is None:
            title.update(Text("no streams" if snap is not None else "loading…", style="italic"))
            body.show(None, 0.0)
            countdown.set("", None, 0, short=False)
            return
        s = snap.stream(self.current)
        now = self._now()
        style = health_style(s)
        t = Text(no_wrap=True, overflow="ellipsis")
        loud = s.health in (Health.WARN, Health.CRIT)
        t.append(badge(s, now) + " ", style=f"bold reverse {style}" if loud else style)
        t.append(" " if loud else "")
        t.append(s.key + " ", style="bold")
        if s.stale and s.as_of is not None:
            t.append(f"last known, as of {s.as_of:%H:%M}", style="dim italic")
        elif state_for(s, now) is not None and s.since is not None:
            t.append(f"since {fmt.clock_hm(s.since)}", style="dim")
        title.update(svg_safe(t))
        body.show(s, now)
        order = [x.key for x in focus_order(snap.streams)]
        problems = any(x.health in (Health.WARN, Health.CRIT) for x in snap.streams)
        short = self.app.size.width < 80
        if s.key in order:
            pos = order.index(s.key) + 1
            position = f"{pos}/{len(order)}" if short else f"{pos} of {len(order)}"
            if problems and not short:
                position += " not OK"
        else:
            position = ""
        single = len(order) == 1 and s.key in order
        countdown.set(
            position,
            None if single else self.remaining(),
            max(self.remaining(), math.ceil(self.cycle_sec)),
            short=short,
        )

    def _banner(self) -> None:
        banner = self.query_one("#banner", Static)
        snap = self._snapshot
        t = Text(no_wrap=True, overflow="ellipsis")
        if self.header.is_stale() and snap is not None and snap.data_at is not None:
            age = (self.app.clock() - snap.data_at).total_seconds()
            t.append(f"DATA STALE: last update {fmt.age(age)} ago ", style="bold reverse red")
            t.append(" ")
        if snap is not None and snap.errors:
            e = snap.errors[0]
            t.append(f"{e.where}: {e.message}", style="bold red")
        # Shown or hidden changes the layout; a new age in the same line only repaints it.
        shown = bool(t.plain)
        if shown != banner.display:
            banner.display = shown
            banner.update(svg_safe(t))
        elif shown and t.plain != self._banner_text:
            banner.update(svg_safe(t), layout=False)
        self._banner_text = t.plain
