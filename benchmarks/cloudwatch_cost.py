"""What kmon's CloudWatch reads cost, counted where the requests arrive.

    python benchmarks/cloudwatch_cost.py [--streams 20,100,2000] [--minutes 60]

One emulator (moto's server over HTTP) holds one world of the largest fleet size; smaller
fleets are its first N streams (``--stream``-style filters). Every CloudWatch request goes
through a counting proxy in front of the emulator, which counts metrics as AWS bills them (one
per GetMetricData query, one per GetMetricStatistics). For each fleet size, at --refresh 5
and 60, with no budget and with the default one, the real collector runs for --minutes of
simulated time (injected clocks: no sleeping) and the metrics requested after its first poll
give metrics/hour and $/day. The baseline is a naive poller: GetMetricStatistics for each of
the 7 overview metrics of each stream every refresh, over a 10-minute window; one of its
polls is counted at the proxy and multiplied by the polls an hour.

Then the delay between a stream turning CRIT off screen and kmon showing it, under the default
budget, for a stream whose trouble starts at each minute of the 5-minute cadence.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

from kmon.collector.collector import Collector, CollectorOptions  # noqa: E402
from kmon.collector.metrics import OVERVIEW_METRICS  # noqa: E402
from kmon.model.cadence import DEFAULT_BUDGET_USD_PER_DAY, usd_per_day  # noqa: E402
from kmon.model.health import Health  # noqa: E402
from kmon.model.rules import Thresholds  # noqa: E402
from tests.faultproxy import FaultProxy  # noqa: E402

REGION = "us-east-1"
START = datetime(2026, 11, 25, 12, 0, 30, tzinfo=timezone.utc)
MIB = 1024 * 1024
CRIT_MINUTES = Thresholds().throttle_crit_minutes


class Clocks:
    def __init__(self) -> None:
        self.now = START
        self.mono = 1000.0

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.mono += seconds

    def sleep(self, seconds: float) -> None:
        self.mono += seconds


def clients(url: str):
    kw = dict(
        endpoint_url=url, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    return boto3.client("kinesis", **kw), boto3.client("cloudwatch", **kw)


def grow_world(url: str, have: int, n: int) -> list[str]:
    """Streams ``have`` .. ``n - 1`` added; all ``n`` names returned."""
    kinesis, _ = clients(url)
    names = [f"stream-{i:04d}" for i in range(n)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda s: kinesis.create_stream(StreamName=s, ShardCount=1), names[have:]))
    return names


def collector(url: str, clocks: Clocks, refresh: float, budget: float) -> Collector:
    options = CollectorOptions(
        region=REGION, endpoint_url=url, emulator=True, refresh=refresh, budget_usd_per_day=budget
    )
    return Collector(
        options, clock=lambda: clocks.now, monotonic=lambda: clocks.mono, sleep=clocks.sleep
    )


def run_kmon(proxy: FaultProxy, refresh: float, budget: float, minutes: int) -> float:
    """Metrics requested an hour by kmon's steady polls (after the first)."""
    clocks = Clocks()
    c = collector(proxy.url, clocks, refresh, budget)
    c.poll(complete=True)
    before = sum(proxy.metrics.values())
    for _ in range(int(minutes * 60 / refresh)):
        clocks.advance(refresh)
        c.poll()
    return (sum(proxy.metrics.values()) - before) * 60 / minutes


def run_naive(proxy: FaultProxy, streams) -> float:
    """The baseline's metrics a poll: one naive poll, counted at the proxy."""
    _, cloudwatch = clients(proxy.url)
    end = START.replace(second=0)

    def ask(name: str) -> None:
        for spec in OVERVIEW_METRICS:
            cloudwatch.get_metric_statistics(
                Namespace=spec.namespace,
                MetricName=spec.name,
                Dimensions=[{"Name": "StreamName", "Value": name}],
                StartTime=end - timedelta(minutes=10),
                EndTime=end,
                Period=60,
                Statistics=[spec.stat],
            )

    before = sum(proxy.metrics.values())
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(ask, streams))
    return sum(proxy.metrics.values()) - before


