"""GetMetricData shape for a large fleet, measured by counting real requests to moto."""

from __future__ import annotations

from datetime import timedelta

from kmon.collector.budget import Accounting
from kmon.collector.clients import build_clients
from kmon.collector.metrics import MetricStore, stream_queries
from tests.seed import NOW, REGION


def test_200_streams_cost_three_calls_per_poll(endpoint, seeder):
    seeder.steady("stream-007", "IncomingBytes", 600, minutes=3)
    acc = Accounting()
    clients = build_clients(acc, region=REGION, endpoint_url=endpoint)
    seen = []
    clients.cloudwatch.meta.events.register(
        "provide-client-params.cloudwatch.GetMetricData",
        lambda params, **kw: seen.append((len(params["MetricDataQueries"]), params["StartTime"])),
    )
    store = MetricStore()
    names = [f"stream-{i:03d}" for i in range(200)]
    now = int(NOW.timestamp())

    assert store.fetch(clients.cloudwatch, stream_queries(names), now, lambda api: None) == 3
    assert acc.by_api["GetMetricData"] == 3 and acc.metrics == 1400
    assert [n for n, _ in seen] == [500, 500, 400]
    assert all(start == NOW.replace(second=0) - timedelta(hours=3) for _, start in seen)
    assert store.stream_series("stream-007", "incoming_bytes").latest()[1] == 600

    seen.clear()
    assert store.fetch(clients.cloudwatch, stream_queries(names), now + 60, lambda api: None) == 3
    assert all(start == NOW.replace(second=0) - timedelta(minutes=3) for _, start in seen)
    # At the default 60 s refresh: 1,400 metrics a poll (7 per stream), 60 polls an hour.
    assert acc.rates(interval=60)[1] == 2 * 1400 * 3600 / 60


def test_the_overview_fetches_exactly_what_it_judges_from():
    from kmon.collector.metrics import OVERVIEW_METRICS
    from kmon.model.overview import OVERVIEW_KEYS

    assert tuple(m.key for m in OVERVIEW_METRICS) == OVERVIEW_KEYS
