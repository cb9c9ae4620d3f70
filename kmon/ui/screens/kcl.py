"""A KCL application's leases: who owns each shard, where it checkpointed, how far behind it
is, and how the leases are spread over the workers."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from kmon.model.snapshot import FleetSnapshot
from kmon.ui import format as fmt
from kmon.ui.screens.base import TableScreen
from kmon.ui.styles import status_text
from kmon.ui.widgets.tables import sync_rows

# What an on-call engineer reads first fits in 80 columns; the rest scrolls.
COLUMNS = (
    ("shard", "Shard", 20),
    ("owner", "Owner", 22),
    ("lag", "Lag", 8),
    ("status", "Status", 9),
    ("switches", "Switches", 8),
    ("checkpoint", "Checkpoint", 22),
    ("counter", "Lease #", 8),
    ("parents", "Parents", 22),
)


class KclScreen(TableScreen):
    TABLE_ID = "leases"
    COLUMNS = COLUMNS

    def __init__(self, stream: str, application: str) -> None:
        super().__init__()
        self.stream_name = stream
        self.application = application

    def show(self, snapshot: FleetSnapshot) -> None:
        self.header.show(snapshot)
        stream = snapshot.stream(self.stream_name)
        app = None
        if stream is not None:
            app = next(
                (c for c in stream.consumers if c.kind == "kcl" and c.name == self.application),
                None,
            )
        title = Text()
        title.append(self.application, style="bold")
        title.append(f"  KCL application on {self.stream_name}")
        if app is None:
            title.append("  (no longer found)", style="red")
            self.query_one("#leases-title", Static).update(title)
            return
        title.append("  table ")
        title.append(app.table or fmt.DASH)
        title.append("  lag ")
        title.append(fmt.duration_ms(app.lag_ms), style="bold")
        title.append("  ")
        title.append_text(status_text(app.status))
        if app.full_note:
            title.append("  " + app.full_note, style="yellow")
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
                Text(fmt.DASH if lease.lease_counter is None else str(lease.lease_counter)),
                fmt.plain(", ".join(lease.parents) or None),
            )
            rows[lease.shard_id] = row
        sync_rows(self.table, rows, [key for key, _, _ in COLUMNS])

        balance = Text()
        balance.append("leases by worker  ", style="bold")
        for owner, count in sorted(app.workers.items(), key=lambda x: (-x[1], x[0])):
            balance.append(owner)  # literal: owner names come from another program
            balance.append(f" {count}   ", style="dim")
        if app.unowned:
            balance.append(f"unowned {app.unowned}", style="bold red")
        if app.thrashing:
            balance.append(f"   thrashing: {', '.join(app.thrashing)}", style="bold red")
        self.query_one("#leases-note", Static).update(balance)


def _short(checkpoint: str | None) -> str | None:
    """Sequence numbers are 56 digits; the tail is what differs between checkpoints."""
    if checkpoint and checkpoint.isdigit() and len(checkpoint) > 22:
        return "…" + checkpoint[-21:]
    return checkpoint