def crit_delays(url: str, proxy: FaultProxy, fleet: list[str]):
    """For streams that start throttling hard at each minute of the 5-minute cadence, none of
    them on screen: seconds from the end of the first throttled minute to the poll that shows
    the stream not OK, and from the moment the rule makes it CRIT (its fifth throttled minute
    over) to the poll that shows CRIT."""
    _, cloudwatch = clients(url)
    victims = fleet[:5]
    onsets = {}
    for k, name in enumerate(victims):
        onset = START.replace(second=0) + timedelta(minutes=10 + k)
        onsets[name] = onset
        data = [
            {
                "MetricName": "WriteProvisionedThroughputExceeded",
                "Dimensions": [{"Name": "StreamName", "Value": name}],
                "Timestamp": onset + timedelta(minutes=m),
                "StatisticValues": {"SampleCount": 60, "Sum": 600, "Minimum": 0, "Maximum": 10},
            }
            for m in range(30)
        ]
        for i in range(0, len(data), 20):
            cloudwatch.put_metric_data(Namespace="AWS/Kinesis", MetricData=data[i : i + 20])
    clocks = Clocks()
    c = collector(proxy.url, clocks, 60.0, DEFAULT_BUDGET_USD_PER_DAY)
    c.poll(complete=True)
    seen: dict[str, float] = {}
    noticed: dict[str, float] = {}
    for _ in range(30):
        clocks.advance(60)
        snap = c.poll()
        for name in victims:
            s = snap.stream(name)
            if name not in noticed and s and s.health is not Health.OK:
                minute_over = onsets[name] + timedelta(minutes=1)
                noticed[name] = (clocks.now - minute_over).total_seconds()
            if name not in seen and s and s.health is Health.CRIT:
                # CRIT by the rule once the last of its throttled minutes running is over.
                crit_due = onsets[name] + timedelta(minutes=CRIT_MINUTES)
                seen[name] = (clocks.now - crit_due).total_seconds()
    return [noticed.get(n, float("inf")) for n in victims], [
        seen.get(n, float("inf")) for n in victims
    ]


def _minutes(seconds: list[float]) -> str:
    shown = ", ".join(f"{d / 60:.1f}" for d in seconds)
    return f"{shown} (median {statistics.median(seconds) / 60:.1f}, max {max(seconds) / 60:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", default="20,100,2000", help="fleet sizes, comma-separated")
    parser.add_argument("--minutes", type=int, default=60, help="simulated minutes per run")
    parser.add_argument(
        "--short-minutes", type=int, default=10, help="at 5 s over 1,000 streams or more"
    )
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.streams.split(","))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("kmon").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    print(f"7 overview metrics per stream; default budget ${DEFAULT_BUDGET_USD_PER_DAY:g}/day")
    print()
    head = (
        f"{'streams':>7} {'refresh':>7} {'budget':>7} {'minutes':>7} {'metrics/h':>10} "
        f"{'$/day':>7} {'naive metrics/h':>15} {'naive $/day':>11} {'vs naive':>9} "
        f"{'vs floor':>8}"
    )
    print(head)
    print("-" * len(head))
    delays: list[float] = []
    with FaultProxy(url) as proxy:
        world: list[str] = []
        for n in sizes:
            world = grow_world(url, len(world), n)
            floor = n * len(OVERVIEW_METRICS) * 60  # one request per metric per minute
            naive_poll = run_naive(proxy, world)
            for refresh in (5.0, 60.0):
                naive = naive_poll * 3600 / refresh
                for budget in (0.0, DEFAULT_BUDGET_USD_PER_DAY):
                    minutes = args.minutes
                    if refresh < 60 and n >= 1000:
                        if budget:
                            continue
                        minutes = args.short_minutes
                    t = time.perf_counter()
                    per_hour = run_kmon(proxy, refresh, budget, minutes)
                    took = time.perf_counter() - t
                    label = "none" if budget == 0 else f"${budget:g}"
                    print(
                        f"{n:>7} {refresh:>6.0f}s {label:>7} {minutes:>7} {per_hour:>10,.0f} "
                        f"{usd_per_day(per_hour):>7.2f} {naive:>15,.0f} "
                        f"{usd_per_day(naive):>11.2f} {per_hour / naive:>8.3f}x "
                        f"{per_hour / floor:>7.2f}x   ({took:.0f}s)",
                        flush=True,
                    )
            if not delays and n >= 100:  # in the first fleet of 100 or more, before it grows
                delays, crits = crit_delays(url, proxy, world)
                print(
                    f"  trouble off screen, {n} streams, default budget, refresh 60 s: "
                    f"minutes to shown not OK after the first bad minute: {_minutes(delays)}; "
                    f"to shown CRIT after the rule says CRIT: {_minutes(crits)}",
                    flush=True,
                )
    server.stop()


if __name__ == "__main__":
    main()
