"""One stream, everything an on-call engineer needs: throughput, iterator age, throttling and
consumer lag against the limits, live."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import DataTable, Footer, Static

from kmon.model import limits
from kmon.model.detail import WINDOWS_SEC, StreamDetail, time_to_reach
from kmon.model.snapshot import FleetSnapshot, StreamState
from kmon.ui import format as fmt
from kmon.ui.screens.base import KmonScreen
from kmon.ui.styles import status_text
from kmon.ui.widgets.charts import Limit, Line, TimeChart
from kmon.ui.widgets.findings import findings_text
from kmon.ui.widgets.gauges import gauge, sparkline
from kmon.ui.widgets.tables import add_columns, sync_rows

# Most telling first: a half-width panel on a 120-column terminal shows name to verdict.
CONSUMER_COLUMNS = (
    ("name", "Consumer", 17),
    ("lag", "Lag", 7),
    ("status", "Status", 9),
    ("eta", "Catch-up / loss", 16),
    ("kind", "Kind", 6),
    ("trend", "Trend", 10),
)

# A growing iterator age only earns a countdown when the retention line is this close.
RETENTION_ETA_HORIZON_SEC = 48 * 3600


def window_label(seconds: int) -> str:
    return f"{seconds // 3600}h" if seconds >= 3600 else f"{seconds // 60}m"


class Panel(Vertical, can_focus=True):
    """A bordered box with a title; focusable so tab walks the panels."""

    def __init__(self, title: str, focusable: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = title
        # A panel holding a table lets the table take focus itself, so Enter acts on it.
        self.can_focus = focusable


class StreamScreen(KmonScreen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("t", "cycle_window", "Time window", id="window"),
        *[
            Binding(str(i + 1), f"window({w})", f"Window {window_label(w)}", show=False)
            for i, w in enumerate(WINDOWS_SEC)
        ],
        Binding("s", "shards", "Shards", id="shards"),
        Binding("f", "findings", "Findings", id="findings"),
        Binding("c", "copy_command", "Copy command", id="copy"),
        Binding("tab", "app.focus_next", "Next panel", show=False),
        Binding("shift+tab", "app.focus_previous", "Previous panel", show=False),
    ]

    def __init__(self, stream: str, window_sec: int = WINDOWS_SEC[1]) -> None:
        super().__init__()
        self.stream_name = stream
        self.window_sec = window_sec
        self.detail: StreamDetail | None = None
        self.state: StreamState | None = None
        self.now = 0

    def compose(self) -> ComposeResult:
        yield self.make_header()
        yield Static(id="summary")
        yield Static(id="findings")
        with Grid(id="panels"):
            with Panel("Throughput", id="throughput"):
                yield TimeChart(fmt.bytes_rate, "bytes", id="bytes-chart")
                yield TimeChart(fmt.count_rate, id="records-chart")
                yield Static(id="throughput-now", classes="now")
            with Panel("Iterator age", id="iterator"):
                yield TimeChart(fmt.axis_duration_ms, "duration", id="age-chart")
                yield Static(id="iterator-now", classes="now")
            with Panel("Throttling", id="throttling"):
                yield TimeChart(fmt.count, min_step=1, id="throttle-chart")
                yield Static(id="gauges", classes="now")
            with Panel("Consumer lag", focusable=False, id="consumers"):
                yield DataTable(id="consumer-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        add_columns(self.query_one("#consumer-table", DataTable), CONSUMER_COLUMNS)
        self.sub_title = self.stream_name
        self.query_one("#throughput").focus()

    # -- rendering ------------------------------------------------------------------------

    def show(self, snapshot: FleetSnapshot) -> None:
        self.header.show(snapshot)
        state = snapshot.stream(self.stream_name)
        if state is not None:
            self.state = state
        if snapshot.detail is not None and snapshot.detail.name == self.stream_name:
            self.detail = snapshot.detail
        now = int(snapshot.generated_at.timestamp())
        self.now = now
        self._summary(state is None)
        self._findings()
        if self.detail is None or self.state is None:
            return
        if self.detail.window_sec != self.window_sec:
            return  # the poll for the newly chosen window is on its way
        self._throughput(now)
        self._iterator(now)
        self._throttling(now)
        self._consumers()

    def _summary(self, gone: bool) -> None:
        t = Text()
        t.append(self.stream_name, style="bold")
        t.append("  ")
        if gone:
            t.append(" GONE ", style="bold reverse red")
            t.append(" this stream no longer exists; showing its last data", style="red")
            self.query_one("#summary", Static).update(t)
            return
        s, d = self.state, self.detail
        if s is None:
            t.append("loading…", style="italic")
            self.query_one("#summary", Static).update(t)
            return
        for_sec = None if s.since is None else self.now - s.since
        t.append_text(fmt.health(s.health, for_sec, stale=s.stale))
        if s.stale and s.as_of is not None:
            t.append(f" as of {s.as_of:%H:%M}", style="dim italic")
        parts = [
            ("status", s.status),
            ("mode", (s.mode or fmt.DASH).lower().replace("_", "-")),
            (
                "shards",
                f"{fmt.count(s.open_shards)} open"
                + (f" / {d.closed_shards} closed" if d and d.closed_shards is not None else ""),
            ),
            ("retention", fmt.hours(s.retention_hours)),
        ]
        if d is not None:
            parts += [
                ("encryption", (d.encryption or fmt.DASH).lower()),
                ("enhanced monitoring", "on" if d.enhanced_monitoring else "off"),
                ("EFO", f"{fmt.count(s.efo_consumers)}/{d.efo_consumer_limit}"),
            ]
            if d.max_record_kib:
                parts.append(("max record", fmt.bytes_(d.max_record_kib * 1024)))
        parts.append(("window", window_label(self.window_sec)))
        for label, value in parts:
            t.append("  ")
            t.append(f"{label} ", style="dim")
            t.append(str(value))
        self.query_one("#summary", Static).update(t)

    def _findings(self) -> None:
        """What is wrong, the evidence, what to do: above the charts, where eyes land."""
        box = self.query_one("#findings", Static)
        s = self.state
        box.display = bool(s and s.findings)
        if s and s.findings:
            text = findings_text(s.findings[:2], self.now, full=False)
            more = len(s.findings) - 2
            hint = Text("  f: all findings with advice · c: copy the command", style="dim")
            if more > 0:
                hint = Text(f"  +{more} more · ", style="dim") + hint
            box.update(text + Text("\n") + hint)

    def _capacity(self) -> tuple[float | None, float | None, float | None]:
        s = self.state
        if s is None or s.mode != "PROVISIONED" or not s.open_shards:
            return None, None, None
        return (
            limits.provisioned_write_bytes(s.open_shards),
            limits.provisioned_write_records(s.open_shards),
            limits.provisioned_read_bytes(s.open_shards),
        )

    def _throughput(self, now: int) -> None:
        d, s = self.detail, self.state
        wb, wr, rb = self._capacity()
        bytes_limits = []
        if wb:
            bytes_limits.append(Limit(f"write limit {fmt.bytes_rate(wb)}", wb, "red"))
        if rb:
            bytes_limits.append(Limit(f"read limit {fmt.bytes_rate(rb)}", rb, "magenta"))
        self.query_one("#bytes-chart", TimeChart).show(
            [
                Line("out B/s", d.rate("outgoing_bytes"), "green"),
                Line("in B/s", d.rate("incoming_bytes"), "cyan"),
            ],
            bytes_limits,
            window_sec=d.window_sec,
            now=now,
        )
        self.query_one("#records-chart", TimeChart).show(
            [
                Line("out rec/s", d.rate("outgoing_records"), "green"),
                Line("in rec/s", d.rate("incoming_records"), "cyan"),
            ],
            [Limit(f"write limit {fmt.count_rate(wr)}", wr, "red")] if wr else [],
            window_sec=d.window_sec,
            now=now,
        )
        t = Text()
        t.append("in ", style="dim")
        t.append(f"{fmt.bytes_rate(s.incoming_bytes_per_sec)} ")
        t.append(_of(s.write_bytes_utilization_pct, wb, fmt.bytes_rate, self.app.thresholds))
        t.append(" · ", style="dim")
        t.append(f"{fmt.count_rate(s.incoming_records_per_sec)} ")
        t.append(_of(s.write_records_utilization_pct, wr, fmt.count_rate, self.app.thresholds))
        t.append("\nout ", style="dim")
        t.append(f"{fmt.bytes_rate(s.outgoing_bytes_per_sec)} ")
        t.append(_of(s.read_bytes_utilization_pct, rb, fmt.bytes_rate, self.app.thresholds))
        if s.mode == "ON_DEMAND":
            t.append(
                "\non-demand: capacity adapts (starts at "
                f"{fmt.bytes_rate(limits.ON_DEMAND_INITIAL_WRITE_BYTES_PER_SEC)} write, up to "
                f"{limits.ON_DEMAND_PEAK_MULTIPLIER}x the 30-day peak)",
                style="dim",
            )
        self.query_one("#throughput-now", Static).update(t)

    def _iterator(self, now: int) -> None:
        d, s = self.detail, self.state
        rules = self.app.thresholds
        warn = rules.iterator_age_warn_ms
        points = d.values("iterator_age_ms")
        risk = rules.retention_risk_ms(s.retention_hours)
        lines = [Limit(f"warn {fmt.duration_ms(warn)}", warn, "yellow")]
        if risk:
            lines.append(
                Limit(f"{rules.retention_risk_label} {fmt.duration_ms(risk)}", risk, "red")
            )
        self.query_one("#age-chart", TimeChart).show(
            [Line("iterator age", points, "yellow")], lines, window_sec=d.window_sec, now=now
        )
        t = Text()
        t.append("now ", style="dim")
        t.append(fmt.duration_ms(s.iterator_age_ms), style="bold")
        shared = next((c for c in s.consumers if c.kind == "shared"), None)
        slope = shared.trend_ms_per_min if shared else None
        if slope is not None and abs(slope) >= 100:
            arrow = "↑ growing" if slope > 0 else "↓ falling"
            t.append(f"  {arrow} {fmt.duration_ms(abs(slope))}/min", style="yellow")
        if risk:
            t.append(f"  {rules.retention_risk_label} ", style="dim")
            t.append(fmt.duration_ms(risk))
            eta = time_to_reach(s.iterator_age_ms or 0.0, risk, slope)
            if eta == 0:
                t.append("  PAST IT: records expire unread", style="bold red")
            elif eta is not None and eta <= RETENTION_ETA_HORIZON_SEC:
                t.append(f"  reached in {fmt.duration(eta)} at this rate", style="bold red")
        self.query_one("#iterator-now", Static).update(t)

    def _throttling(self, now: int) -> None:
        d, s = self.detail, self.state
        self.query_one("#throttle-chart", TimeChart).show(
            [  # drawn in order: the provisioned-throughput counts last, on top
                Line("put failed", d.values("put_failed_records"), "white"),
                Line("put throttled", d.values("put_throttled_records"), "yellow"),
                Line("read exceeded", d.values("read_throttled"), "magenta"),
                Line("write exceeded", d.values("write_throttled"), "red"),
            ],
            [],
            window_sec=d.window_sec,
            now=now,
        )
        wb, wr, rb = self._capacity()
        rules = self.app.thresholds
        g = Text("\n").join(
            [
                gauge(label, pct, limit, rules.utilization(pct))
                for label, pct, limit in (
                    ("write bytes", s.write_bytes_utilization_pct, fmt.bytes_rate(wb)),
                    ("write records", s.write_records_utilization_pct, fmt.count_rate(wr)),
                    ("read bytes", s.read_bytes_utilization_pct, fmt.bytes_rate(rb)),
                )
            ]
        )
        self.query_one("#gauges", Static).update(g)

    def _consumers(self) -> None:
        sync_rows(
            self.query_one("#consumer-table", DataTable),
            {f"{c.kind}:{c.name}": consumer_cells(c) for c in self.state.consumers},
            [key for key, _, _ in CONSUMER_COLUMNS],
        )

    @on(DataTable.RowSelected, "#consumer-table")
    def _consumer_chosen(self, event: DataTable.RowSelected) -> None:
        """Enter on a KCL application opens its leases."""
        key = str(event.row_key.value)
        consumer = next(
            (
                c
                for c in (self.state.consumers if self.state else ())
                if f"{c.kind}:{c.name}" == key
            ),
            None,
        )
        if consumer is not None and consumer.kind == "kcl":
            from kmon.ui.screens.kcl import KclScreen

            self.app.push_screen(KclScreen(self.stream_name, consumer.name))

    # -- actions --------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.close_stream()

    def action_cycle_window(self) -> None:
        i = WINDOWS_SEC.index(self.window_sec) if self.window_sec in WINDOWS_SEC else 0
        self.action_window(WINDOWS_SEC[(i + 1) % len(WINDOWS_SEC)])

    def action_window(self, seconds: int) -> None:
        self.window_sec = seconds
        self.app.focus_stream(self.stream_name, seconds)
        self._summary(False)
        self.app.flash(f"window {window_label(seconds)}", timeout=1.5)

    def action_findings(self) -> None:
        from kmon.ui.screens.findings import FindingsScreen

        self.app.push_screen(FindingsScreen(self.stream_name))

    def action_copy_command(self) -> None:
        copy_command(self.app, self.state.findings if self.state else ())

    def action_shards(self) -> None:
        from kmon.ui.screens.shards import ShardsScreen

        self.app.push_screen(ShardsScreen(self.stream_name))


def consumer_cells(c) -> tuple[Text, ...]:
    """A consumer's row: name, lag now, status, catch-up or data-loss time, kind, sparkline."""
    if c.data_loss_sec is not None:
        eta = Text(f"loss in {fmt.duration(c.data_loss_sec)}", style="bold red")
    elif c.catch_up_sec is not None:
        eta = Text(f"catch-up {fmt.duration(c.catch_up_sec)}", style="green")
    elif c.full_note:
        eta = fmt.plain(c.full_note)
    else:
        eta = Text(fmt.DASH)
    return (
        fmt.plain(c.name),
        Text(fmt.duration_ms(c.lag_ms), justify="right"),
        status_text(c.status),
        eta,
        Text(c.kind),
        Text(sparkline([v for _, v in c.history], width=10)),
    )


def copy_command(app, findings, number: int | None = None) -> None:
    """Put a finding's command (the first one that has a command, or finding ``number``,
    counted from 0) on the clipboard (OSC 52): kmon shows it, the operator runs it."""
    if number is None:
        command = next((f.command for f in findings if f.command), None)
    else:
        command = findings[number].command if number < len(findings) else None
    if not command:
        app.flash("no command to copy here")
        return
    app.copy_to_clipboard(command)
    app.flash(f"copied: {command}", timeout=4)


def _of(pct: float | None, limit: float | None, unit, rules) -> Text:
    if pct is None or not limit:
        return Text("")
    style = fmt.util_style(rules.utilization(pct))
    return Text(f"({fmt.pct(pct)} of {unit(limit)})", style=style)
