"""A large fleet from the first second: the real dashboard on the real collector against
moto's server over HTTP, with N streams (a few with enhanced fan-out consumers).

    python benchmarks/large_fleet.py [--streams 2000] [--baseline 200]

moto 5.2 describes a stream without its ConsumerCount, which AWS includes: here it is
added, as AWS does, so kmon lists only the streams that have consumers (--as-moto leaves it
out: then every stream's consumers must be listed, the emulator's worst case).

Measures, as the user sees it at 160x45, from the app's start: the time to a full first
screen (every visible row named, the header past "loading…"), whether STALE shows on fresh
data, the time until every stream is described and until nothing is left to read (first
consumer listings too), each API's peak rate (the most requests in any one-second window,
every HTTP request counted with its time), and, with every stream loaded, the time from each
sort key and each filter keystroke to the next frame drawn. --baseline streams are measured
first, the same way. moto runs in a process of its own, as AWS would be elsewhere.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import logging
import multiprocessing
import statistics
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import boto3
from moto.kinesis.models import Stream
from moto.server import ThreadedMotoServer

from kmon.collector import kinesis as kinesis_api
from kmon.collector.collector import Collector, CollectorOptions
from kmon.collector.consumers import LIST_CONSUMERS_PER_SEC
from kmon.model.limits import API_RATES_PER_SEC
from kmon.ui.app import KmonApp
from kmon.ui.widgets.streams_table import COLUMNS, CURSOR_MARK, StreamsTable

REGION = "us-east-1"
FIRST_SCREEN_BUDGET_S = 15.0
KEY_BUDGET_MS = 100.0
LABEL = 48  # the label column of the printed table
EFO_EVERY = 100  # every 100th stream has EFO consumers
EFO_PER_STREAM = 2


@dataclass
class Run:
    streams: int
    first_screen_s: float | None = None
    first_poll_s: float | None = None
    poll_s: list[float] = field(default_factory=list)
    stale_first: bool | None = None
    stale_seen_at: float | None = None  # first time STALE showed, s after start
    described_s: float | None = None
    settled_s: float | None = None  # nothing pending: every description and listing read
    listed: int = 0  # streams whose consumers were listed
    efo_shown_s: float | None = None  # every registered consumer counted on its row
    calls: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    sort_ms: list[float] = field(default_factory=list)
    filter_ms: list[float] = field(default_factory=list)


class Requests:
    """Every request the collector sends, with its time (it counts them before sending)."""

    def __init__(self, collector: Collector, run: Run, t0: list[float]) -> None:
        self._count = collector.accounting.count_call
        self._run = run
        self._t0 = t0
        self._lock = threading.Lock()
        collector.accounting.count_call = self  # type: ignore[method-assign]

    def __call__(self, api: str) -> None:
        with self._lock:
            self._run.calls[api].append(time.perf_counter() - self._t0[0])
        self._count(api)


def peak_per_sec(times: list[float]) -> int:
    """The most requests in any one-second window."""
    times = sorted(times)
    return max((bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)


def create_fleet(url: str, n: int) -> None:
    kw = dict(
        endpoint_url=url, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    client = boto3.client("kinesis", **kw)
    names = [f"stream-{i:04d}" for i in range(n)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda name: client.create_stream(StreamName=name, ShardCount=1), names))
    for name in names[::EFO_EVERY]:
        arn = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
            "StreamARN"
        ]
        for k in range(EFO_PER_STREAM):
            client.register_stream_consumer(StreamARN=arn, ConsumerName=f"{name}-efo-{k}")


def visible_rows(table: StreamsTable) -> list[str]:
    """The table's rows as drawn (header and status line left out)."""
    height = table.size.height
    return [
        table.render_line(y).text.lstrip(CURSOR_MARK).strip() for y in range(1, max(1, height - 1))
    ]


def full_screen(app: KmonApp, n: int) -> bool:
    if app.snapshot is None or "loading…" in app.screen.header.render_text().plain:
        return False
    table = app.screen.query_one(StreamsTable)
    rows = visible_rows(table)
    wanted = min(n, len(rows))
    return table.row_count >= wanted and all(r.startswith("stream-") for r in rows[:wanted])


class Frames:
    """When each frame is drawn (headless, it is composed but not written anywhere)."""

    def __init__(self, app: KmonApp) -> None:
        self.times: list[float] = []
        self._display = app._display
        app._display = self  # type: ignore[method-assign]

    def __call__(self, screen, renderable) -> None:
        self._display(screen, renderable)
        if renderable is not None:
            self.times.append(time.perf_counter())


