"""The wall's tiles: every stream at once, worst first, as big as the terminal and the fleet
allow. Seven streams on a wall screen get large bordered tiles with block digits; sixty get
two-line tiles; five hundred get one line for each stream that is not OK and a count of the
OK ones ("+431 OK").

The tiles only show what the model judged (health, since, findings, stale): they never judge.
The whole grid is one widget drawn from one plan, made again only when a snapshot arrives, the
terminal is resized or the stream on show changes."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from kmon.model.health import Health
from kmon.model.snapshot import StreamState
from kmon.ui import format as fmt
from kmon.ui.stale import STALE_STYLE, stale_label
from kmon.ui.widgets import wall_digits

# -- what a stream's tile says ---------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """The one number that matters for a stream's main cause, with its unit and what it is:
    (("57", "m "), ("13", "s")) "iterator age". Numbers are drawn big, units beside them."""

    parts: tuple[tuple[str, str], ...]
    label: str
    # 'stale 3m': the number is a consumer's last known judgement, this old (drawn dimmed).
    stale: str | None = None

    @property
    def text(self) -> str:
        return "".join(n + u for n, u in self.parts).strip()

    @property
    def line(self) -> str:
        """The figure as text, saying when it is stale: '57m 13s (stale 3m)'."""
        return f"{self.text} ({self.stale})" if self.stale else self.text

    @property
    def drawable(self) -> bool:
        """Whether its numbers have block digits (every part has a number)."""
        return all(n and wall_digits.drawable(n) for n, _ in self.parts)


def split_units(text: str) -> tuple[tuple[str, str], ...]:
    """'57m 13s' -> (('57', 'm '), ('13', 's')); '2.0 MiB/s' -> (('2.0', ' MiB/s'),)."""
    parts: list[list[str]] = []
    for token in text.split(" "):
        m = re.match(r"^([0-9][0-9.,]*)(.*)$", token)
        if m:
            if parts:
                parts[-1][1] += " "
            parts.append([m.group(1), m.group(2)])
        elif parts:
            parts[-1][1] += " " + token
        else:
            parts.append(["", token])
    return tuple((n, u) for n, u in parts)


def _figure(text: str, label: str, stale: str | None = None) -> Figure | None:
    return None if text == fmt.DASH else Figure(split_units(text), label, stale)


def _write_util(s: StreamState) -> float | None:
    vals = [
        v for v in (s.write_bytes_utilization_pct, s.write_records_utilization_pct) if v is not None
    ]
    return max(vals) if vals else None


def _for(since: float | None, now: float) -> Figure | None:
    return None if since is None else _figure(fmt.duration(max(0.0, now - since)), "for")


CONSUMER_CODES = {
    "consumer-lag",
    "consumer-stopped",
    "kcl-dead-worker",
    "kcl-unowned-lease",
    "kcl-stalled-shard",
    "kcl-parent-unfinished",
    "kcl-thrashing",
    "lambda-mapping-disabled",
    "lambda-batch-failed",
}


def key_figure(s: StreamState, now: float) -> Figure | None:
    """The number behind the stream's top finding (write %, iterator age, throttles, the lag of
    the consumer it names); how long it has lasted when the finding has no number; an OK
    stream's incoming rate."""
    top = s.findings[0] if s.findings else None
    if top is None:
        if s.health is Health.OK or s.health is Health.UNKNOWN:
            return _figure(fmt.bytes_rate(s.incoming_bytes_per_sec), "in")
        return _figure(fmt.duration_ms(s.iterator_age_ms), "iterator age") or _for(s.since, now)
    code = top.code
    capacity = "of est. write capacity" if s.capacity_estimated else "of write capacity"
    if code == "write-capacity":
        return _figure(fmt.pct(_write_util(s)), capacity)
    if code in ("hot-shard", "uneven-keys"):
        if s.write_throttled_per_min:
            return _figure(fmt.count(s.write_throttled_per_min) + "/min", "writes throttled")
        return _figure(fmt.pct(_write_util(s)), capacity)
    if code == "shared-reads":
        if s.read_throttled_per_min:
            return _figure(fmt.count(s.read_throttled_per_min) + "/min", "reads throttled")
        return _figure(fmt.pct(s.read_bytes_utilization_pct), "of shared read limit")
    if code in ("iterator-age", "retention-risk"):
        return _figure(fmt.duration_ms(s.iterator_age_ms), "iterator age")
    if code in CONSUMER_CODES:
        named = next((c for c in s.consumers if c.name == top.subject), None)
        c = named or s.worst_consumer
        if c is not None and c.lag_ms is not None and code != "consumer-stopped":
            stale = stale_label(c, now)
            label = f"{c.name} behind" + (f" ({stale})" if stale else "")
            return _figure(fmt.duration_ms(c.lag_ms), label, stale)
    return _for(top.since or s.since, now)


