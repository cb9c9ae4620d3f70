"""What one poll costs AWS for a fleet of N streams, counted request by request.

    python benchmarks/collector_cost.py [--streams 200]

Runs the real collector against moto's server over HTTP: a first (complete) poll, then the
steady polls that follow a minute apart. Prints requests per API per poll, GetMetricData calls
and metrics requested, and what that costs at the default 60 s refresh, against the baseline
of asking for each metric separately.
"""

from __future__ import annotations

import argparse
import logging
import time
from datetime import datetime, timedelta, timezone

import boto3
from moto.server import ThreadedMotoServer

from kmon.collector.collector import Collector, CollectorOptions
from kmon.collector.metrics import OVERVIEW_METRICS
from kmon.model.limits import CLOUDWATCH_USD_PER_1000_METRICS, GMD_MAX_QUERIES

REGION = "us-east-1"
START = datetime(2026, 11, 25, 12, 0, 30, tzinfo=timezone.utc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--polls", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    kw = dict(
        endpoint_url=url, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    kinesis = boto3.client("kinesis", **kw)
    for i in range(args.streams):
        kinesis.create_stream(StreamName=f"stream-{i:03d}", ShardCount=1)

    now = [START]
    collector = Collector(
        CollectorOptions(region=REGION, endpoint_url=url, emulator=True), clock=lambda: now[0]
    )
    acc = collector.accounting
    print(f"{args.streams} streams, default 60 s refresh")
    print(
        f"{'poll':>6} {'seconds':>8} {'requests':>9} {'GetMetricData':>14} {'metrics':>8}  by API"
    )
    for k in range(args.polls):
        before_calls, before_metrics = acc.calls, acc.metrics
        before = dict(acc.by_api)
        t0 = time.perf_counter()
        collector.poll(complete=(k == 0))
        took = time.perf_counter() - t0
        by_api = {a: n - before.get(a, 0) for a, n in acc.by_api.items() if n - before.get(a, 0)}
        print(
            f"{k + 1:>6} {took:8.2f} {acc.calls - before_calls:>9} "
            f"{by_api.get('GetMetricData', 0):>14} {acc.metrics - before_metrics:>8}  "
            + ", ".join(f"{a} {n}" for a, n in sorted(by_api.items()))
        )
        now[0] += timedelta(seconds=60)
    per_poll = args.streams * len(OVERVIEW_METRICS)
    per_hour = per_poll * 60
    print(f"metrics per poll {per_poll}, per hour {per_hour:,}")
    print(f"CloudWatch cost  ${per_hour * 24 / 1000 * CLOUDWATCH_USD_PER_1000_METRICS:.2f}/day")
    calls = -(-per_poll // GMD_MAX_QUERIES)
    print(f"GetMetricData calls per poll {calls}; baseline of one call per metric {per_poll}")
    print(f"calls / baseline {calls / per_poll:.4f}")
    server.stop()


if __name__ == "__main__":
    main()