async def timed_key(pilot, frames: Frames, key: str) -> float:
    """Milliseconds from the key to the first frame drawn after it."""
    t = time.perf_counter()
    await pilot.press(key)
    await pilot.pause()
    drawn = [f for f in frames.times if f > t]
    if not drawn:
        raise SystemExit(f"no frame was drawn after {key!r}")
    return (drawn[0] - t) * 1000


async def drive(app: KmonApp, run: Run, t0: list[float], timeout: float, wanted_efo: int) -> None:
    async with app.run_test(size=(160, 45)) as pilot:
        t0[0] = time.perf_counter()
        frames = Frames(app)
        n = run.streams
        said = 0.0
        while time.perf_counter() - t0[0] < timeout:
            await asyncio.sleep(0.05)
            now = time.perf_counter() - t0[0]
            if now - said >= 60:
                said = now
                print(
                    f"  {now:4.0f} s: {len(run.calls.get('DescribeStreamSummary', [])):,} "
                    f"descriptions, consumers of {run.listed:,} streams listed",
                    flush=True,
                )
            header = app.screen.header.render_text().plain
            if "STALE" in header and run.stale_seen_at is None:
                run.stale_seen_at = now
            if run.first_screen_s is None and full_screen(app, n):
                run.first_screen_s = now
                run.stale_first = "STALE" in header
            snap = app.snapshot
            if snap is None:
                continue
            if run.described_s is None and len(snap.streams) == n:
                if all(s.described_at is not None for s in snap.streams):
                    run.described_s = now
            shown = sum(s.efo_consumers or 0 for s in snap.streams)
            if run.efo_shown_s is None and shown >= wanted_efo:
                run.efo_shown_s = now
            if run.settled_s is None and not snap.pending and len(snap.streams) == n:
                run.settled_s = now
            if None not in (run.described_s, run.efo_shown_s, run.settled_s):
                break
        await pilot.pause(0.5)
        table = app.screen.query_one(StreamsTable)
        for col in COLUMNS:  # each key twice: largest first, then reversed
            run.sort_ms.append(await timed_key(pilot, frames, col.sort_key))
            run.sort_ms.append(await timed_key(pilot, frames, col.sort_key))
        assert table.sort_column == COLUMNS[-1].key
        await pilot.press("slash")
        await pilot.pause()
        for ch in "012":
            run.filter_ms.append(await timed_key(pilot, frames, ch))
        assert table.filter_text == "012"
        for _ in "012":
            run.filter_ms.append(await timed_key(pilot, frames, "backspace"))
        assert table.row_count == n


def serve(conn, as_moto: bool) -> None:
    """moto's server, in a process of its own as AWS is: its work and its memory are not
    kmon's (a garbage collection in kmon's process would otherwise walk moto's objects too)."""
    # moto answers a few calls it does not implement with a logged traceback: not kmon's.
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    if not as_moto:
        Stream.to_json_summary = with_consumer_count  # type: ignore[method-assign]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    conn.send(server.get_host_and_port())
    conn.recv()  # until told to stop
    server.stop()


def measure(n: int, refresh: float, timeout: float, as_moto: bool) -> Run:
    ours, theirs = multiprocessing.Pipe()
    moto = multiprocessing.Process(target=serve, args=(theirs, as_moto), daemon=True)
    moto.start()
    host, port = ours.recv()
    url = f"http://{host}:{port}"
    try:
        print(f"creating {n} streams…", flush=True)
        create_fleet(url, n)
        run = Run(n)
        t0 = [time.perf_counter()]
        collector = Collector(
            CollectorOptions(region=REGION, endpoint_url=url, emulator=True, refresh=refresh)
        )
        Requests(collector, run, t0)
        arns: set[str] = set()
        real_list = kinesis_api.list_consumers

        def list_consumers(client, stream_arn, gate=kinesis_api._noop):
            found = real_list(client, stream_arn, gate)
            arns.add(stream_arn)
            run.listed = len(arns)
            return found

        kinesis_api.list_consumers = list_consumers
        first_poll = collector.poll

        def poll():
            started = time.perf_counter()
            snap = first_poll()
            run.poll_s.append(time.perf_counter() - started)
            if run.first_poll_s is None:
                run.first_poll_s = run.poll_s[0]
            return snap

        app = KmonApp(
            poll,
            focus=collector.set_focus,
            retry=collector.retry_now,
            refresh_sec=refresh,
            context={"endpoint": url},
        )
        wanted_efo = len(range(0, n, EFO_EVERY)) * EFO_PER_STREAM
        print(f"running the dashboard on {n} streams…", flush=True)
        try:
            asyncio.run(drive(app, run, t0, timeout, wanted_efo))
        finally:
            kinesis_api.list_consumers = real_list
        return run
    finally:
        ours.send("stop")
        moto.join(10)


