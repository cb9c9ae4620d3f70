"""The alert command: real processes, the alert's JSON on stdin, timeouts that kill."""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from pathlib import Path

import pytest

from kmon.alerts import AlertRunner, Alerts
from kmon.model.alerting import AlertPolicy, AlertSettings
from kmon.model.health import Health
from tests.alerts.fleet import snap, state, ts

PY = sys.executable


def alert_for(name: str):
    """A real alert, raised by the policy: OK, then CRIT for ten minutes."""
    policy = AlertPolicy(AlertSettings(hold_minutes=2))
    policy.update(snap(0, state(name, Health.OK)))
    (alert,) = policy.update(snap(10, state(name, Health.CRIT, ts(1))))
    return alert


class Failures:
    def __init__(self):
        self.messages: list[str] = []
        self.threads: list[threading.Thread] = []
        self.arrived = threading.Event()

    def __call__(self, message: str) -> None:
        self.messages.append(message)
        self.threads.append(threading.current_thread())
        self.arrived.set()


def gone(pid: int) -> bool:
    """The process no longer runs (exited, or a zombie waiting for its parent)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return True
    return fields[0] in ("Z", "X")


def test_the_command_gets_the_alert_json_on_stdin(tmp_path):
    out = tmp_path / "got.json"
    copy = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(sys.stdin.read())"
    failures = Failures()
    runner = AlertRunner([PY, "-c", copy, str(out)], timeout_sec=10, on_failure=failures)
    alert = alert_for("orders")
    assert runner.run(alert)
    assert runner.wait(10)
    assert json.loads(out.read_text()) == json.loads(alert.to_json())
    assert json.loads(out.read_text())["stream"] == "orders"
    assert failures.messages == []


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_hung_command_is_killed_with_what_it_started(tmp_path):
    pids = tmp_path / "pids"
    # The command starts a child of its own and both hang.
    hang = (
        "import subprocess, sys, time, os, pathlib\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
        f"pathlib.Path({str(pids)!r}).write_text(f'{{os.getpid()}} {{child.pid}}')\n"
        "time.sleep(30)\n"
    )
    failures = Failures()
    runner = AlertRunner([PY, "-c", hang], timeout_sec=1, on_failure=failures)
    started = time.monotonic()
    caller = threading.current_thread()
    assert runner.run(alert_for("orders"))
    assert time.monotonic() - started < 0.5  # the caller never waits for the command
    assert failures.arrived.wait(5)
    assert time.monotonic() - started < 2.5
    assert failures.messages == ["alert command for orders killed after 1 s"]
    assert failures.threads[0] is not caller
    assert runner.wait(2) and runner.running() == []
    for pid in map(int, pids.read_text().split()):
        deadline = time.monotonic() + 2
        while not gone(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gone(pid), f"process {pid} outlived its timeout"


def test_one_command_per_stream_at_a_time(tmp_path, caplog):
    release = tmp_path / "release"
    wait = (
        "import pathlib, time, sys\n"
        f"while not pathlib.Path({str(release)!r}).exists(): time.sleep(0.02)\n"
        "sys.stdin.read()\n"
    )
    runner = AlertRunner([PY, "-c", wait], timeout_sec=10)
    try:
        with caplog.at_level(logging.WARNING, logger="kmon.alerts"):
            assert runner.run(alert_for("orders"))
            assert not runner.run(alert_for("orders"))  # the first still runs: skipped
            assert runner.run(alert_for("payments"))  # other streams are not held up
        assert sorted(runner.running()) == ["orders", "payments"]
        assert "alert for orders (crit) skipped" in caplog.text
    finally:
        release.touch()
    assert runner.wait(10)
    assert runner.run(alert_for("orders"))  # done: the next alert runs
    assert runner.wait(10)


def test_failures_are_reported_with_what_the_command_said(tmp_path):
    failures = Failures()
    fail = "import sys; print('pager unreachable', file=sys.stderr); sys.exit(3)"
    runner = AlertRunner([PY, "-c", fail], timeout_sec=10, on_failure=failures)
    runner.run(alert_for("orders"))
    assert runner.wait(10)
    assert failures.messages == ["alert command for orders exited 3: pager unreachable"]

    missing = AlertRunner([str(tmp_path / "nope")], timeout_sec=10, on_failure=failures)
    missing.run(alert_for("orders"))
    assert missing.wait(10)
    assert failures.messages[-1].startswith(f"alert command {str(tmp_path / 'nope')!r} could not")


def test_alerts_runs_the_command_for_each_alert_and_close_kills_it(tmp_path):
    out = tmp_path / "got"
    append = f"import sys, time\nopen({str(out)!r}, 'a').write(sys.stdin.read())\ntime.sleep(30)\n"
    settings = AlertSettings(command=(PY, "-c", append), hold_minutes=0, timeout_sec=60)
    failures = Failures()
    alerts = Alerts(settings, on_failure=failures)
    assert alerts.check(snap(0, state("orders", Health.OK))) == []
    fired = alerts.check(snap(1, state("orders", Health.CRIT, ts(1))))
    assert [a.stream for a in fired] == ["orders"]
    deadline = time.monotonic() + 5
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    started = time.monotonic()
    alerts.close()  # kmon exits: the command does not outlive it
    assert time.monotonic() - started < 2 and alerts.runner.running() == []
    assert json.loads(out.read_text())["to"] == "crit"
    assert failures.messages == []  # killed because kmon exits: not a failure to report
    assert not alerts.runner.run(fired[0])  # closed: nothing new starts
