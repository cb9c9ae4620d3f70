"""Wall mode: for a screen nobody touches. Cycles through the streams worst first, big digits,
health as colour and word, a banner when data is stale or a source fails."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Digits, Footer, Static

from kmon.model.health import Health
from kmon.model.snapshot import FleetSnapshot, StreamState
from kmon.ui import format as fmt
from kmon.ui.screens.base import KmonScreen
from kmon.ui.styles import LAG_STYLE


def wall_order(streams: tuple[StreamState, ...]) -> list[StreamState]:
    """Worst first; among equals, the longest in trouble first."""
    return sorted(streams, key=lambda s: (-s.health.rank, s.since or float("inf"), s.name))


def clock_digits(ms: float | None) -> str:
    """Iterator age as h:mm:ss or m:ss, which the big digits can draw."""
    if ms is None:
        return "-"
    s = int(ms // 1000)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def fleet_line(streams: tuple[StreamState, ...], current: str) -> Text:
    """Every stream with its health marker, worst first; the one on show underlined."""
    t = Text()
    counts: dict[Health, int] = {}
    for s in streams:
        counts[s.health] = counts.get(s.health, 0) + 1
    t.append("fleet  ", style="bold")
    for h in sorted(counts, key=lambda h: -h.rank):  # worst first: 2 CRIT 1 WARN 4 OK
        label, style = fmt.HEALTH_STYLE[h]
        t.append(f"{counts[h]} {label.split()[-1]}  ", style=style)
    stale = sum(1 for s in streams if s.stale)
    if stale:
        t.append(f"({stale} as last known)", style="dim")
    t.append("\n")
    for s in wall_order(streams):
        label, style = fmt.HEALTH_STYLE[s.health]
        t.append(label.split()[0] + " ", style=style)
        t.append(s.name, style="underline" if s.name == current else "")
        t.append("   ")
    return t


class Tile(Vertical):
    def __init__(self, label: str, tile_id: str) -> None:
        super().__init__(id=tile_id, classes="tile")
        self.border_title = label

    def compose(self) -> ComposeResult:
        yield Digits("-")
        yield Static(classes="unit")

    def set(self, value: str, unit: Text | str) -> None:
        self.query_one(Digits).update(value)
        self.query_one(".unit", Static).update(unit)


class WallScreen(KmonScreen):
    BINDINGS = [
        Binding("escape", "app.toggle_wall", "Leave wall mode"),
        Binding("w", "app.toggle_wall", "Leave wall mode", show=False),
        Binding("n", "next_stream", "Next stream", id="next"),
    ]

    def __init__(self, cycle_sec: float = 15.0, start: str | None = None) -> None:
        super().__init__()
        self.cycle_sec = cycle_sec
        self.current: str | None = start
        self._snapshot: FleetSnapshot | None = None

    def compose(self) -> ComposeResult:
        yield self.make_header()
        yield Static(id="banner")
        yield Static(id="wall-title")
        with Horizontal(id="tiles"):
            yield Tile("IN  bytes/s", "tile-in")
            yield Tile("WRITE  % of limit", "tile-util")
            yield Tile("ITERATOR AGE", "tile-age")
            yield Tile("THROTTLES / min", "tile-throttles")
        yield Static(id="wall-reasons")
        yield Static(id="wall-fleet")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(self.cycle_sec, self.action_next_stream)
        self.set_interval(1.0, self._banner)

    def action_next_stream(self) -> None:
        if self._snapshot is None or not self._snapshot.streams:
            return
        order = [s.name for s in wall_order(self._snapshot.streams)]
        i = order.index(self.current) + 1 if self.current in order else 0
        self.current = order[i % len(order)]
        self._render_stream()

    def show(self, snapshot: FleetSnapshot) -> None:
        self.header.show(snapshot)
        self._snapshot = snapshot
        names = {s.name for s in snapshot.streams}
        if self.current not in names:
            order = wall_order(snapshot.streams)
            self.current = order[0].name if order else None
        self._render_stream()
        self._banner()

    def _banner(self) -> None:
        banner = self.query_one("#banner", Static)
        snap = self._snapshot
        t = Text()
        if self.header.is_stale() and snap is not None and snap.data_at is not None:
            age = (self.app.clock() - snap.data_at).total_seconds()
            t.append(f" DATA STALE: last update {fmt.age(age)} ago ", style="bold reverse red")
        if snap is not None and snap.errors:
            e = snap.errors[0]
            t.append(f" {e.source}: {e.message} ", style="bold red")
        banner.display = bool(t.plain)
        banner.update(t)

    def _render_stream(self) -> None:
        snap = self._snapshot
        title = self.query_one("#wall-title", Static)
        if snap is None or self.current is None:
            title.update(Text("no streams", style="italic"))
            return
        s = snap.stream(self.current)
        order = [x.name for x in wall_order(snap.streams)]
        label, style = fmt.HEALTH_STYLE[s.health]
        t = Text()
        now = snap.generated_at.timestamp()
        if s.since is not None and s.health in (Health.WARN, Health.CRIT):
            label += f" {fmt.compact_duration(now - s.since)}"
        t.append(f" {label} ", style=f"reverse {style}")
        if s.stale and s.as_of is not None:
            t.append(f" as of {s.as_of:%H:%M}", style="dim italic")
        t.append("  ")
        t.append(s.name, style="bold")
        t.append(
            f"   stream {order.index(s.name) + 1} of {len(order)}, next in {self.cycle_sec:g}s",
            style="dim",
        )
        title.update(t)
        util_vals = [
            v
            for v in (s.write_bytes_utilization_pct, s.write_records_utilization_pct)
            if v is not None
        ]
        util = max(util_vals) if util_vals else None
        throttles = None
        if s.write_throttled_per_min is not None or s.read_throttled_per_min is not None:
            throttles = (s.write_throttled_per_min or 0) + (s.read_throttled_per_min or 0)
        tile_in = self.query_one("#tile-in", Tile)
        value, unit = fmt.scaled_bytes(s.incoming_bytes_per_sec)
        tile_in.border_title = f"IN  {unit}/s"
        tile_in.set(value, f"out {fmt.bytes_rate(s.outgoing_bytes_per_sec)}")
        self.query_one("#tile-util", Tile).set(
            "-" if util is None else f"{util:.0f}",
            Text(
                "on-demand: adapts"
                if s.mode == "ON_DEMAND"
                else f"read {fmt.pct(s.read_bytes_utilization_pct)}",
                style="bold red" if util and util >= 100 else "",
            ),
        )
        self.query_one("#tile-age", Tile).set(
            clock_digits(s.iterator_age_ms), f"{fmt.duration_ms(s.iterator_age_ms)} behind"
        )
        self.query_one("#tile-throttles", Tile).set(
            "-" if throttles is None else f"{throttles:.0f}",
            Text(
                f"write {fmt.count(s.write_throttled_per_min)}"
                f" · read {fmt.count(s.read_throttled_per_min)}",
                style="bold red" if throttles else "",
            ),
        )
        reasons = Text()
        if s.findings:
            top = s.findings[0]
            reasons.append(top.cause, style=style)
            reasons.append("\n")
            reasons.append(top.evidence, style="dim")
            if len(s.findings) > 1:
                reasons.append(f"  (+{len(s.findings) - 1} more)", style="dim")
        else:
            reasons.append("  ".join(s.health_reasons), style=style)
        worst = s.worst_consumer
        if worst is not None:
            reasons.append("\nworst consumer  ", style="bold")
            reasons.append(f"{worst.kind} ")
            reasons.append(worst.name)
            reasons.append(f"  {fmt.duration_ms(worst.lag_ms)} behind  ")
            reasons.append(worst.status.value.upper(), style=LAG_STYLE.get(worst.status.value, ""))
            if worst.data_loss_sec is not None:
                reasons.append(
                    f"  data loss in {fmt.duration(worst.data_loss_sec)}", style="bold red"
                )
        self.query_one("#wall-reasons", Static).update(reasons)
        self.query_one("#wall-fleet", Static).update(fleet_line(snap.streams, s.name))
