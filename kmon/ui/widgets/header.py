"""The context line (account, region, endpoint) and the freshness line, ticking every second."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from kmon.model.health import Health
from kmon.model.snapshot import FleetSnapshot
from kmon.ui import format as fmt
from kmon.ui.styles import CONTEXT_STYLE

# With several errors the header shows each in turn for this long; `x` lists them all.
CYCLE_SEC = 5


class HeaderBar(Static):
    DEFAULT_CSS = """
    HeaderBar { height: 2; background: $panel; padding: 0 1; }
    """

    def __init__(self, clock: Callable[[], datetime], refresh_sec: float, context: dict) -> None:
        super().__init__()
        self._now = clock
        self._refresh_sec = refresh_sec
        self._where = context
        self._snapshot: FleetSnapshot | None = None

    def on_mount(self) -> None:
        self.set_interval(1.0, self._every_second)
        self._tick()

    def _every_second(self) -> None:
        # Screens under the current one keep their headers still (they show again on resume).
        if self.screen is self.app.screen:
            self._tick()

    def show(self, snapshot: FleetSnapshot) -> None:
        self._snapshot = snapshot
        self._tick()

    @property
    def paused(self) -> bool:
        return bool(getattr(self.app, "paused", False))

    def refresh_now(self) -> None:
        self._tick()

    def is_stale(self) -> bool:
        """Older than two refreshes, not counting how long the poll that read it took while
        every source behind it answers: a large fleet's poll can outlast a refresh, and its
        numbers are the newest there are until the next poll is late. Before the first
        metrics (a large fleet's first screen is its stream list) no number is old yet."""
        snap = self._snapshot
        if snap is None or snap.data_at is None:
            return False
        age = (self._now() - snap.data_at).total_seconds()
        if snap.failing:
            return age > 2 * self._refresh_sec
        if not any(s.name == "metrics" for s in snap.sources):
            return False
        took = (snap.generated_at - snap.data_at).total_seconds()
        return age > 2 * self._refresh_sec + max(0.0, took)

    def _tick(self) -> None:
        # Two fixed rows: a new second repaints the header alone, never the screen's layout.
        self.update(Group(*self._lines()), layout=False)

    def render_text(self) -> Text:
        """Both lines as one text (what tests and logs read)."""
        return Text("\n").join(self._lines())

    def _lines(self) -> tuple[Text, Text]:
        snap = self._snapshot
        ctx = dict(self._where)
        if snap is not None:
            ctx["account"] = snap.account or ctx.get("account")
            ctx["region"] = snap.region
            if len(snap.contexts) == 1:  # the one watched: its own profile or role
                one = snap.contexts[0]
                ctx["profile"] = one.profile or (one.role_arn and one.label) or ctx.get("profile")
        # The context line never wraps, so the freshness line below it always stays in view.
        line1 = Text(no_wrap=True, overflow="ellipsis")
        line1.append("kmon", style="bold")
        line1.append("  ")
        if snap is not None and len(snap.contexts) > 1:
            return _contexts_line(line1, snap, self._refresh_sec), self._freshness(snap)
        line1.append("account ", style="dim")
        line1.append(ctx.get("account") or fmt.DASH)
        line1.append("  ")
        line1.append("region ", style="dim")
        line1.append(ctx.get("region") or fmt.DASH)
        if ctx.get("endpoint"):
            line1.append("  ")
            line1.append("endpoint ", style="dim")
            line1.append(ctx["endpoint"])
        elif ctx.get("profile"):
            line1.append("  ")
            line1.append("profile ", style="dim")
            line1.append(ctx["profile"])
        line1.append("  ")
        line1.append("refresh ", style="dim")
        line1.append(fmt.interval(self._refresh_sec))
        if snap is not None:
            line1.append("  ")
            line1.append("streams ", style="dim")
            line1.append(str(len(snap.streams)))
            # The account's quotas: those in order here, whole or not at all; one near its
            # limit goes on the line below, which keeps it in view on a narrow terminal.
            width = self.content_size.width
            for q in snap.quotas.quotas if snap.quotas else ():
                if q.level is Health.WARN:
                    continue
                if width and line1.cell_len + len(f"  {q.name} {q.figure}") > width:
                    break
                line1.append("  ")
                line1.append(f"{q.name} ", style="dim")
                line1.append(q.figure)

        return line1, self._freshness(snap)

    def _freshness(self, snap: FleetSnapshot | None) -> Text:
        # Freshness first, then the clock, then problems: the line is cut at the right edge,
        # never wrapped, so on a small terminal the age, STALE and the clock stay in view.
        line2 = Text(no_wrap=True, overflow="ellipsis")
        now = self._now()
        if snap is None:
            line2.append("loading…", style="italic")
        elif snap.data_at is None:
            line2.append("no data yet", style="italic")
        else:
            line2.append(f"updated {fmt.age((now - snap.data_at).total_seconds())} ago")
        if self.is_stale() and not self.paused:
            line2.append("  ")
            line2.append(" STALE ", style="bold reverse red")
        if self.paused:
            line2.append("  ")
            line2.append(" PAUSED ", style="bold reverse yellow")
        line2.append("  ")
        line2.append(fmt.clock(now), style="dim")
        for q in snap.quotas.warnings if snap is not None and snap.quotas else ():
            line2.append("  ")
            line2.append(f"▲ {q.text}", style=fmt.util_style(q.level))
        if snap is not None and snap.pending:
            line2.append("  ")
            # Descriptions and first consumer listings still to come, spread over polls.
            line2.append(f"reading {snap.pending:,} more streams…", style="italic")
        if snap is not None and snap.errors:
            line2.append_text(_problem(snap, now))
        return line2


def _contexts_line(line: Text, snap: FleetSnapshot, refresh_sec: float) -> Text:
    """k9s-style: each context with its standing, streams and estimated cost a day."""
    for i, ctx in enumerate(snap.contexts):
        if i:
            line.append(" ")
            line.append("· ", style="dim")
        word, style = CONTEXT_STYLE[ctx.status]
        # Spaces end spans rather than start them: every renderer keeps them.
        line.append(f"{ctx.label} ", style="bold")
        line.append(f"{word} ", style=style)
        cost = ctx.streams_usd_per_day
        line.append(
            f"{ctx.streams} stream{'' if ctx.streams == 1 else 's'}"
            + ("" if cost is None else f" {fmt.usd(cost)}/d"),
            style="dim",
        )
    line.append("  ")
    line.append("refresh ", style="dim")
    line.append(fmt.interval(refresh_sec))
    line.append("  ")
    line.append("streams ", style="dim")
    line.append(str(len(snap.streams)))
    return line


def _problem(snap: FleetSnapshot, now: datetime) -> Text:
    """The current error (cycling through several, so each is read in turn), else a note."""
    t = Text()
    errors = [e for e in snap.errors if not e.note]
    notes = [e for e in snap.errors if e.note]
    shown = errors or notes
    if not shown:
        return t
    i = int(now.timestamp() // CYCLE_SEC) % len(shown)
    e = shown[i]
    t.append("  ")
    count = f" {i + 1}/{len(shown)}" if len(shown) > 1 else ""
    # The hint comes before the message: a long message is cut at the right edge.
    hint = " x: all ·" if len(errors) + len(notes) > 1 else ""
    if errors:
        t.append(f" ERROR{count} ", style="bold reverse red")
        t.append(hint, style="dim")
        t.append(f" {e.where}: {e.message}", style="red")
    else:
        t.append(f"note{count}:", style="yellow")
        t.append(hint, style="dim")
        t.append(f" {e.message}", style="yellow")
    return t