def cause(s: StreamState) -> str:
    """The main cause in a few words: the top finding's summary; for an OK stream its write
    % and iterator age."""
    if s.findings:
        top = s.findings[0]
        return top.summary or top.cause
    if s.health_reasons:
        return s.health_reasons[0]
    if s.health is Health.OK:
        util = _write_util(s)
        parts = [
            f"write {fmt.util_pct(util, s.capacity_estimated)}" if util is not None else "",
            f"age {fmt.duration_ms(s.iterator_age_ms)}" if s.iterator_age_ms is not None else "",
        ]
        return " · ".join(p for p in parts if p) or "nothing wrong seen"
    return "not judged yet" if s.health is Health.UNKNOWN else ""


def state_for(s: StreamState, now: float) -> float | None:
    """How long the stream has been in its state (WARN and CRIT only), from its ``since``."""
    if s.since is None or s.health not in (Health.WARN, Health.CRIT):
        return None
    return max(0.0, now - s.since)


def badge(s: StreamState, now: float, duration: bool = True) -> str:
    """'✖ CRIT 1h12m': marker, word and how long."""
    label = fmt.HEALTH_STYLE[s.health][0]
    for_sec = state_for(s, now) if duration else None
    return label if for_sec is None else f"{label} {fmt.compact_duration(for_sec)}"


def health_style(s: StreamState) -> str:
    return fmt.HEALTH_STYLE[s.health][1]


def shorten(name: str, width: int) -> str:
    """A name cut in the middle with '…' to fit ``width``: both ends stay readable."""
    if len(name) <= width:
        return name
    if width <= 1:
        return "…"[:width]
    head = (width - 1 + 1) // 2
    tail = width - 1 - head
    return name[:head] + "…" + (name[-tail:] if tail else "")


def _fit(text: Text, width: int) -> Text:
    """Exactly ``width`` cells: cut with an ellipsis or padded."""
    text = text.copy()
    text.no_wrap = True
    if text.cell_len > width:
        text.truncate(width, overflow="ellipsis")
    else:
        text.append(" " * (width - text.cell_len))
    return text


def _style_at(text: Text, offset: int) -> Style:
    style = Style.parse(text.style) if isinstance(text.style, str) else text.style
    for span in text.spans:
        if span.start <= offset < span.end:
            style += Style.parse(span.style) if isinstance(span.style, str) else span.style
    return style


def svg_safe(text: Text) -> Text:
    """No run of one style starts with a space before its text: an SVG export drops such
    leading spaces and draws the rest too far left. The spaces get a run of their own (bold
    toggled, which a space does not show)."""
    plain = text.plain
    if " " not in plain:
        return text
    bounds = sorted({0, *(s.start for s in text.spans), *(s.end for s in text.spans)})
    bounds = [b for b in bounds if b < len(plain)]
    for i, start in enumerate(bounds):
        if plain[start] != " ":
            continue
        end = bounds[i + 1] if i + 1 < len(bounds) else len(plain)
        j = start
        while j < end and plain[j] == " ":
            j += 1
        if j < end:
            text.stylize(Style(bold=not _style_at(text, start).bold), start, j)
    return text


