"""Rendering budget: how long applying one snapshot takes, what drawing the screen then costs,
and what an idle dashboard costs.

    python benchmarks/render.py [--streams 1000 2000] [--rounds 5] [--idle 20]

For the overview with N streams (160x50 terminal), each of three tables is given the same
snapshots in the same process: kmon's StreamsTable (a line-API widget: apply re-sorts and
re-measures, rows are rendered only when drawn), and as baselines the DataTable it replaced
(cells diffed by row key) and a DataTable rebuilt from scratch each poll. For each: the apply
call, drawing the visible lines right after it (render_line for every line on screen, caches
cold as they are after an apply), and the wall time until the app is idle again (Textual's
own refresh, and whatever work a DataTable defers). When every stream changes and when one in
ten does. Then the whole snapshot handler (header, table, usage bar) with StreamsTable; sort,
filter and scroll latency at the largest fleet; the detail screen's apply; the CPU an idle
dashboard uses between refreshes (headless, default 60 s refresh).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.ui.fleet

from rich.text import Text  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from kmon.model.health import Health  # noqa: E402
from kmon.model.rules import Thresholds  # noqa: E402
from kmon.model.snapshot import ApiUsage, FleetSnapshot, SourceStatus, StreamState  # noqa: E402
from kmon.ui.app import KmonApp  # noqa: E402
from kmon.ui.messages import SnapshotReady  # noqa: E402
from kmon.ui.screens.stream import StreamScreen  # noqa: E402
from kmon.ui.widgets.streams_table import (  # noqa: E402
    COLUMN_BY_KEY,
    COLUMNS,
    StreamsTable,
    View,
    sort_order,
)

NOW = datetime(2026, 11, 25, 12, 0, 30, tzinfo=timezone.utc)
MIB = 1024 * 1024
HEALTHS = (Health.OK, Health.OK, Health.OK, Health.WARN, Health.CRIT)


def fleet(n: int, tick: int, churn: float = 1.0) -> FleetSnapshot:
    """``n`` streams at minute ``tick``; only the first ``churn`` of every hundred change."""
    streams = tuple(_stream(i, tick if i % 100 < churn * 100 else 0) for i in range(n))
    at = NOW + timedelta(seconds=60 * tick)
    return FleetSnapshot(
        generated_at=at,
        region="us-east-1",
        account="123456789012",
        endpoint=None,
        profile=None,
        refresh_sec=60,
        streams=streams,
        sources=(SourceStatus("streams", at),),
        api=ApiUsage(calls=0, metrics_requested=0, calls_per_min=0, metrics_per_hour=0),
    )


def _stream(i: int, tick: int) -> StreamState:
    """Stream ``i`` at minute ``tick``: every rate, age and utilization its own value (as in
    a real fleet, where no two streams move exactly alike), whole counts shared."""
    jitter = i / 2000
    return StreamState(
        name=f"stream-{i:04d}",
        arn=None,
        status="ACTIVE",
        mode="PROVISIONED",
        open_shards=1 + i % 8,
        retention_hours=24,
        efo_consumers=i % 3,
        incoming_bytes_per_sec=((i * 37 + tick * 101) % 997 + jitter) * 1024.0,
        incoming_records_per_sec=(i * 13 + tick * 7) % 900 + jitter,
        outgoing_bytes_per_sec=((i * 17 + tick * 29) % 991 + jitter) * 1024.0,
        write_bytes_utilization_pct=(i * 7 + tick) % 120 + jitter,
        iterator_age_ms=(i * 331 + tick * 1000) % 90_000 + jitter,
        write_throttled_per_min=float(i % 5 == 0) * tick,
        read_throttled_per_min=0.0,
        health=HEALTHS[(i + tick) % 5],
    )


async def apply(app: KmonApp, pilot, snap: FleetSnapshot) -> float:
    """Time the snapshot handler itself (what the UI thread spends per poll), then let the
    screen render before the next one."""
    t0 = time.perf_counter()
    app.on_snapshot_ready(SnapshotReady(snap))
    elapsed = time.perf_counter() - t0
    await pilot.pause()
    return elapsed


def _shown(cell: object) -> object:
    """A cell as the eye sees it, for change checks (what the replaced table compared)."""
    if isinstance(cell, Text):
        return (cell.plain, str(cell.style), tuple(cell.spans), cell.justify)
    return cell


OLD_WIDTHS = {
    "name": 24, "health": 12, "cause": 30, "write_util": 6, "iter_age": 8, "write_thr": 5,
    "read_thr": 5, "in_bytes": 10, "out_bytes": 10, "worst_lag": 22, "shards": 6, "status": 8,
    "mode": 6, "in_records": 8, "efo": 3, "retention": 6,
}  # fmt: skip


class DiffedDataTable(DataTable):
    """Baseline: the overview table kmon had before, a DataTable whose rows are keyed by
    stream name and updated cell by cell (only the cells whose text or colour changed), with
    the same columns and cells as StreamsTable."""

    def __init__(self, rules: Thresholds = Thresholds(), **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.rules = rules
        self.now = 0.0
        self.sort_column = "health"
        self.sort_descending = True
        self.filter_text = ""
        self._streams: tuple[StreamState, ...] = ()
        self._cells: dict[str, tuple[object, ...]] = {}
        self._states: dict[str, StreamState] = {}
        self._order: list[str] = []

    def on_mount(self) -> None:
        for col in COLUMNS:
            # the replaced table's fixed widths, with room for the label and the sort arrow
            width = max(OLD_WIDTHS[col.key], len(col.label) + 2)
            self.add_column(col.label, key=col.key, width=width)

    def selected(self) -> str | None:
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:
            return None

    def set_sort(self, column: str) -> None:
        if column == self.sort_column:
            self.sort_descending = not self.sort_descending
        else:
            self.sort_column = column
            self.sort_descending = COLUMN_BY_KEY[column].numeric
        self._refresh_rows()

    def set_filter(self, text: str) -> None:
        self.filter_text = text
        self._refresh_rows()

    def show(self, streams: tuple[StreamState, ...], now: float) -> None:
        self._streams = streams
        self.now = now
        self._refresh_rows()

    def _cells_of(self, s: StreamState) -> tuple[Text, ...]:
        view = View(self.rules, self.now)
        cells = tuple(col.render(s, view) for col in COLUMNS)
        for col, cell in zip(COLUMNS, cells):
            cell.justify = col.justify
            if s.stale:
                cell.stylize("dim")
        return cells

    def _refresh_rows(self) -> None:
        selected = self.selected()
        needle = self.filter_text.strip().lower()
        rows = [s for s in self._streams if needle in s.name.lower()]
        wanted = {s.name for s in rows}
        changed_rows = False
        for name in [n for n in self._cells if n not in wanted]:
            self.remove_row(name)
            del self._cells[name]
            self._states.pop(name, None)
            changed_rows = True
        for s in rows:
            if self._states.get(s.name) == s and s.name in self._cells and not s.since:
                continue
            self._states[s.name] = s
            cells = self._cells_of(s)
            signature = tuple(_shown(c) for c in cells)
            old = self._cells.get(s.name)
            if old is None:
                self.add_row(*cells, key=s.name)
                changed_rows = True
            elif old != signature:
                for col, cell, before, after in zip(COLUMNS, cells, old, signature):
                    if before != after:
                        self.update_cell(s.name, col.key, cell)
            self._cells[s.name] = signature
        order = sort_order(rows, self.sort_column, self.sort_descending)
        if changed_rows or order != self._order:
            index = {name: i for i, name in enumerate(order)}
            self.sort("name", key=lambda cell: index[cell.plain])
            self._order = order
            if selected in wanted:
                self.move_cursor(row=self.get_row_index(selected), animate=False)

    def page_down(self) -> None:
        self.action_page_down()


class RebuiltDataTable(DiffedDataTable):
    """Baseline: the same DataTable cleared and filled again on every poll, in display
    order."""

    def _refresh_rows(self) -> None:
        selected = self.selected()
        self.clear()
        needle = self.filter_text.strip().lower()
        rows = [s for s in self._streams if needle in s.name.lower()]
        by_name = {s.name: s for s in rows}
        for name in sort_order(rows, self.sort_column, self.sort_descending):
            self.add_row(*self._cells_of(by_name[name]), key=name)
        if selected in by_name:
            self.move_cursor(row=self.get_row_index(selected), animate=False)


class KmonTable(StreamsTable):
    def page_down(self) -> None:
        self.action_cursor_page_down()


TABLES: dict[str, Callable[[], DataTable | StreamsTable]] = {
    "StreamsTable (line API)": KmonTable,
    "DataTable, diffed by key": DiffedDataTable,
    "DataTable, rebuilt": RebuiltDataTable,
}


class Host(App):
    """One table filling a terminal, nothing else."""

    CSS = "#table { height: 1fr; }"

    def __init__(self, make: Callable[[], DataTable | StreamsTable]) -> None:
        super().__init__()
        self.make = make

    def compose(self) -> ComposeResult:
        yield self.make(id="table")


def draw(table) -> float:
    """Render every line on screen, as the compositor does after a change."""
    t0 = time.perf_counter()
    for y in range(table.size.height):
        table.render_line(y)
    return time.perf_counter() - t0


async def timed(pilot, table, action: Callable[[], object]) -> tuple[float, float, float]:
    """(the call, drawing what is on screen after it, wall time until idle again)."""
    t0 = time.perf_counter()
    action()
    call = time.perf_counter() - t0
    drawn = draw(table)
    t1 = time.perf_counter()
    await pilot.pause()
    return call, drawn, time.perf_counter() - t1 + call


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.1f}"


async def table_apply(make, n: int, rounds: int, churn: float) -> tuple[list, list, list, float]:
    app = Host(make)
    async with app.run_test(size=(160, 50)) as pilot:
        table = app.query_one("#table")
        table.focus()
        await pilot.pause()
        first = fleet(n, 0)
        t0 = time.perf_counter()
        table.show(first.streams, first.generated_at.timestamp())
        first_apply = time.perf_counter() - t0
        await pilot.pause()
        calls, draws, settles = [], [], []
        for k in range(1, rounds + 1):
            snap = fleet(n, k, churn)
            at = snap.generated_at.timestamp()
            call, drawn, settle = await timed(
                pilot, table, lambda snap=snap, at=at: table.show(snap.streams, at)
            )
            calls.append(call)
            draws.append(drawn)
            settles.append(settle)
    return calls, draws, settles, first_apply


async def interactions(make, n: int, rounds: int) -> dict[str, list[float]]:
    """Sort, filter and scroll at ``n`` streams: the call plus drawing the screen."""
    app = Host(make)
    out: dict[str, list[float]] = {}
    async with app.run_test(size=(160, 50)) as pilot:
        table = app.query_one("#table")
        table.focus()
        snap = fleet(n, 1)
        table.show(snap.streams, snap.generated_at.timestamp())
        await pilot.pause()
        steps = [
            ("sort by incoming bytes (I)", lambda: table.set_sort("in_bytes")),
            ("sort again, reversed", lambda: table.set_sort("in_bytes")),
            ("sort by name (N)", lambda: table.set_sort("name")),
            ("filter 'stream-01' (100 left)", lambda: table.set_filter("stream-01")),
            ("clear the filter", lambda: table.set_filter("")),
            ("page down", table.page_down),
        ]
        for _ in range(rounds):
            for label, action in steps:
                call, drawn, _ = await timed(pilot, table, action)
                out.setdefault(label, []).append(call + drawn)
            table.set_sort("health")
            await pilot.pause()
    return out


async def handler(n: int, rounds: int, churn: float) -> list[float]:
    """The whole snapshot handler on the overview (header, table, usage bar)."""
    app = KmonApp(None, refresh_sec=60, clock=lambda: NOW)
    async with app.run_test(size=(160, 50)) as pilot:
        app.on_snapshot_ready(SnapshotReady(fleet(n, 0)))
        await pilot.pause()
        times = []
        for k in range(1, rounds + 1):
            snap = fleet(n, k, churn)
            t0 = time.perf_counter()
            app.on_snapshot_ready(SnapshotReady(snap))
            times.append(time.perf_counter() - t0)
            await pilot.pause()
        assert isinstance(app.screen.query_one(StreamsTable), StreamsTable)
    return times


async def overview(sizes: list[int], rounds: int) -> None:
    print("overview, 160x50 terminal: apply a snapshot, then draw the visible lines (ms, median")
    print(f"of {rounds}; settle = apply until the app is idle again, Textual's refresh included)")
    print(f"{'streams':>7} {'changed':>8}  {'table':<26}{'apply':>8}{'draw':>8}{'settle':>8}")
    for n in sizes:
        for churn in (1.0, 0.1):
            for label, make in TABLES.items():
                calls, draws, settles, _ = await table_apply(make, n, rounds, churn)
                print(f"{n:>7} {churn:>8.0%}  {label:<26}{ms(calls)}{ms(draws)}{ms(settles)}")
    print()
    print("the whole snapshot handler with StreamsTable (header, table, usage bar), ms")
    for n in sizes:
        for churn in (1.0, 0.1):
            times = await handler(n, rounds, churn)
            print(f"{n:>7} {churn:>8.0%}  {'on_snapshot_ready':<26}{ms(times)}")
    print()
    n = max(sizes)
    print(f"interaction at {n} streams: the call plus drawing the screen, ms (median of {rounds})")
    results = {label: await interactions(make, n, rounds) for label, make in TABLES.items()}
    labels = list(TABLES)
    print(f"{'':<32}" + "".join(f"{label.split(' (')[0]:>26}" for label in labels))
    for step in results[labels[0]]:
        print(f"{step:<32}" + "".join(f"{ms(results[label][step]):>26}" for label in labels))


async def detail(rounds: int) -> None:
    from tests.ui.fleet import detail as make_detail
    from tests.ui.fleet import snapshot

    app = KmonApp(None, refresh_sec=60, clock=lambda: NOW)
    async with app.run_test(size=(160, 50)) as pilot:
        await apply(app, pilot, snapshot())
        app.open_stream("payments-ledger")
        await pilot.pause()
        times = []
        for k in range(rounds):
            at = NOW + timedelta(seconds=60 * k)
            snap = replace(snapshot(at=at), detail=make_detail(at=at))
            times.append(await apply(app, pilot, snap))
        same = [await apply(app, pilot, snap) for _ in range(rounds)]
        assert isinstance(app.screen, StreamScreen)
    print("detail screen, 4 panels (5 charts, 60 points each)")
    print(f"  apply with new data                {statistics.median(times) * 1000:8.1f} ms")
    print(f"  apply with unchanged data          {statistics.median(same) * 1000:8.1f} ms")
    ratio = statistics.median(same) / statistics.median(times)
    print(f"  unchanged / new                    {ratio:8.2f}")


async def idle(seconds: float, n: int) -> None:
    app = KmonApp(None, refresh_sec=60)
    async with app.run_test(size=(160, 50)) as pilot:
        await apply(app, pilot, fleet(n, 0))
        await pilot.pause(1)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    print(f"idle dashboard between refreshes ({n} streams, headless, {seconds:g} s)")
    print(f"  CPU, overview                      {cpu / wall * 100:8.2f} % of one core")


async def idle_detail(seconds: float) -> None:
    from tests.ui.fleet import detail as make_detail
    from tests.ui.fleet import snapshot

    app = KmonApp(None, refresh_sec=60)
    async with app.run_test(size=(160, 50)) as pilot:
        await apply(app, pilot, snapshot())
        app.open_stream("payments-ledger")
        await pilot.pause()
        await apply(app, pilot, replace(snapshot(), detail=make_detail()))
        await pilot.pause(1)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    print(f"  CPU, detail screen (4 panels)      {cpu / wall * 100:8.2f} % of one core")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, nargs="+", default=[1000, 2000])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--idle", type=float, default=20.0)
    args = parser.parse_args()
    # A shared or busy machine runs everything slower: this says how fast this one was.
    t0 = time.perf_counter()
    for _ in range(2000):
        sum(range(1000))
    print(f"machine: sum(range(1000)) takes {(time.perf_counter() - t0) * 500:.1f} µs", end="")
    print(" (about 10 µs on an idle modern core)")
    print()
    # Every number and health changing at once is the worst case; a real fleet's minute
    # changes some of them.
    asyncio.run(overview(args.streams, args.rounds))
    print()
    asyncio.run(detail(args.rounds))
    asyncio.run(idle(args.idle, 50))
    asyncio.run(idle_detail(args.idle))


if __name__ == "__main__":
    main()