def fmt_s(value: float | None, timeout: float) -> str:
    return f"> {timeout:.0f} s" if value is None else f"{value:.1f} s"


def report(runs: list[Run], timeout: float) -> None:
    width = 18
    head = f"{'':<{LABEL}}" + "".join(f"{f'{r.streams:,} streams':>{width}}" for r in runs)
    print()
    print(head)

    def row(label: str, cells: list[str]) -> None:
        print(f"{label:<{LABEL}}" + "".join(f"{c:>{width}}" for c in cells))

    row(
        f"full first screen (budget {FIRST_SCREEN_BUDGET_S:.0f} s)",
        [fmt_s(r.first_screen_s, timeout) for r in runs],
    )
    row("first poll", [fmt_s(r.first_poll_s, timeout) for r in runs])
    row(
        "polls, median / max",
        [
            f"{len(r.poll_s)}: {statistics.median(r.poll_s):.1f} / {max(r.poll_s):.1f} s"
            for r in runs
        ],
    )
    row("STALE on first data", ["yes" if r.stale_first else "no" for r in runs])
    row(
        "STALE shown at all",
        ["never" if r.stale_seen_at is None else f"at {r.stale_seen_at:.0f} s" for r in runs],
    )
    row("every stream described", [fmt_s(r.described_s, timeout) for r in runs])
    row("every EFO consumer on its row", [fmt_s(r.efo_shown_s, timeout) for r in runs])
    row("nothing left to read (pending 0)", [fmt_s(r.settled_s, timeout) for r in runs])
    row("streams whose consumers were listed", [f"{r.listed:,}" for r in runs])
    sort_budget = f"sort key, median / max (budget {KEY_BUDGET_MS:.0f} ms)"
    row(
        sort_budget,
        [f"{statistics.median(r.sort_ms):.0f} / {max(r.sort_ms):.0f} ms" for r in runs],
    )
    row(
        "filter key, median / max",
        [f"{statistics.median(r.filter_ms):.0f} / {max(r.filter_ms):.0f} ms" for r in runs],
    )
    print()
    apis = sorted({api for r in runs for api in r.calls})
    print("peak requests in any 1 s (requests in all); the published rate")
    for api in apis:
        published = API_RATES_PER_SEC.get(api)
        label = f"  {api}"
        if api == "ListStreamConsumers":
            label += f" ({published:g}/s a stream; kmon {LIST_CONSUMERS_PER_SEC:g}/s)"
        elif published is not None:
            label += f" ({published:g}/s)"
        cells = []
        for r in runs:
            times = r.calls.get(api, [])
            cells.append(f"{peak_per_sec(times)}/s ({len(times):,})")
        row(label, cells)


def with_consumer_count(self: Stream) -> dict:
    """moto's stream summary with the ConsumerCount AWS puts in it."""
    out = MOTO_SUMMARY(self)
    out["StreamDescriptionSummary"]["ConsumerCount"] = len(self.consumers)
    return out


MOTO_SUMMARY = Stream.to_json_summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--baseline", type=int, default=200, help="0: no baseline run")
    parser.add_argument("--refresh", type=float, default=60.0)
    parser.add_argument(
        "--timeout", type=float, default=1200.0, help="seconds to wait for a whole fleet"
    )
    parser.add_argument("--log", help="write kmon's log to this file")
    parser.add_argument(
        "--as-moto", action="store_true", help="descriptions without ConsumerCount, as moto's"
    )
    args = parser.parse_args()
    if args.log:
        logging.basicConfig(filename=args.log, level=logging.INFO)
    else:
        logging.getLogger("kmon").addHandler(logging.NullHandler())
    sizes = ([args.baseline] if args.baseline else []) + [args.streams]
    runs = [measure(n, args.refresh, args.timeout, args.as_moto) for n in sizes]
    counts = "without ConsumerCount (moto)" if args.as_moto else "with ConsumerCount (as AWS)"
    print(
        f"\nkmon on a fleet of {args.streams:,} streams, 160x45, refresh {args.refresh:g} s, "
        f"descriptions {counts}; {len(range(0, args.streams, EFO_EVERY))} streams have "
        f"{EFO_PER_STREAM} EFO consumers each"
    )
    report(runs, args.timeout)


if __name__ == "__main__":
    main()