# -- how the tiles are laid out --------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """A tile size: ``height`` rows (borders included), ``digits`` the scale of its block
    digits (0: none)."""

    name: str
    height: int
    bordered: bool = False
    digits: int = 0


XXL = Form("xxl", 10, bordered=True, digits=2)  # 3 lines of text and 5-row digits
XL = Form("xl", 8, bordered=True, digits=1)  # 3 lines of text and 3-row digits
L = Form("l", 5, bordered=True)  # state, name, cause and number
M3 = Form("m3", 3)  # as M, and a blank row under each
M = Form("m", 2)  # marker, name, number / word, how long, cause
S = Form("s", 1)  # marker, word, how long, name, number
XS = Form("xs", 1)  # marker, word, name
XXS = Form("xxs", 1)  # marker, name
# Every stream listed, richest first; then only the streams that are not OK, the OK counted.
ALL_FORMS = (XXL, XL, L, M3, M, S)
PROBLEM_FORMS = (XXL, XL, L, M3, M, S, XS, XXS)
NAME_CAP = 24  # a longer name is shortened in the middle rather than widen a column
NAME_MIN = 8
GAP = 2  # between the columns of unbordered tiles


@dataclass(frozen=True)
class Plan:
    form: Form
    cols: int
    rows: int
    shown: tuple[StreamState, ...]
    # Counted, not shown: the OK streams left out, and those not OK that did not fit.
    ok_hidden: int = 0
    problems_hidden: tuple[StreamState, ...] = ()

    @property
    def cells(self) -> int:
        return len(self.shown) + (1 if self.ok_hidden or self.problems_hidden else 0)

    @property
    def height(self) -> int:
        return self.rows * self.form.height

    @property
    def complete(self) -> bool:
        """Every stream that is not OK has its own tile."""
        return not self.problems_hidden


class Measure:
    """The widths a fleet's tiles need, each measured when first asked for."""

    def __init__(self, streams: Sequence[StreamState], now: float) -> None:
        self.streams = streams
        self.now = now
        self.name = min(NAME_CAP, max((len(s.key) for s in streams), default=0))

    @cached_property
    def badge(self) -> int:
        return max((len(badge(s, self.now)) for s in self.streams), default=0)

    @cached_property
    def word(self) -> int:
        return max((len(badge(s, self.now, duration=False)) for s in self.streams), default=0)

    @cached_property
    def figures(self) -> list[Figure]:
        return [f for f in (key_figure(s, self.now) for s in self.streams) if f is not None]

    @cached_property
    def figure(self) -> int:
        return max((len(f.line) for f in self.figures), default=1)

    def digits(self, scale: int) -> int:
        return max((figure_width(f, scale) for f in self.figures if f.drawable), default=0)

    def cell(self, form: Form, name: int | None = None) -> int:
        """The width a tile of ``form`` needs to show a name ``name`` long."""
        name = self.name if name is None else name
        if form.bordered:
            inner = max(name, 16, self.badge)
            if form.digits:
                inner = max(inner, self.digits(form.digits))
            return inner + 5  # borders, padding and the space after the box
        if form in (M, M3):
            return max(2 + name + 1 + self.figure, self.word + 1 + 12) + GAP
        if form is S:
            return self.badge + 1 + name + 1 + self.figure + GAP
        if form is XS:
            return self.word + 1 + name + GAP
        return 2 + name + GAP


def _columns(measure: Measure, form: Form, width: int, count: int) -> int:
    """How many tiles of ``form`` fit across; 0 if not even one does (with a shortened name)."""
    need = measure.cell(form)
    cols = width // need if need else 0
    if cols == 0 and width >= measure.cell(form, min(measure.name, NAME_MIN)):
        cols = 1
    cols = min(cols, max(1, count))
    if cols and count and form.bordered:
        # As many rows as needed, then as few columns as fill them: 4 + 3, not 5 + 2.
        rows = math.ceil(count / cols)
        cols = math.ceil(count / rows)
    return cols


