"""Measure the demo world against its performance budgets.

    python benchmarks/demo_budget.py [--hours 8] [--seed 7]

Prints: world start time; the collector's first GetMetricData (all streams x 6 overview
metrics, 3 h, one call) with the metric index and with plain moto in the same process; a
refresh-sized call; a detail-screen call; then a fast-forward of N simulated hours (injected
clock, no sleeping) reporting resident memory and GetMetricData time as it goes.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3  # noqa: E402

from kmon.demo import DemoWorld, metric_index  # noqa: E402

OVERVIEW = (
    ("IncomingBytes", "Sum"),
    ("IncomingRecords", "Sum"),
    ("GetRecords.Bytes", "Sum"),
    ("GetRecords.IteratorAgeMilliseconds", "Maximum"),
    ("WriteProvisionedThroughputExceeded", "Sum"),
    ("ReadProvisionedThroughputExceeded", "Sum"),
)
DETAIL = (
    "IncomingBytes",
    "IncomingRecords",
    "GetRecords.Bytes",
    "GetRecords.Records",
    "GetRecords.IteratorAgeMilliseconds",
    "GetRecords.Latency",
    "GetRecords.Success",
    "PutRecords.Bytes",
    "PutRecords.Records",
    "PutRecords.Success",
    "PutRecords.ThrottledRecords",
    "PutRecords.FailedRecords",
    "PutRecords.TotalRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
)

TARGET_START_S = 3.0
BUDGET_DASHBOARD_FULL_S = 5.0
BUDGET_FIRST_GMD_S = 2.0
BUDGET_REFRESH_GMD_S = 1.0
BUDGET_RSS_MB = 500.0


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stat_query(qid: str, stream: str, name: str, stat: str) -> dict[str, Any]:
    return {
        "Id": qid,
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/Kinesis",
                "MetricName": name,
                "Dimensions": [{"Name": "StreamName", "Value": stream}],
            },
            "Period": 60,
            "Stat": stat,
        },
    }


def overview_queries(streams: list[str]) -> list[dict[str, Any]]:
    return [
        stat_query(f"s{i}_{j}", s, name, stat)
        for i, s in enumerate(streams)
        for j, (name, stat) in enumerate(OVERVIEW)
    ]


def timed_gmd(cw: Any, queries: list[dict[str, Any]], start: datetime, end: datetime, runs: int):
    times, points = [], 0
    for _ in range(runs):
        t = time.perf_counter()
        resp = cw.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=end)
        times.append(time.perf_counter() - t)
        points = sum(len(r["Values"]) for r in resp["MetricDataResults"])
    return statistics.median(times), points


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER BUDGET"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=8.0, help="simulated hours to run")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    clock = Clock(datetime.now(timezone.utc))
    rss0 = rss_mb()
    world = DemoWorld(seed=args.seed, clock=clock, run_thread=False)
    world.start()
    try:
        return run(world, clock, args, rss0)
    finally:
        world.stop()


def run(world: DemoWorld, clock: Clock, args: argparse.Namespace, rss0: float) -> int:
    cw = boto3.client(
        "cloudwatch",
        endpoint_url=world.endpoint,
        region_name=world.region,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    streams = world.stream_names
    queries = overview_queries(streams)
    ok = True
    print(f"moto metric store: {world.stored_datapoints()} datapoints after the 3 h backfill")
    # Start time is a target, not a budget of its own: the budget is start + first call.
    print(
        f"world start (server + fleet + 3 h backfill): {world.start_seconds:.2f} s "
        f"[target {TARGET_START_S:.0f} s: {verdict(world.start_seconds <= TARGET_START_S)}]"
    )

    end = world.published_until
    first, points = timed_gmd(cw, queries, end - timedelta(hours=3), end, runs=3)
    print(
        f"first GetMetricData, {len(queries)} queries x 3 h (indexed): {first:.3f} s, "
        f"{points} datapoints [budget {BUDGET_FIRST_GMD_S:.0f} s: "
        f"{verdict(first <= BUDGET_FIRST_GMD_S)}]"
    )
    ok &= first <= BUDGET_FIRST_GMD_S
    full = world.start_seconds + first
    print(
        f"dashboard full after start + first call: {full:.2f} s "
        f"[budget {BUDGET_DASHBOARD_FULL_S:.0f} s: {verdict(full <= BUDGET_DASHBOARD_FULL_S)}]"
    )
    ok &= full <= BUDGET_DASHBOARD_FULL_S

    backend = world.metric_index.backend
    world.metric_index.uninstall()
    plain, plain_points = timed_gmd(cw, queries, end - timedelta(hours=3), end, runs=1)
    world.metric_index = metric_index.install(backend)
    print(
        f"first GetMetricData, plain moto (same process, same data): {plain:.3f} s, "
        f"{plain_points} datapoints -> index is {plain / first:.0f}x faster"
        f"{'' if plain_points == points else ' (DATAPOINT COUNTS DIFFER)'}"
    )
    ok &= plain_points == points

    refresh0, _ = timed_gmd(cw, queries, end - timedelta(minutes=5), end, runs=5)
    print(
        f"refresh GetMetricData, {len(queries)} queries x 5 min: {refresh0 * 1000:.1f} ms "
        f"[budget {BUDGET_REFRESH_GMD_S:.0f} s: {verdict(refresh0 <= BUDGET_REFRESH_GMD_S)}]"
    )
    ok &= refresh0 <= BUDGET_REFRESH_GMD_S
    detail_q = [stat_query(f"d{j}", "payments-ledger", n, "Sum") for j, n in enumerate(DETAIL)]
    detail, _ = timed_gmd(cw, detail_q, end - timedelta(hours=24), end, runs=3)
    print(
        f"detail GetMetricData, {len(detail_q)} queries x 24 h window, one stream: "
        f"{detail * 1000:.1f} ms"
    )

    minutes = int(args.hours * 60)
    print(
        f"\nfast-forward {args.hours:g} h ({minutes} simulated minutes), RSS at start "
        f"{rss_mb():.0f} MB (process before the world: {rss0:.0f} MB)"
    )
    print(
        f"{'sim h':>6} {'RSS MB':>7} {'store':>7} {'first GMD s':>12} {'refresh ms':>11} "
        f"{'wall s/min':>11}"
    )
    began = time.perf_counter()
    last_report = began
    refresh = refresh0
    first_end = first
    for n in range(1, minutes + 1):
        clock.now = world.published_until + timedelta(minutes=1, seconds=1)
        world.advance_to(clock.now)
        if n % 60 == 0 or n == minutes:
            end = world.published_until
            first_end, _ = timed_gmd(cw, queries, end - timedelta(hours=3), end, runs=1)
            refresh, _ = timed_gmd(cw, queries, end - timedelta(minutes=5), end, runs=3)
            now = time.perf_counter()
            per_min = (now - last_report) / (60 if n % 60 == 0 else n % 60)
            last_report = now
            print(
                f"{n / 60:6.1f} {rss_mb():7.0f} {world.stored_datapoints():7d} "
                f"{first_end:12.3f} {refresh * 1000:11.1f} {per_min:11.3f}"
            )
    rss_end = rss_mb()
    print(f"\nfast-forward wall time: {time.perf_counter() - began:.1f} s")
    print(
        f"RSS at end: {rss_end:.0f} MB [budget {BUDGET_RSS_MB:.0f} MB: "
        f"{verdict(rss_end <= BUDGET_RSS_MB)}]"
    )
    ratio = refresh / refresh0
    print(
        f"refresh GetMetricData end/start: {refresh * 1000:.1f} / {refresh0 * 1000:.1f} ms "
        f"= {ratio:.2f}x [budget 2x: {verdict(ratio <= 2)}]"
    )
    print(
        f"first (3 h) GetMetricData end/start: {first_end:.3f} / {first:.3f} s "
        f"= {first_end / first:.2f}x"
    )
    ok &= rss_end <= BUDGET_RSS_MB and ratio <= 2
    print("\nall budgets met" if ok else "\nSOME BUDGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
