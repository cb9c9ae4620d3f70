"""A stream's shards: open or closed, lineage, hash-key share, and per-shard load when
enhanced monitoring is on, with hot shards flagged."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from kmon.model import limits
from kmon.model.detail import ShardRow
from kmon.model.rules import Thresholds
from kmon.model.snapshot import FleetSnapshot
from kmon.ui import format as fmt
from kmon.ui.screens.base import TableScreen
from kmon.ui.widgets.tables import Col, FitTable

# Widths come from the cells. What tells a hot shard comes first and goes last: on 80 columns
# the shard, its HOT flag, Write% and write throttles stay, and Parent, State, R thr go first.
COLUMNS = (
    Col("shard", "Shard", 0),
    Col("hot", "Hot", 1),
    Col("write", "Write%", 1),
    Col("wthr", "W thr", 1),
    Col("in", "In", 2),
    Col("in_rec", "In rec", 2),
    Col("age", "Iter age", 3),
    Col("share", "Keys", 3),
    Col("out", "Out", 4),
    Col("rthr", "R thr", 4),
    Col("state", "State", 5),
    Col("parent", "Parent", 6),
)

ENHANCED_OFF = (
    "Enhanced (shard-level) monitoring is off for this stream, so per-shard load is not "
    "published. Enable it with: aws kinesis enable-enhanced-monitoring --stream-name {name} "
    "--shard-level-metrics ALL{where}. Each shard-level metric is billed as a CloudWatch metric "
    "(about ${per_metric:.2f} per metric per month): 7 metrics x {shards} open shards is about "
    "${cost:.2f} a month."
)


class ShardsScreen(TableScreen):
    TABLE_ID = "shards"
    COLUMNS = COLUMNS

    def __init__(self, stream: str) -> None:
        super().__init__()
        self.stream_name = stream

    @property
    def table(self) -> FitTable:
        return self.query_one("#shards", FitTable)

    def show(self, snapshot: FleetSnapshot) -> None:
        self.header.show(snapshot)
        detail = snapshot.detail
        if detail is None or detail.name != self.stream_name:
            return
        shards = detail.shards
        state = snapshot.stream(self.stream_name)
        open_count = sum(1 for s in shards if s.is_open)
        rules = self.app.thresholds
        hot = [s for s in shards if s.is_open and _hot(s, rules)]
        title = Text()
        # Separating spaces end a span: the SVG export drops a span's leading spaces.
        title.append(f"{self.stream_name}  ", style="bold")
        title.append(f"shards: {open_count} open, {len(shards) - open_count} closed")
        if hot:
            title.append("  ")
            title.append(f"{len(hot)} HOT", style="bold red")
        self.query_one("#shards-title", Static).update(title)
        ordered = sorted(shards, key=lambda s: (not s.is_open, s.shard_id))
        self.table.show_rows(
            {s.shard_id: _row(s, detail.enhanced_monitoring, rules) for s in ordered}
        )
        note = self.query_one("#shards-note", Static)
        if detail.enhanced_monitoring:
            note.update(
                Text(
                    f"HOT: a shard at {rules.shard_hot_pct:g}% of its write limit (1 MiB/s or "
                    "1,000 records/s) or throttled; hot partition keys concentrate there.",
                    style="dim",
                )
            )
        else:
            note.update(
                Text(
                    ENHANCED_OFF.format(
                        # The stream's own name (not its key), and where it is.
                        name=state.name if state else self.stream_name,
                        where=f" --region {state.region}" if state and state.region else "",
                        shards=open_count,
                        per_metric=limits.CLOUDWATCH_USD_PER_METRIC_MONTH,
                        cost=7 * open_count * limits.CLOUDWATCH_USD_PER_METRIC_MONTH,
                    ),
                    style="yellow",
                )
            )


def _hot(s: ShardRow, rules: Thresholds) -> bool:
    return rules.shard_hot(s.write_utilization_pct, s.write_throttled)


def _row(s: ShardRow, enhanced: bool, rules: Thresholds) -> tuple[Text, ...]:
    def num(text: str, style: str = "") -> Text:
        return Text(text, style=style, justify="right")

    util = s.write_utilization_pct
    util_style = fmt.util_style(rules.utilization(util))
    off = not enhanced or not s.is_open
    cells = {
        "shard": fmt.plain(s.shard_id),
        "hot": Text("▲ HOT", style="bold red") if s.is_open and _hot(s, rules) else Text(""),
        "write": num(fmt.DASH if off else fmt.pct(util), util_style),
        "wthr": num(
            fmt.DASH if off else fmt.count(s.write_throttled),
            "bold red" if s.write_throttled else "",
        ),
        "in": num(fmt.DASH if off else fmt.bytes_rate(s.incoming_bytes_per_sec)),
        "in_rec": num(fmt.DASH if off else fmt.count_rate(s.incoming_records_per_sec)),
        "age": num(fmt.DASH if off else fmt.duration_ms(s.iterator_age_ms)),
        # Closed shards' key ranges now belong to their children.
        "share": num(f"{s.hash_share_pct:.1f}%" if s.is_open else fmt.DASH),
        "out": num(fmt.DASH if off else fmt.bytes_rate(s.outgoing_bytes_per_sec)),
        "rthr": num(
            fmt.DASH if off else fmt.count(s.read_throttled), "bold red" if s.read_throttled else ""
        ),
        "state": Text("open" if s.is_open else "closed", style="" if s.is_open else "dim"),
        "parent": fmt.plain(s.parent + (" +1" if s.adjacent_parent else "") if s.parent else None),
    }
    return tuple(cells[c.key] for c in COLUMNS)
