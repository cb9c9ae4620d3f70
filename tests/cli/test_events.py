"""`kmon events [--follow]` as a user runs it: a subprocess against moto over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

import pytest

from kmon.cli import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE
from tests.cli.test_cli import CREDS, run
from tests.faultproxy import FaultProxy
from tests.seed import MIB, REGION


def seed_throttled(seeder, name: str = "orders") -> None:
    """A one-shard stream written at its 1 MiB/s limit for the last 10 minutes: CRIT."""
    seeder.stream(name, shards=1)
    seeder.steady(name, "IncomingBytes", 60 * MIB, minutes=10, now=datetime.now(timezone.utc))


def env(extra: dict | None = None) -> dict:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KMON_"))}
    out.update(
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
        AWS_EC2_METADATA_DISABLED="true",
        XDG_CONFIG_HOME="/nonexistent",
        **CREDS,
    )
    out.update(extra or {})
    return out


def test_events_prints_what_is_wrong_as_json_lines_and_exits(endpoint, seeder):
    seed_throttled(seeder)
    seeder.stream("quiet", shards=1)
    r = run("events", "--endpoint-url", endpoint, "--region", REGION, env_extra=CREDS)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    events = [json.loads(line) for line in lines]
    assert len(events) == 1  # a healthy stream has nothing to report
    (event,) = events
    assert event["stream"] == "orders" and event["subject"] == {"kind": "stream", "name": "orders"}
    assert (event["from"], event["to"], event["severity"]) == (None, "crit", "crit")
    assert event["at"].endswith("Z") and event["cause"]


def test_events_refuses_flags_it_would_ignore():
    for args in (["events", "--wall"], ["events", "--cycle", "10"]):
        r = run(*args)
        assert r.returncode == 2 and "usage: kmon" in r.stderr, args
        assert "Traceback" not in r.stderr
    r = run("--wall", "events")  # given before the command: parsed, then refused in one line
    assert r.returncode == 2
    assert r.stderr == "kmon: --wall is for the dashboard; events has no screen\n"
    r = run("events", "--refresh", "30")
    assert r.returncode == 2
    assert r.stderr == "kmon: events polls once without --follow: --refresh does not apply\n"


def test_events_failures_are_one_line_and_exit_1():
    r = run("events", "--follow", "--endpoint-url", "http://127.0.0.1:9", "--region", REGION,
            env_extra=CREDS)  # fmt: skip
    assert r.returncode == 1 and r.stdout == ""
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("kmon: ") and "cannot reach http://127.0.0.1:9" in line
    r = run("events", "--region", REGION)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "no AWS credentials found" in r.stderr


def test_a_missing_alert_command_is_refused_at_start(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[alerts]\ncommand = ["no-such-pager-kmon"]\n')
    r = run("events", "--follow", env_extra={"KMON_CONFIG": str(cfg)})
    assert r.returncode == 2
    needle = "alerts.command: 'no-such-pager-kmon' is not an executable file or a program on PATH"
    assert needle in r.stderr


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_follow_streams_json_lines_and_stops_cleanly(endpoint, seeder, tmp_path, stop):
    seed_throttled(seeder)
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[alerts]\ncommand = ["{sys.executable}", "-c", "pass"]\n')
    proc = subprocess.Popen(
        [sys.executable, "-m", "kmon", "events", "--follow", "--refresh", "5",
         "--endpoint-url", endpoint, "--region", REGION],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env({"KMON_CONFIG": str(cfg)}),
    )  # fmt: skip
    try:
        first: list[str] = []
        reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()))
        reader.start()
        reader.join(30)
        assert first and first[0].endswith("\n"), "no event line within 30 s"
        event = json.loads(first[0])  # flushed as it happened, not at exit
        assert event["stream"] == "orders" and event["to"] == "crit"
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert all(json.loads(line) for line in out.splitlines())


# -- without --follow: the exit statuses of `kmon snapshot` -----------------------------------


@pytest.fixture
def proxy(endpoint):
    with FaultProxy(endpoint) as p:
        yield p


def events(url: str, *args: str, timeout: float = 60):
    return run("events", "--endpoint-url", url, "--region", REGION, *args, env_extra=CREDS,
               timeout=timeout)  # fmt: skip


def test_every_source_answering_exits_0_and_says_nothing(proxy, seeder):
    seed_throttled(seeder)
    r = events(proxy.url)
    assert r.returncode == EXIT_OK, r.stderr
    assert r.stderr == ""
    assert [json.loads(line)["to"] for line in r.stdout.splitlines()] == ["crit"]


def test_cloudwatch_denied_is_partial_with_a_line_naming_it(proxy, seeder):
    seed_throttled(seeder)
    proxy.set("cloudwatch", "deny")
    r = events(proxy.url)
    assert r.returncode == EXIT_PARTIAL
    (line,) = r.stderr.splitlines()
    assert line.startswith("kmon: metrics: access denied") and "cloudwatch:GetMetricData" in line
    # Without metrics nothing is judged: no event is made up from what could not be read.
    assert r.stdout == ""


def test_one_line_per_failed_source(proxy, seeder):
    seed_throttled(seeder)
    proxy.set("cloudwatch", "deny")
    proxy.set("kinesis", "deny", "DescribeLimits")
    r = events(proxy.url)
    assert r.returncode == EXIT_PARTIAL
    assert sorted(line.split(": ")[1] for line in r.stderr.splitlines()) == ["limits", "metrics"]


def test_allow_partial_exits_0_and_still_says_what_failed(proxy, seeder):
    seed_throttled(seeder)
    proxy.set("cloudwatch", "deny")
    r = events(proxy.url, "--allow-partial")
    assert r.returncode == EXIT_OK
    (line,) = r.stderr.splitlines()
    assert line.startswith("kmon: metrics: access denied")


def test_a_hanging_endpoint_is_given_up_at_the_deadline(proxy, seeder):
    seed_throttled(seeder)
    proxy.set("*", "hang")
    began = time.monotonic()
    r = events(proxy.url, "--timeout", "3", timeout=30)
    took = time.monotonic() - began
    assert r.returncode == EXIT_FAILED and r.stdout == ""
    assert r.stderr == (
        f"kmon: no complete answer from {proxy.url} within 3 s (--timeout): "
        "the endpoint or the network is slow or not answering\n"
    )
    # 3 s of deadline plus the interpreter's start (about 1 s here).
    assert took < 6, f"took {took:.1f} s"


def test_follow_refuses_the_one_poll_options():
    for flag in (["--timeout", "5"], ["--allow-partial"]):
        r = run("events", "--follow", *flag)
        assert r.returncode == EXIT_USAGE
        assert r.stderr == (
            f"kmon: events --follow keeps polling: {flag[0]} is for one poll (without --follow)\n"
        )
    r = run("events", "--timeout", "0")
    assert r.returncode == EXIT_USAGE and "at least 1 second" in r.stderr


def test_help_gives_the_exit_statuses_and_the_deadline():
    r = run("events", "--help")
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    for needle in (
        "--timeout SECONDS",
        "(default 60, exit 1)",
        "--allow-partial",
        "exit status without --follow:",
        f"{EXIT_PARTIAL} partial:",
        f"--allow-partial makes this {EXIT_OK}",
    ):
        assert needle in text, needle
