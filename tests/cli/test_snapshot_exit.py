"""`kmon snapshot` exit statuses, as a script sees them: 0 complete, 3 partial (JSON on stdout,
one stderr line per failed source), 1 nothing usable (one line, no JSON), --allow-partial,
and the --timeout deadline. AWS is moto behind a proxy that fails chosen services."""

from __future__ import annotations

import json
import time

import pytest

from kmon.cli import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL
from tests.cli.test_cli import CREDS, run
from tests.faultproxy import FaultProxy
from tests.seed import MIB, REGION


@pytest.fixture
def proxy(endpoint):
    with FaultProxy(endpoint) as p:
        yield p


@pytest.fixture
def fleet(seeder):
    seeder.stream("orders", shards=2)
    seeder.steady("orders", "IncomingBytes", 60 * MIB, minutes=5)
    seeder.stream("payments", shards=1)


def snapshot(url: str, *args: str, timeout: float = 60):
    return run("snapshot", "--endpoint-url", url, "--region", REGION, *args, env_extra=CREDS,
               timeout=timeout)  # fmt: skip


def test_every_source_answering_exits_0_and_says_nothing(proxy, fleet):
    r = snapshot(proxy.url)
    assert r.returncode == EXIT_OK, r.stderr
    assert r.stderr == ""  # a loopback http endpoint draws no warning either
    assert json.loads(r.stdout)["errors"] == []


def test_cloudwatch_denied_prints_the_json_and_names_the_permission(proxy, fleet):
    proxy.set("cloudwatch", "deny")
    r = snapshot(proxy.url)
    assert r.returncode == EXIT_PARTIAL
    doc = json.loads(r.stdout)  # the JSON is still there, whole
    assert [s["name"] for s in doc["streams"]] == ["orders", "payments"]
    assert {s["health"] for s in doc["streams"]} == {"unknown"}
    assert [e["source"] for e in doc["errors"]] == ["metrics"]
    assert r.stderr.splitlines() == [f"kmon: metrics: {doc['errors'][0]['message']}"]
    assert "cloudwatch:GetMetricData" in r.stderr


def test_cloudwatch_throttled_is_partial_too(proxy, fleet):
    proxy.set("cloudwatch", "throttle", "GetMetricData")
    r = snapshot(proxy.url)
    assert r.returncode == EXIT_PARTIAL
    (line,) = r.stderr.splitlines()
    assert line.startswith("kmon: metrics: ") and "throttled" in line
    assert json.loads(r.stdout)["streams"]


def test_allow_partial_exits_0_and_still_says_what_failed(proxy, fleet):
    proxy.set("cloudwatch", "deny")
    r = snapshot(proxy.url, "--allow-partial")
    assert r.returncode == EXIT_OK
    assert json.loads(r.stdout)["errors"]
    assert r.stderr.startswith("kmon: metrics: access denied")


def test_one_line_per_failed_source(proxy, fleet):
    proxy.set("cloudwatch", "deny")
    proxy.set("kinesis", "deny", "DescribeLimits")
    r = snapshot(proxy.url)
    assert r.returncode == EXIT_PARTIAL
    sources = sorted(line.split(": ")[1] for line in r.stderr.splitlines())
    assert sources == ["limits", "metrics"]
    assert "kinesis:DescribeLimits" in r.stderr


def test_a_missing_stream_among_others_is_partial(proxy, fleet):
    r = snapshot(proxy.url, "--stream", "orders", "--stream", "nope")
    assert r.returncode == EXIT_PARTIAL
    assert [s["name"] for s in json.loads(r.stdout)["streams"]] == ["orders"]
    assert r.stderr == f"kmon: stream:nope: stream 'nope' not found in {REGION}\n"


def test_consumer_kinds_kmon_cannot_read_are_notes_not_failures(proxy, fleet):
    proxy.set("dynamodb", "deny")
    proxy.set("lambda", "deny")
    r = snapshot(proxy.url)
    doc = json.loads(r.stdout)
    assert doc["errors"] and all(e["source"].startswith("lag:") for e in doc["errors"])
    assert r.returncode == EXIT_OK and r.stderr == ""


def test_sts_denied_leaves_the_account_out_and_is_partial(proxy, fleet):
    proxy.set("sts", "deny")
    r = snapshot(proxy.url)
    assert r.returncode == EXIT_PARTIAL
    assert json.loads(r.stdout)["account"] is None
    (line,) = r.stderr.splitlines()
    assert line.startswith("kmon: account: ")


def test_stream_list_denied_is_nothing_usable(proxy, fleet):
    proxy.set("kinesis", "deny", "ListStreams")
    r = snapshot(proxy.url)
    assert r.returncode == EXIT_FAILED and r.stdout == ""
    (line,) = r.stderr.splitlines()
    assert line.startswith("kmon: ") and "kinesis:ListStreams" in line


def test_a_hanging_endpoint_is_given_up_at_the_deadline(proxy, fleet):
    proxy.set("*", "hang")
    began = time.monotonic()
    r = snapshot(proxy.url, "--timeout", "2", timeout=30)
    took = time.monotonic() - began
    assert r.returncode == EXIT_FAILED and r.stdout == ""
    assert r.stderr == (
        f"kmon: no complete answer from {proxy.url} within 2 s (--timeout): "
        "the endpoint or the network is slow or not answering\n"
    )
    assert took < 10, f"took {took:.1f} s"


def test_the_deadline_is_checked():
    for value, needle in (("0", "at least 1 second"), ("soon", "not a number of seconds")):
        r = run("snapshot", "--timeout", value)
        assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr
