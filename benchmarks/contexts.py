"""Several contexts polled as one fleet: each context's request rates against AWS's published
rates, and what one context that stops answering costs the others.

    python benchmarks/contexts.py [--seconds 120] [--refresh 5]

Runs the demo world (us-east-1 and eu-west-1 on one emulator) and the fleet collector
`kmon demo` builds, polling every --refresh seconds for --seconds of wall time with the
eu-west-1 replica on screen. Every request is counted as it is sent, per context, API and
second; the peak second of each is printed against the published rate (AWS's rates are per
account and region, so per context).

Then the poll time of the fleet with both contexts answering (the baseline), and with
eu-west-1 behind a proxy that stops answering: its first poll waited for, the next ones not.
"""

from __future__ import annotations

import argparse
import collections
import logging
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kmon import cli  # noqa: E402
from kmon.config import Settings  # noqa: E402
from kmon.demo import DemoWorld  # noqa: E402
from kmon.model.limits import API_RATES_PER_SEC  # noqa: E402
from tests.faultproxy import FaultProxy  # noqa: E402


def count_per_second(fleet) -> dict:
    """(context, api) -> Counter of requests per whole second, counted at the client."""
    seen: dict = collections.defaultdict(collections.Counter)
    for ctx, collector in fleet.members:
        count = collector.accounting.count_call

        def counted(api, _count=count, _label=ctx.label):
            seen[(_label, api)][int(time.monotonic())] += 1
            return _count(api)

        collector.accounting.count_call = counted
    return seen


def rates(world, seconds: float, refresh: float) -> None:
    settings = Settings(
        endpoint_url=world.endpoint, region=world.region, regions=world.regions, refresh=refresh
    )
    fleet = cli._collector(settings, emulator=True)
    seen = count_per_second(fleet)
    started = time.monotonic()
    fleet.poll()
    fleet.set_focus("eu-west-1/clickstream")
    while time.monotonic() - started < seconds:
        t = time.monotonic()
        fleet.poll()
        time.sleep(max(0.0, refresh - (time.monotonic() - t)))
    snap = fleet.poll()
    print(f"{seconds:g} s of polling every {refresh:g} s, the replica on screen")
    for ctx in snap.contexts:
        print(
            f"  {ctx.label:10} {ctx.api.calls_per_min:6.1f} calls/min  "
            f"{ctx.api.metrics_per_hour:7.0f} metrics/h  {ctx.streams} streams"
        )
    print("  peak requests in one second, per context and API, against the published rate")
    worst = 0.0
    for (label, api), per_second in sorted(seen.items()):
        peak = max(per_second.values())
        published = API_RATES_PER_SEC.get(api)
        share = f"{peak / published:5.0%}" if published else "    -"
        worst = max(worst, peak / published if published else 0.0)
        print(f"    {label:10} {api:26} {peak:3}/s  of {published or '-':>4}  {share}")
    print(f"  highest share of a published rate: {worst:.0%}")


def hung(world, refresh: float) -> None:
    with FaultProxy(world.endpoint) as proxy:
        settings = Settings(
            endpoint_url=world.endpoint,
            region=world.region,
            regions=world.regions,
            refresh=refresh,
        )
        fleet = cli._collector(settings, emulator=True)
        eu = next(c for ctx, c in fleet.members if ctx.label == "eu-west-1")
        eu.options = replace(eu.options, endpoint_url=proxy.url)
        fleet.poll(complete=True)

        def timed(n: int) -> list[float]:
            out = []
            for _ in range(n):
                t = time.monotonic()
                fleet.poll()
                out.append(time.monotonic() - t)
            return out

        baseline = timed(5)
        proxy.set("*", "hang")
        stuck = timed(5)
        slow = [c.label for c in fleet.poll().contexts if c.slow]
        proxy.clear()
    base = statistics.median(baseline)
    print(f"fleet poll time at refresh {refresh:g} s (5 polls each)")
    print(f"  both answering (baseline)   median {base:5.2f} s")
    print(
        f"  eu-west-1 not answering     first {stuck[0]:5.2f} s, then median "
        f"{statistics.median(stuck[1:]):5.2f} s ({statistics.median(stuck[1:]) / base:.1f}x the "
        f"baseline); shown slow: {', '.join(slow) or 'none'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--refresh", type=float, default=5.0)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("kmon").setLevel(logging.ERROR)  # the hung context's warnings
    with DemoWorld(seed=7) as world:
        rates(world, args.seconds, args.refresh)
        hung(world, args.refresh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
