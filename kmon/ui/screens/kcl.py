"""A KCL application's leases: who owns each shard, where it checkpointed, how far behind it
is, and how the leases are spread over the workers. When the lease table or the lag cannot be
read, the last known leases stay, dimmed, and the title says how old they are."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from kmon.model.snapshot import FleetSnapshot
from kmon.ui import format as fmt
from kmon.ui.screens.base import TableScreen
from kmon.ui.stale import STALE_STYLE, status_cell
from kmon.ui.styles import status_text
from kmon.ui.widgets.tables import Col, FitTable

# Widths come from the cells: owners (ip-10-0-239-149.ec2.internal) are shown whole while the
# room is there. What an on-call engineer reads first stays on 80 columns; an owner is cut
# (with …) before lag or status go, and the bookkeeping columns go first.
COLUMNS = (
    Col("shard", "Shard", 0),
    Col("owner", "Owner", 2, shrink=12),
    Col("lag", "Lag", 1),
    Col("status", "Status", 1),
    Col("switches", "Switches", 3),
    Col("checkpoint", "Checkpoint", 4),
    Col("counter", "Lease #", 5),
    Col("parents", "Parents", 6, shrink=20),
)


class KclScreen(TableScreen):
    TABLE_ID = "leases"
    COLUMNS = COLUMNS

    def __init__(self, stream: str, application: str) -> None:
        super().__init__()
        self.stream_name = stream
        self.application = application

    @property
    def table(self) -> FitTable:
        return self.query_one("#leases", FitTable)

    def show(self, snapshot: FleetSnapshot) -> None:
        self.header.show(snapshot)
        stream = snapshot.stream(self.stream_name)
        app = None
        if stream is not None:
            app = next(
                (c for c in stream.consumers if c.kind == "kcl" and c.name == self.application),
                None,
            )
        # Separating spaces end a span, never start one: the SVG export drops a span's
        # leading spaces.
        title = Text()
        title.append(f"{self.application}  ", style="bold")
        title.append(f"KCL application on {self.stream_name}")
        if app is None:
            title.append("  ")
            title.append("(no longer found)", style="red")
            self.query_one("#leases-title", Static).update(title)
            return
        title.append("  table ")
        title.append(app.table or fmt.DASH)
        title.append("  lag ")
        title.append(f"{fmt.duration_ms(app.lag_ms)}  ", style="bold")
        title.append_text(status_cell(app, snapshot.generated_at.timestamp()))
        if app.stale and app.as_of is not None:
            title.append("  ")
            title.append(f"last known, as of {fmt.clock_hm(app.as_of)}", style=STALE_STYLE)
        if app.full_note:
            title.append("  ")
            title.append(app.full_note, style="yellow")
        self.query_one("#leases-title", Static).update(title)

        rules = self.app.thresholds
        rows = {}
        for lease in app.shards:
            switches = lease.owner_switches
            row = (
                fmt.plain(lease.shard_id),
                fmt.plain(lease.owner) if lease.owner else Text("UNOWNED", style="bold red"),
                Text(fmt.duration_ms(lease.lag_ms), justify="right"),
                status_text(lease.status),
                Text(
                    fmt.DASH if switches is None else str(switches),
                    style="bold red" if rules.thrashing(switches) else "",
                    justify="right",
                ),
                fmt.plain(_short(lease.checkpoint)),
                Text(
                    fmt.DASH if lease.lease_counter is None else str(lease.lease_counter),
                    justify="right",
                ),
                fmt.plain(", ".join(lease.parents) or None),
            )
            if app.stale:  # the last known leases
                for cell in row:
                    cell.stylize(STALE_STYLE)
            rows[lease.shard_id] = row
        self.table.show_rows(rows)

        balance = Text()
        balance.append("leases by worker  ", style="bold")
        for owner, count in sorted(app.workers.items(), key=lambda x: (-x[1], x[0])):
            balance.append(f"{owner} ")  # literal: owner names come from another program
            balance.append(f"{count}   ", style="dim")
        if app.unowned:
            balance.append(f"unowned {app.unowned}   ", style="bold red")
        if app.thrashing:
            balance.append(f"thrashing: {', '.join(app.thrashing)}", style="bold red")
        if app.stale:
            balance.stylize(STALE_STYLE)
        self.query_one("#leases-note", Static).update(balance)


def _short(checkpoint: str | None) -> str | None:
    """Sequence numbers are 56 digits; the tail is what differs between checkpoints."""
    if checkpoint and checkpoint.isdigit() and len(checkpoint) > 22:
        return "…" + checkpoint[-21:]
    return checkpoint
