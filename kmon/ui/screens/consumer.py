"""One consumer of a stream: how far behind it is and where that is going, what its API says
of it (an EFO registration, a Lambda event source mapping, the shared-throughput readers) and
the findings about it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timezone

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from kmon.model import limits, units
from kmon.model.findings import Finding
from kmon.model.lag import ConsumerLag
from kmon.model.snapshot import FleetSnapshot, StreamState
from kmon.model.trend import GROWTH_MIN_MS_PER_MIN
from kmon.ui import format as fmt
from kmon.ui.screens.base import KmonScreen
from kmon.ui.stale import STALE_STYLE, status_cell
from kmon.ui.styles import LAG_STYLE, status_text
from kmon.ui.widgets.findings import findings_text, since_text
from kmon.ui.widgets.gauges import sparkline

KIND_LABEL = {
    "efo": "enhanced fan-out consumer",
    "lambda": "Lambda function (event source mapping)",
    "shared": "all GetRecords pollers",
    "kcl": "KCL application",
}
LABEL_WIDTH = 17

LAMBDA_FIELDS = (
    ("uuid", "mapping UUID"),
    ("state", "state"),
    ("batch_size", "batch size"),
    ("parallelization_factor", "parallelization"),
    ("last_result", "last result"),
    ("starting_position", "starting position"),
    ("function_arn", "function ARN"),
)
EFO_FIELDS = (("arn", "ARN"), ("status", "status"), ("registered_at", "registered"))
# The stream's findings that are about its polling (shared-throughput) readers.
SHARED_READER_CODES = frozenset({"iterator-age", "retention-risk", "shared-reads"})
# Lambda mapping states and EFO statuses that mean nothing is read.
BAD_STATES = {"Disabled", "Disabling", "DELETING"}


class ConsumerScreen(KmonScreen):
    DEFAULT_CSS = """
    ConsumerScreen #consumer-title { height: auto; padding: 0 1; }
    ConsumerScreen #consumer-scroll { height: 1fr; padding: 0 1; }
    ConsumerScreen .consumer-part { height: auto; margin: 0 0 1 0; }
    """
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("c", "copy_command", "Copy command", id="copy"),
    ]

    def __init__(self, stream_name: str, kind: str, name: str) -> None:
        super().__init__()
        self.stream_name = stream_name
        self.kind = kind
        self.consumer_name = name
        # The last data seen, kept when the consumer disappears.
        self.consumer: ConsumerLag | None = None
        self.state: StreamState | None = None
        self.findings: tuple[Finding, ...] = ()
        self.gone = False
        self.now = 0.0

    def compose(self) -> ComposeResult:
        yield self.make_header()
        yield Static(id="consumer-title")
        with VerticalScroll(id="consumer-scroll"):
            yield Static(id="consumer-lag", classes="consumer-part")
            yield Static(id="consumer-details", classes="consumer-part")
            yield Static(id="consumer-findings", classes="consumer-part")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#consumer-scroll").focus()

    def on_resize(self) -> None:
        # Values and the sparkline take the width there is.
        if self.consumer is not None and self.query("#consumer-findings"):
            self._paint()

    # -- rendering ------------------------------------------------------------------------

    def show(self, snapshot: FleetSnapshot) -> None:
        self.header.show(snapshot)
        self.now = snapshot.generated_at.timestamp()
        state = snapshot.stream(self.stream_name)
        consumer = None
        if state is not None:
            self.state = state
            consumer = next(
                (
                    c
                    for c in state.consumers
                    if c.kind == self.kind and c.name == self.consumer_name
                ),
                None,
            )
        self.gone = consumer is None
        if consumer is not None:
            self.consumer = consumer
            self.findings = tuple(f for f in state.findings if names(f, consumer))
        self._paint()

    def _paint(self) -> None:
        if not self.query("#consumer-findings"):
            # A snapshot that arrives as the screen opens: its parts are still being mounted.
            if self.is_attached:
                self.call_after_refresh(self._paint)
            return
        self._title()
        if self.consumer is None:
            return
        self._lag()
        self._details()
        self._findings()

    def _title(self) -> None:
        t = Text()
        t.append(f"{self.consumer_name}  ", style="bold")  # literal: a name from AWS
        t.append(f"{KIND_LABEL.get(self.kind, self.kind)} on ")
        t.append(self.stream_name)
        if self.gone:
            t.append("\n")
            t.append(" GONE ", style="bold reverse red")
            t.append(" ", style="dim")  # a span of its own: the SVG export drops leading spaces
            if self.consumer is None:
                t.append("not found on this stream", style="red")
            else:
                t.append("no longer found on this stream; showing its last data", style="red")
        self.query_one("#consumer-title", Static).update(t)

    @property
    def room(self) -> int:
        """Cells left for a value after its label (padding and a scrollbar aside)."""
        return max(12, self.size.width - LABEL_WIDTH - 4)

    def _rows(self, rows: Sequence[tuple[str, Text]]) -> Text:
        """Label and value a line each; a value too long for the line continues under
        itself, never under the label."""
        t = Text()
        for i, (label, value) in enumerate(rows):
            if i:
                t.append("\n")
            # The separating spaces end the dim span: the SVG export drops a span's leading
            # spaces.
            t.append(f"{label:<{LABEL_WIDTH - 1}} ", style="dim")
            for n, line in enumerate(value.wrap(self.app.console, self.room, overflow="fold")):
                if n:
                    # The indent in a span of its own, apart from the value, for the same
                    # reason.
                    t.append("\n" + " " * LABEL_WIDTH, style="dim")
                line.rstrip()
                t.append_text(line)
        return t

    def _lag(self) -> None:
        c = self.consumer
        lag_style = LAG_STYLE.get(c.status.value, "")
        now = Text()
        now.append(f"{fmt.duration_ms(c.lag_ms)}  ", style="bold " + lag_style)
        # A kept judgement says how old it is: ■ STOP (stale 3m).
        status = status_cell(c, self.now)
        after = [since_text(c.since, self.now)]
        if c.stale and c.as_of is not None:
            # The last known judgement, kept while what it stands on cannot be read.
            after.append(f"last known, as of {fmt.clock_hm(c.as_of)}")
        after = [a for a in after if a]
        if after:
            # In the status's style: a span's leading spaces get lost.
            status.append("  ", style=STALE_STYLE if c.stale else None)
        now.append_text(status)
        now.append("  ".join(after), style="dim")
        rows = [("lag now", now), ("trend", trend_text(c.trend_ms_per_min))]
        if c.data_loss_sec is not None:
            eta = Text(f"data loss in {fmt.duration(c.data_loss_sec)}", style="bold red")
        elif c.catch_up_sec is not None:
            eta = Text(f"caught up in {fmt.duration(c.catch_up_sec)}", style="green")
        else:
            eta = Text(fmt.DASH)
        rows.append(("at this rate", eta))
        risk = self._risk_ms()
        if risk is not None:
            expire = Text(f"when lag passes {fmt.duration_ms(risk)} ")
            expire.append(f"({self.app.thresholds.retention_risk_label})", style="dim")
            rows.append(("records expire", expire))
        values = [v for _, v in c.history]
        if values:
            shown = values[-self.room :]  # as many minutes as the line holds
            rows.append(("history", Text(sparkline(shown, width=len(shown)), style=lag_style)))
            rows.append(
                (
                    "",
                    Text(
                        f"last {len(shown)} min, {fmt.duration_ms(min(shown))} to "
                        f"{fmt.duration_ms(max(shown))}",
                        style="dim",
                    ),
                )
            )
        else:
            rows.append(("history", Text(f"{fmt.DASH} no lag history yet", style="dim")))
        if c.full_note:
            # Literal: mapping states and results come from AWS.
            rows.append(("why", Text(c.full_note)))
        lag = self._rows(rows)
        if c.stale:
            lag.stylize(STALE_STYLE)
        self.query_one("#consumer-lag", Static).update(lag)

    def _risk_ms(self) -> float | None:
        retention = self.state.retention_hours if self.state is not None else None
        return self.app.thresholds.retention_risk_ms(retention)

    def _details(self) -> None:
        c = self.consumer
        if c.kind == "efo":
            heading = "Enhanced fan-out registration"
            rows = _fields(c.details, EFO_FIELDS, self._efo_value)
            rows.append(
                (
                    "read limit",
                    Text(
                        f"{units.limit_rate(limits.EFO_READ_BYTES_PER_SEC)} per shard of its "
                        "own, pushed over SubscribeToShard"
                    ),
                )
            )
        elif c.kind == "lambda":
            heading = "Event source mapping"
            rows = [("function", Text(c.name))]
            rows += _fields(c.details, LAMBDA_FIELDS, self._lambda_value)
        elif c.kind == "kcl":
            heading = "KCL application"
            workers = Text(f"{len(c.workers)}  ")
            if c.unowned:
                workers.append(f"{c.unowned} unowned", style="bold red")
            rows = [("lease table", Text(c.table or fmt.DASH)), ("workers", workers)]
            rows += _fields(c.details, (), lambda _k, v: Text(v))
        else:
            heading = KIND_LABEL.get(c.kind, c.kind).capitalize()
            rows = _fields(c.details, (), lambda _k, v: Text(v))
        parts: list = [Text(heading, style="bold")]
        if c.kind == "shared":
            parts.append(
                Text(
                    "Every application that polls with GetRecords (KCL workers, Lambda "
                    "mappings without enhanced fan-out, custom pollers) shares "
                    f"{units.limit_rate(limits.SHARD_READ_BYTES_PER_SEC)} and "
                    f"{limits.SHARD_GET_RECORDS_PER_SEC} calls/s per shard. Kinesis does not "
                    "say who they are: this lag is the stream's "
                    "GetRecords.IteratorAgeMilliseconds (Maximum), the age of the last record "
                    "read by the slowest of them."
                )
            )
        elif rows:
            parts.append(self._rows(rows))
        else:
            parts.append(Text("nothing known yet", style="dim"))
        if c.shards:
            parts += [Text(""), Text("Per-shard lag", style="bold"), shard_table(c)]
        self.query_one("#consumer-details", Static).update(Group(*parts))

    def _efo_value(self, key: str, value: str) -> Text:
        if key == "registered_at":
            return registered_text(value, self.now)
        if key == "status":
            return Text(value, style="bold red" if value in BAD_STATES else "")
        return Text(value)

    def _lambda_value(self, key: str, value: str) -> Text:
        if key == "state":
            return Text(value, style="bold red" if value in BAD_STATES else "")
        if key == "last_result":
            return Text(value, style="" if value == "OK" else "yellow")
        if key == "parallelization_factor":
            t = Text(f"{value} ")
            t.append(f"(up to {limits.LAMBDA_MAX_PARALLELIZATION_FACTOR})", style="dim")
            return t
        return Text(value)

    def _findings(self) -> None:
        t = Text()
        t.append(f"Findings ({len(self.findings)})\n", style="bold")
        t.append_text(findings_text(self.findings, self.now))
        self.query_one("#consumer-findings", Static).update(t)

    # -- actions --------------------------------------------------------------------------

    def action_copy_command(self) -> None:
        from kmon.ui.screens.stream import copy_command

        copy_command(self.app, self.findings)


# -- pieces -------------------------------------------------------------------------------------


def _fields(details, known: Sequence[tuple[str, str]], value) -> list[tuple[str, Text]]:
    """The known fields in their order, then any others the API gave."""
    labels = dict(known)
    keys = [k for k, _ in known if k in details]
    keys += [k for k in details if k not in labels]
    return [(labels.get(k, k.replace("_", " ")), value(k, str(details[k]))) for k in keys]


def trend_text(slope: float | None) -> Text:
    if slope is None:
        return Text(fmt.DASH)
    if abs(slope) < GROWTH_MIN_MS_PER_MIN:
        return Text("→ steady")
    if slope > 0:
        return Text(f"↑ growing {fmt.duration_ms(slope)}/min", style="yellow")
    return Text(f"↓ falling {fmt.duration_ms(-slope)}/min", style="green")


def registered_text(value: str, now: float) -> Text:
    """An ISO time from the API as a UTC time and how long ago; literal when unreadable."""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return Text(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    t = Text(when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC "))
    t.append(f"({fmt.duration(max(0.0, now - when.timestamp()))} ago)", style="dim")
    return t


def shard_table(c: ConsumerLag) -> Table:
    table = Table(box=None, show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("Shard", no_wrap=True)
    table.add_column("Lag", justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    for s in c.shards:
        table.add_row(fmt.plain(s.shard_id), Text(fmt.duration_ms(s.lag_ms)), status_text(s.status))
    return table


def names(f: Finding, c: ConsumerLag) -> bool:
    """Whether a finding is about consumer ``c``: its subject, a shard or a worker (of a KCL
    application) whose cause names it, or for the shared-throughput readers the stream's
    findings about its polling readers."""
    if f.subject == c.name and f.subject_kind in ("consumer", "worker"):
        return True
    if c.kind == "shared" and f.subject_kind == "stream":
        return f.code in SHARED_READER_CODES
    if f.subject_kind in ("shard", "worker"):
        return re.search(rf"(?<![\w.-]){re.escape(c.name)}(?![\w.-])", f.cause) is not None
    return False
