"""`kmon events [--follow]` as a user runs it: a subprocess against moto over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from datetime import datetime, timezone

import pytest

from tests.cli.test_cli import CREDS, run
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
