"""Rendering budget: how long applying one snapshot takes, and what an idle dashboard costs.

    python benchmarks/render.py [--streams 1000] [--idle 20]

Prints, for the overview with N streams: the first apply (every row added), a steady apply
(values changed in place, diffed by row key), and a baseline in the same process that
rebuilds the table from scratch each time, with the ratio, when every stream changes and when
one in ten does; then the detail screen's apply;
then the CPU an idle dashboard uses between refreshes (headless, default 60 s refresh).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.ui.fleet

from kmon.model.health import Health  # noqa: E402
from kmon.model.snapshot import ApiUsage, FleetSnapshot, SourceStatus, StreamState  # noqa: E402
from kmon.ui.app import KmonApp  # noqa: E402
from kmon.ui.messages import SnapshotReady  # noqa: E402
from kmon.ui.screens.stream import StreamScreen  # noqa: E402
from kmon.ui.widgets.streams_table import StreamsTable  # noqa: E402

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
    return StreamState(
        name=f"stream-{i:04d}",
        arn=None,
        status="ACTIVE",
        mode="PROVISIONED",
        open_shards=1 + i % 8,
        retention_hours=24,
        efo_consumers=i % 3,
        incoming_bytes_per_sec=(i * 37 + tick * 101) % 997 * 1024.0,
        incoming_records_per_sec=float((i * 13 + tick * 7) % 900),
        outgoing_bytes_per_sec=(i * 17 + tick * 29) % 991 * 1024.0,
        write_bytes_utilization_pct=float((i * 7 + tick) % 120),
        iterator_age_ms=float((i * 331 + tick * 1000) % 90_000),
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


async def overview(n: int, rounds: int, churn: float) -> None:
    app = KmonApp(None, refresh_sec=60, clock=lambda: NOW)
    async with app.run_test(size=(160, 50)) as pilot:
        first = await apply(app, pilot, fleet(n, 0))
        steady = [await apply(app, pilot, fleet(n, k, churn)) for k in range(1, rounds + 1)]
        table = app.screen.query_one(StreamsTable)
        rebuild = []
        for k in range(1, rounds + 1):
            t0 = time.perf_counter()
            table.clear()
            table._cells.clear()
            table._states.clear()
            table._order = []
            app.on_snapshot_ready(SnapshotReady(fleet(n, k, churn)))
            rebuild.append(time.perf_counter() - t0)
            await pilot.pause()
    s, r = statistics.median(steady), statistics.median(rebuild)
    print(f"overview, {n} streams, {churn:.0%} of them changing each poll")
    print(f"  first apply (all rows added)       {first * 1000:8.1f} ms")
    print(f"  steady apply (diffed by row key)   {s * 1000:8.1f} ms  (median of {rounds})")
    print(f"  baseline: rebuild the whole table  {r * 1000:8.1f} ms  (median of {rounds})")
    print(f"  steady / rebuild                   {s / r:8.2f}")


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
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--idle", type=float, default=20.0)
    args = parser.parse_args()
    # Every number and health changing at once is the worst case; a real fleet's minute
    # changes some of them.
    for churn in (1.0, 0.1):
        asyncio.run(overview(args.streams, args.rounds, churn))
    asyncio.run(detail(args.rounds))
    asyncio.run(idle(args.idle, 50))
    asyncio.run(idle_detail(args.idle))


if __name__ == "__main__":
    main()
