"""Several contexts as one fleet, against one moto server holding two regions and two
accounts: the same stream name twice never mixes, and one context failing leaves the others
alone."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from moto.kinesis.models import kinesis_backends

from kmon.collector.collector import Collector, CollectorOptions
from kmon.collector.fleet import FleetCollector
from kmon.demo import moto_patches
from kmon.model.identity import Context
from tests.collector.test_collector import FakeMonotonic
from tests.faultproxy import FaultProxy
from tests.seed import ACCOUNT, MIB, NOW, REGION, Seeder

EU = "eu-west-1"
OTHER_ACCOUNT = "222222222222"
ROLE = f"arn:aws:iam::{OTHER_ACCOUNT}:role/kmon-read"


def seeder_in(endpoint: str, region: str, **creds) -> Seeder:
    kw = dict(
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=creds.get("AccessKeyId", "testing"),
        aws_secret_access_key=creds.get("SecretAccessKey", "testing"),
        aws_session_token=creds.get("SessionToken"),
    )
    return Seeder(boto3.client("kinesis", **kw), boto3.client("cloudwatch", **kw))


def seeder_as_role(endpoint: str, role: str = ROLE) -> Seeder:
    """A seeder working in the role's account (moto maps a role's credentials to it)."""
    sts = boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    creds = sts.assume_role(RoleArn=role, RoleSessionName="seed")["Credentials"]
    return seeder_in(endpoint, REGION, **creds)


def member(label, region, endpoint, clock=lambda: NOW, role_arn=None, refresh=60.0):
    mono = FakeMonotonic()
    ctx = Context(label, region, None, role_arn)
    options = CollectorOptions(
        region=region, endpoint_url=endpoint, role_arn=role_arn, refresh=refresh
    )
    return ctx, Collector(options, clock=clock, monotonic=mono, sleep=mono.sleep)


@pytest.fixture
def two_regions(endpoint, seeder):
    """orders in both regions with different traffic, audit in eu-west-1 only."""
    moto_patches.account_settings(kinesis_backends[ACCOUNT][EU])
    seeder.stream("orders", shards=2)
    seeder.steady("orders", "IncomingBytes", 60 * 1.0 * MIB)  # 1 MiB/s of 2 MiB/s: 50%
    eu = seeder_in(endpoint, EU)
    eu.stream("orders", shards=1)
    eu.steady("orders", "IncomingBytes", 60 * 0.25 * MIB)  # 0.25 MiB/s of 1 MiB/s: 25%
    eu.stream("audit", shards=1)
    return endpoint


def test_same_name_in_two_regions_is_two_rows_with_their_own_numbers(two_regions):
    fleet = FleetCollector([member(REGION, REGION, two_regions), member(EU, EU, two_regions)])
    snap = fleet.poll(complete=True)
    assert sorted(s.key for s in snap.streams) == [
        "eu-west-1/audit",
        "eu-west-1/orders",
        "us-east-1/orders",
    ]
    us, eu = snap.stream("us-east-1/orders"), snap.stream("eu-west-1/orders")
    assert (us.region, eu.region) == (REGION, EU)
    assert us.incoming_bytes_per_sec == pytest.approx(1.0 * MIB)
    assert eu.incoming_bytes_per_sec == pytest.approx(0.25 * MIB)
    assert (us.write_bytes_utilization_pct, eu.write_bytes_utilization_pct) == (50.0, 25.0)
    assert (us.open_shards, eu.open_shards) == (2, 1)
    # A bare name that two contexts hold names neither; one only one holds names it.
    assert snap.stream("orders") is None
    assert snap.stream("audit").key == "eu-west-1/audit"
    assert snap.stream(f"{EU}:orders") is eu

    doc = json.loads(snap.to_json())
    by_key = {f"{s['context']}/{s['name']}": s for s in doc["streams"]}
    assert by_key["us-east-1/orders"]["account"] == ACCOUNT
    assert by_key["eu-west-1/orders"]["region"] == EU
    contexts = {c["label"]: c for c in doc["contexts"]}
    assert [contexts[k]["status"] for k in (REGION, EU)] == ["ok", "ok"]
    assert (contexts[REGION]["streams"], contexts[EU]["streams"]) == (1, 2)
    # Each context counts its own calls; the fleet's are their sum.
    calls = [contexts[k]["api"]["calls"] for k in (REGION, EU)]
    assert all(c > 0 for c in calls) and doc["api"]["calls"] == sum(calls)
    assert contexts[REGION]["api"]["calls_by_api"]["ListStreams"] == 1


def test_focus_names_one_context_only(two_regions):
    fleet = FleetCollector([member(REGION, REGION, two_regions), member(EU, EU, two_regions)])
    fleet.poll(complete=True)
    fleet.set_focus("eu-west-1/orders")
    snap = fleet.poll(complete=True)
    assert snap.detail is not None and snap.detail.name == "eu-west-1/orders"
    assert [len(snap.detail.shards)] == [1]
    assert [c.detail.focus for c in fleet.collectors] == [None, ("orders", 3600)]


def test_a_denied_context_keeps_its_last_numbers_and_the_other_refreshes(two_regions):
    now = [NOW]
    with FaultProxy(two_regions) as proxy:
        fleet = FleetCollector(
            [
                member(REGION, REGION, two_regions, clock=lambda: now[0]),
                member(EU, EU, proxy.url, clock=lambda: now[0]),
            ]
        )
        first = fleet.poll(complete=True)
        assert first.stream("eu-west-1/orders").incoming_bytes_per_sec == pytest.approx(0.25 * MIB)
        proxy.set("*", "deny")
        now[0] = NOW.replace(second=50)
        snap = fleet.poll(complete=True)
    eu = snap.stream("eu-west-1/orders")
    assert eu is not None and eu.incoming_bytes_per_sec == pytest.approx(0.25 * MIB)
    assert snap.stream("eu-west-1/audit") is not None
    contexts = {c.label: c for c in snap.contexts}
    assert contexts[EU].error is not None and "access denied" in contexts[EU].error
    assert contexts[REGION].ok and contexts[REGION].data_at == now[0]
    # The header's age is the answering context's; the errors say whose they are.
    assert snap.data_at == now[0] and not snap.failing
    assert {e.context for e in snap.errors} == {EU}
    us = snap.stream("us-east-1/orders")
    assert not us.stale and us.incoming_bytes_per_sec == pytest.approx(1.0 * MIB)


def test_a_hung_context_does_not_hold_up_the_others(two_regions):
    with FaultProxy(two_regions) as proxy:
        fleet = FleetCollector(
            [
                member(REGION, REGION, two_regions, refresh=5.0),
                member(EU, EU, proxy.url, refresh=5.0),
            ],
            refresh_sec=5.0,
        )
        fleet.poll(complete=True)
        proxy.set("kinesis", "hang")
        started = time.monotonic()
        snap = fleet.poll()
        took = time.monotonic() - started
        # The next refresh does not wait for it again: it is still busy with its last poll.
        started = time.monotonic()
        again = fleet.poll()
        took_again = time.monotonic() - started
        proxy.clear()
    assert took < 4.0  # the wait for a slow context (2.5 s at refresh 5), not its timeouts
    assert took_again < 1.5, took_again
    contexts = {c.label: c for c in snap.contexts}
    assert contexts[EU].slow and not contexts[REGION].slow
    assert snap.stream("eu-west-1/orders") is not None  # its last snapshot stands
    assert {c.label: c.slow for c in again.contexts} == {REGION: False, EU: True}
    assert [c["status"] for c in json.loads(again.to_json())["contexts"]] == ["ok", "slow"]


def test_a_context_that_never_answered_is_slow_not_failed(two_regions):
    with FaultProxy(two_regions) as proxy:
        proxy.set("*", "hang")
        fleet = FleetCollector(
            [
                member(REGION, REGION, two_regions, refresh=5.0),
                member(EU, EU, proxy.url, refresh=5.0),
            ],
            refresh_sec=5.0,
        )
        snap = fleet.poll()
        proxy.clear()
    assert [s.key for s in snap.streams] == ["us-east-1/orders"]
    assert snap.errors == () and not snap.failing
    assert {c.label: (c.slow, c.error) for c in snap.contexts} == {
        REGION: (False, None),
        EU: (True, None),
    }


def test_a_role_reads_another_account(endpoint, seeder):
    other = seeder_as_role(endpoint)
    other.stream("orders", shards=3)
    seeder.stream("orders", shards=1)
    fleet = FleetCollector(
        [
            member("main", REGION, endpoint),
            member("other", REGION, endpoint, role_arn=ROLE),
        ]
    )
    snap = fleet.poll(complete=True)
    main, other_orders = snap.stream("main/orders"), snap.stream("other/orders")
    assert (main.account, other_orders.account) == (ACCOUNT, OTHER_ACCOUNT)
    assert (main.open_shards, other_orders.open_shards) == (1, 3)


def test_a_monitoring_account_reads_a_linked_accounts_metrics(endpoint, seeder):
    """Cross-account observability: the linked account's streams are listed with its role,
    and its metrics asked for by the monitoring account, each query naming the account."""
    from kmon.collector.clients import MetricsVia

    seeder_as_role(endpoint).stream("orders", shards=1)
    seeder.stream("payments", shards=1)
    with FaultProxy(endpoint) as proxy:
        mono = FakeMonotonic()
        linked = Collector(
            CollectorOptions(
                region=REGION,
                endpoint_url=proxy.url,
                role_arn=ROLE,
                metrics_via=MetricsVia(OTHER_ACCOUNT),
            ),
            clock=lambda: NOW,
            monotonic=mono,
            sleep=mono.sleep,
        )
        snap = linked.poll(complete=True)
    assert [s.name for s in snap.streams] == ["orders"]  # listed as the linked account
    assert snap.streams[0].account == OTHER_ACCOUNT
    assert proxy.queries, "no metric was asked for"
    signers = {key for key, _ in proxy.queries}
    assert signers == {"testing"}  # the monitoring account's credentials, not the role's
    assert {q.get("AccountId") for _, q in proxy.queries} == {OTHER_ACCOUNT}
    assert any(
        d["Value"] == "orders"
        for _, q in proxy.queries
        for d in q["MetricStat"]["Metric"]["Dimensions"]
    )


def test_a_bare_stream_name_found_in_one_context_is_no_error_in_the_other(two_regions):
    us_ctx, us = member(REGION, REGION, two_regions)
    eu_ctx, eu = member(EU, EU, two_regions)
    us.options.streams = eu.options.streams = ["audit"]  # audit lives in eu-west-1 only
    snap = FleetCollector([(us_ctx, us), (eu_ctx, eu)], bare=["audit"]).poll(complete=True)
    assert [s.key for s in snap.streams] == ["eu-west-1/audit"]
    assert snap.errors == ()
    # Asked for in us-east-1 by name (us-east-1/audit), its absence there is an error.
    snap = FleetCollector([(us_ctx, us), (eu_ctx, eu)]).poll(complete=True)
    assert [e.where for e in snap.errors] == ["us-east-1 · stream:audit"]


def test_the_budget_is_shared_by_streams(two_regions):
    """$3 a day for the fleet: eu-west-1 holds 2 of the 3 streams, so $2 of it."""
    fleet = FleetCollector(
        [member(REGION, REGION, two_regions), member(EU, EU, two_regions)],
        budget_usd_per_day=3.0,
    )
    fleet.poll(complete=True)
    shares = [c.cadence.budget_usd_per_day for c in fleet.collectors]
    assert shares == [pytest.approx(1.0), pytest.approx(2.0)]


def test_a_one_shot_poll_leaves_out_a_context_that_misses_its_deadline(two_regions):
    from kmon.cli import failures

    with FaultProxy(two_regions) as proxy:
        proxy.set("*", "hang")
        fleet = FleetCollector([member(REGION, REGION, two_regions), member(EU, EU, proxy.url)])
        started = time.monotonic()
        snap = fleet.poll(complete=True, timeout=1.5)
        took = time.monotonic() - started
        proxy.clear()
    assert took < 2.5
    assert [s.key for s in snap.streams] == ["us-east-1/orders"]
    assert failures(snap) == [
        "eu-west-1: no complete answer within --timeout: its streams are left out"
    ]