def plan_tiles(streams: Sequence[StreamState], width: int, height: int, now: float) -> Plan:
    """The richest tiles that show every stream in ``width`` x ``height``; failing that, every
    stream not OK with the OK ones counted; failing that, as many as fit, worst first, and a
    count of the rest. ``streams`` come worst first."""
    streams = tuple(streams)
    if not streams:
        return Plan(XXS, 1, 0, ())
    problems = tuple(s for s in streams if s.health is not Health.OK)
    ok = len(streams) - len(problems)
    for forms, shown, hidden in ((ALL_FORMS, streams, 0), (PROBLEM_FORMS, problems, ok)):
        if hidden and not shown and height >= 1:
            return Plan(XXS, 1, 1, (), ok_hidden=hidden)
        measure = Measure(shown, now)
        cells = len(shown) + (1 if hidden else 0)
        if cells > max(0, height) * max(1, width // (2 + NAME_MIN + GAP)):
            continue  # not even the thinnest lines would hold them all
        for form in forms:
            cols = _columns(measure, form, width, cells)
            if not cols:
                continue
            rows = math.ceil(cells / cols)
            if rows * form.height <= height:
                return Plan(form, cols, rows, shown, ok_hidden=hidden)
    # Not even one line each: the worst that fit, and the rest counted in the last cell.
    cols = max(1, _columns(Measure(problems, now), XXS, width, len(problems) + 1))
    rows = max(0, height)
    room = max(0, cols * rows - 1)
    return Plan(
        XXS,
        cols,
        rows,
        problems[:room],
        ok_hidden=ok,
        problems_hidden=problems[room:],
    )


# -- drawing ---------------------------------------------------------------------------------


class Painter:
    """Draws one plan's tiles into lines of Text, each exactly the grid's width."""

    def __init__(self, plan: Plan, width: int, now: float, current: str | None) -> None:
        self.plan = plan
        self.width = width
        self.now = now
        self.current = current
        duration = plan.form is S
        self.badge_width = max((len(badge(s, now, duration)) for s in plan.shown), default=0)

    def lines(self) -> list[Text]:
        plan = self.plan
        if plan.cols <= 0 or plan.rows <= 0 or self.width <= 0:
            return []
        base, extra = divmod(self.width, plan.cols)
        widths = [base + (1 if i < extra else 0) for i in range(plan.cols)]
        across = plan.form.bordered or plan.form in (M, M3)
        out: list[Text] = []
        for r in range(plan.rows):
            row_lines = [Text(no_wrap=True) for _ in range(plan.form.height)]
            for c in range(plan.cols):
                # Tiles read across, one-line rows down each column, worst first.
                i = r * plan.cols + c if across else c * plan.rows + r
                w = widths[c]
                if i < len(plan.shown):
                    tile = self.tile(plan.shown[i], w)
                elif i == plan.cells - 1 and plan.cells > len(plan.shown):
                    tile = self.rest(w)
                else:
                    tile = [Text(" " * w) for _ in range(plan.form.height)]
                for line, part in zip(row_lines, tile):
                    line.append_text(part)
            out.extend(svg_safe(line) for line in row_lines)
        return out

    # -- one tile --

    def tile(self, s: StreamState, width: int) -> list[Text]:
        form = self.plan.form
        if form.bordered:
            lines = self._bordered(s, width)
        elif form in (M, M3):
            lines = [_fit(line, width - GAP) for line in self._two_lines(s, width - GAP)]
            lines = [line + Text(" " * GAP) for line in lines]
            lines += [Text(" " * width) for _ in range(form.height - 2)]
        else:
            lines = [_fit(self._one_line(s, width - GAP), width - GAP) + Text(" " * GAP)]
        if s.stale:
            for line in lines:
                line.stylize("dim")
        return lines

    def _name(self, s: StreamState, width: int, pointer: bool = False) -> Text:
        """The name, underlined (and with ``pointer``, after ▶) when it is the one on show."""
        if s.key != self.current:
            return Text(shorten(s.key, max(1, width)), style="bold")
        if pointer and width > 4:
            return Text.assemble(("▶ ", "bold"), (shorten(s.key, width - 2), "bold underline"))
        return Text(shorten(s.key, max(1, width)), style="bold underline")

    def _bordered(self, s: StreamState, width: int) -> list[Text]:
        form = self.plan.form
        style = health_style(s)
        loud = s.health in (Health.WARN, Health.CRIT)
        inner = max(1, width - 5)
        edge = style if loud else "green" if s.health is Health.OK else "dim"
        body: list[Text] = []
        head = Text(badge(s, self.now) + " ", style=f"reverse {style}" if loud else style)
        if s.stale and s.as_of is not None:
            head.append(f"as of {s.as_of:%H:%M} ", style="italic")
        if loud:  # the whole bar in the state's colour: seen from across the room
            head.append(" " * max(0, inner - head.cell_len), style=f"reverse {style}")
        body.append(head)
        body.append(self._name(s, inner, pointer=True))
        figure = key_figure(s, self.now)
        what = Text(cause(s), style=fmt.LEVEL_STYLE.get(s.health, "dim"))
        fig_style = style if loud else "dim"  # OK tiles stay quiet: problems stand out
        if form.digits and figure is not None and figure.drawable:
            body.append(what)
            body += big_figure(figure, form.digits, fig_style, inner, label=True)
        else:
            body.append(_spread(what, _figure_text(figure, fig_style), inner))
        return box(body, width, form.height, edge)

    def _two_lines(self, s: StreamState, width: int) -> list[Text]:
        style = health_style(s)
        marker, word = fmt.HEALTH_STYLE[s.health][0].split(" ", 1)
        fig = _figure_text(key_figure(s, self.now), style if s.health is not Health.OK else "")
        room = max(1, width - 2 - (fig.cell_len + 1 if fig.cell_len else 0))
        first = Text.assemble((marker + " ", style))
        first.append_text(self._name(s, room))
        first = _spread(first, fig, width)
        second = Text.assemble((word + " ", style))
        for_sec = state_for(s, self.now)
        if for_sec is not None:
            second.append(fmt.compact_duration(for_sec) + " ", style=style)
        second.append(" ")
        if s.stale and s.as_of is not None:
            second.append(f"as of {s.as_of:%H:%M} ", style="italic")
        second.append(cause(s), style=fmt.LEVEL_STYLE.get(s.health, "dim"))
        return [first, second]

    def _one_line(self, s: StreamState, width: int) -> Text:
        form = self.plan.form
        style = health_style(s)
        if form is XXS:
            head = fmt.HEALTH_STYLE[s.health][0].split(" ", 1)[0]
        else:
            head = badge(s, self.now, duration=form is S).ljust(self.badge_width)
        t = Text.assemble((head + " ", style))
        if form is S:
            fig = _figure_text(key_figure(s, self.now), style if s.health is not Health.OK else "")
            room = max(1, width - t.cell_len - (fig.cell_len + 1 if fig.cell_len else 0))
            t.append_text(self._name(s, room))
            return _spread(t, fig, width)
        t.append_text(self._name(s, width - t.cell_len))
        return t

    def rest(self, width: int) -> list[Text]:
        """The last cell: what is counted rather than shown, in as many words as fit."""
        plan = self.plan
        form = plan.form
        room = max(1, width - (5 if form.bordered else GAP))
        text = next((t for t in self._counted() if t.cell_len <= room), None)
        text = text or self._counted()[-1]
        if form.bordered:
            return box([text], width, form.height, "green")
        lines = [_fit(text, max(0, width - GAP)) + Text(" " * min(GAP, width))]
        return lines + [Text(" " * width) for _ in range(form.height - 1)]

    def _counted(self) -> list[Text]:
        """'+50 more not OK (8 CRIT) ✓ +431 OK', then shorter ways to say it."""
        hidden = self.plan.problems_hidden
        ok = self.plan.ok_hidden
        crit = sum(1 for s in hidden if s.health is Health.CRIT)
        loud = "bold red" if crit else "bold yellow"
        out = []
        for more, crit_text, ok_text in (
            (f"+{len(hidden)} more not OK ", f"({crit} CRIT) ", f"✓ +{ok} OK"),
            (f"+{len(hidden)} more not OK ", "", f"✓ +{ok} OK"),
            (f"+{len(hidden)} not OK ", "", f"✓ +{ok}"),
            (f"+{len(hidden)}✖▲ ", "", f"+{ok}✓"),
        ):
            t = Text(no_wrap=True)
            if hidden:
                t.append(more, style=loud)
                if crit:
                    t.append(crit_text, style="bold red")
            if ok:
                t.append(ok_text, style="bold green")
            out.append(t)
        return out


def box(body: list[Text], width: int, height: int, style: str) -> list[Text]:
    """``body`` in a rounded box, ``height`` rows in all, and a column of space after it
    (boxes side by side stay apart)."""
    width = max(1, width - 1)
    inner = max(1, width - 4)
    rows = (body + [Text("")] * height)[: max(0, height - 2)]
    out = [Text("╭" + "─" * max(0, width - 2) + "╮ ", style=style)]
    for content in rows:
        line = Text.assemble(("│ ", style), no_wrap=True)
        line.append_text(_fit(content, inner))
        line.append(" │ ", style=style)
        out.append(line)
    out.append(Text("╰" + "─" * max(0, width - 2) + "╯ ", style=style))
    return out


def _figure_text(figure: Figure | None, style: str) -> Text:
    if figure is None:
        return Text()
    if figure.stale:
        return Text(figure.line, style=f"{style} {STALE_STYLE}".strip())
    return Text(figure.text, style=f"bold {style}".strip())


def _spread(left: Text, right: Text, width: int) -> Text:
    """``left`` then ``right`` at the right edge, ``left`` cut to make room."""
    if not right.cell_len:
        return _fit(left, width)
    room = width - right.cell_len - 1
    if room < 1:
        return _fit(right, width)
    t = _fit(left, room)
    t.append(" ")
    t.append_text(right)
    return t


def _scales(figure: Figure, scale: int) -> list[int]:
    """The first number at ``scale``, the ones after it at half: 57m big, 13s smaller, as a
    clock shows its seconds, so 8m 20s never reads as 820."""
    second = max(1, scale // 2) if scale > 1 else 1
    return [scale] + [second] * (len(figure.parts) - 1)


def figure_width(figure: Figure, scale: int) -> int:
    """Columns the figure takes in block digits of ``scale``, units included."""
    scales = _scales(figure, scale)
    gaps = max(2, scale) * (len(figure.parts) - 1) + 1
    return gaps + sum(
        wall_digits.width(n, k) + 1 + len(u.strip()) for (n, u), k in zip(figure.parts, scales)
    )


def big_figure(
    figure: Figure, scale: int, style: str, width: int, label: bool = False
) -> list[Text]:
    """The figure's numbers in block digits (see ``_scales``), each unit beside its number
    on the bottom row; with ``label``, what the number is after the last unit on the top
    row."""
    height = wall_digits.rows(scale)
    ink = f"{style} {STALE_STYLE}".strip() if figure.stale else f"bold {style}".strip()
    lines = [Text(no_wrap=True) for _ in range(height)]
    parts = figure.parts
    for n, ((number, unit), k) in enumerate(zip(parts, _scales(figure, scale))):
        glyphs = wall_digits.big(number, k) if number else []
        glyph_w = wall_digits.width(number, k)
        glyphs = [" " * glyph_w] * (height - len(glyphs)) + glyphs  # on the same baseline
        unit = unit.strip()
        gap = " " * (max(2, scale) if n < len(parts) - 1 else 1)
        for i, line in enumerate(lines):
            line.append(glyphs[i] + " ", style=ink)
            line.append((unit if i == height - 1 else " " * len(unit)) + gap, style=ink)
    if label:
        # What the number is; when that does not fit, at least that it is stale.
        words = [figure.label] + ([f"({figure.stale})"] if figure.stale else [])
        fits = [w for w in words if lines[0].cell_len + len(w) + 1 <= width]
        if fits:
            lines[0].append(fits[0] + " ", style="dim")
    return [_fit(line, width) for line in lines]


class TileGrid(Widget):
    """Every stream's tile, drawn from one plan (see ``plan_tiles``)."""

    DEFAULT_CSS = """
    TileGrid { height: auto; width: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.plan: Plan | None = None
        self.now = 0.0
        self.current: str | None = None
        self._lines: list[Text] | None = None
        self._drawn_for: tuple | None = None

    def show(self, plan: Plan, now: float, current: str | None) -> None:
        self.plan, self.now, self.current = plan, now, current
        self._lines = None
        self.styles.height = plan.height
        self.refresh()

    def set_current(self, name: str | None) -> None:
        if name != self.current:
            self.current = name
            self._lines = None
            self.refresh()

    def render_text(self) -> str:
        """What is on the tiles, as plain text (what tests and logs read)."""
        return "\n".join(line.plain for line in self._draw())

    def _draw(self) -> list[Text]:
        width = self.size.width
        if self._lines is None or self._drawn_for != (width,):
            if self.plan is None:
                self._lines = []
            else:
                self._lines = Painter(self.plan, width, self.now, self.current).lines()
            self._drawn_for = (width,)
        return self._lines

    def render(self) -> Text:
        text = Text("\n", no_wrap=True, overflow="crop").join(self._draw())
        text.no_wrap = True
        return text
