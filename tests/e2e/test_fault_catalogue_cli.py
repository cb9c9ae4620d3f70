"""The fault catalogue against the real CLI: `python -m kmon snapshot` through the fault proxy
in front of moto, one run while CloudWatch fails in each way, then one after it healed.

The old version exited 0, silently, with CloudWatch denied or throttled."""

from __future__ import annotations

import json

import pytest

from kmon.cli import EXIT_OK, EXIT_PARTIAL
from tests.cli.test_snapshot_exit import snapshot
from tests.faultproxy import FaultProxy
from tests.seed import MIB

# The one stderr line of a run while CloudWatch fails, by fault.
LINES = {
    "deny": "kmon: metrics: access denied: kmon needs cloudwatch:GetMetricData (see the IAM "
    "policy in the README)",
    "throttle": "kmon: metrics: GetMetricData throttled by AWS (ThrottlingException): backing off",
    "error": "kmon: metrics: GetMetricData failed: InternalFailure: injected by the test proxy",
    "garbage": "kmon: metrics: the endpoint answered with something that is not AWS's API "
    "(HTTP 502)",
}


@pytest.fixture
def proxy(endpoint):
    with FaultProxy(endpoint) as p:
        yield p


@pytest.fixture
def fleet(seeder):
    seeder.stream("orders", shards=2)
    seeder.steady("orders", "IncomingBytes", 60 * MIB, minutes=5)
    seeder.stream("payments", shards=1)


def test_snapshot_exits_partial_while_cloudwatch_fails_and_0_once_it_answers(proxy, fleet):
    for fault, line in LINES.items():
        proxy.set("cloudwatch", fault)
        r = snapshot(proxy.url)
        assert r.returncode == EXIT_PARTIAL, (fault, r.stderr)
        assert r.stderr.splitlines() == [line], fault
        doc = json.loads(r.stdout)  # the JSON is whole all the same
        assert [s["name"] for s in doc["streams"]] == ["orders", "payments"], fault
        assert [e["source"] for e in doc["errors"]] == ["metrics"], fault
        proxy.clear()

    # The fault ended: the next run is whole and says nothing.
    r = snapshot(proxy.url)
    assert (r.returncode, r.stderr) == (EXIT_OK, "")
    assert json.loads(r.stdout)["errors"] == []
