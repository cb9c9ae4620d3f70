"""The dashboard with alerts: toasts for what fires, and a hung command never stalls it."""

from __future__ import annotations

import asyncio
import sys

from kmon.alerts import Alerts
from kmon.model.alerting import AlertSettings
from kmon.model.health import Health
from kmon.ui.app import KmonApp
from kmon.ui.messages import SnapshotReady
from kmon.ui.notify import desktop_notification
from kmon.ui.widgets.streams_table import StreamsTable
from tests.alerts.fleet import T0, snap, state, ts

PY = sys.executable
OK, CRIT = Health.OK, Health.CRIT


def rows(app: KmonApp) -> list[str]:
    return sorted(app.screen.query_one(StreamsTable).row_names())


def toasts(app: KmonApp) -> list[tuple[str, str]]:
    """(severity, text) of each toast on screen."""
    out = []
    for toast in app.screen.query("Toast"):
        severity = next(c.removeprefix("-") for c in toast.classes if c.startswith("-"))
        out.append((severity, str(toast.render())))
    return out


async def show(app, pilot, snapshot) -> None:
    app.post_message(SnapshotReady(snapshot))
    await pilot.pause()
    await pilot.pause()


async def test_a_hung_alert_command_never_stalls_the_dashboard():
    hang = AlertSettings(command=(PY, "-c", "import time; time.sleep(30)"), hold_minutes=0)
    alerts = Alerts(hang)
    app = KmonApp(None, refresh_sec=60, clock=lambda: T0, alerts=alerts)
    try:
        async with app.run_test(size=(140, 30), notifications=True) as pilot:
            await show(app, pilot, snap(0, state("orders", OK), state("payments", OK)))
            assert toasts(app) == []  # what kmon finds at start is not an alert
            await show(app, pilot, snap(1, state("orders", CRIT, ts(1)), state("payments", OK)))
            assert alerts.runner.running() == ["orders"]  # and hangs
            (toast,) = toasts(app)
            assert toast[0] == "error"
            assert "orders CRIT (was OK): writes throttled 5 minutes running" in toast[1]

            # Later polls are shown while the command still hangs.
            later = snap(2, state("orders", CRIT, ts(1)), state("payments", OK), state("new", OK))
            await show(app, pilot, later)
            assert app.snapshot is later
            assert rows(app) == ["new", "orders", "payments"]
            assert alerts.runner.running() == ["orders"]
    finally:
        alerts.close()
    assert alerts.runner.running() == []


async def test_a_failing_alert_command_is_shown_and_warn_alerts_are_warnings():
    settings = AlertSettings(
        min_severity="warn",
        command=(PY, "-c", "import sys; print('no route to pager'); sys.exit(2)"),
        hold_minutes=0,
        bell=True,
        desktop=True,  # a headless terminal gets no escape sequences, and does not break
    )
    alerts = Alerts(settings)
    app = KmonApp(None, refresh_sec=60, clock=lambda: T0, alerts=alerts)
    try:
        async with app.run_test(size=(140, 30), notifications=True) as pilot:
            await show(app, pilot, snap(0, state("orders", OK)))
            await show(app, pilot, snap(1, state("orders", Health.WARN, ts(1))))
            for _ in range(100):
                if len(toasts(app)) == 2:
                    break
                await asyncio.sleep(0.05)
                await pilot.pause()
            alert, failure = toasts(app)
            assert alert[0] == "warning" and "orders WARN (was OK)" in alert[1]
            assert failure == (
                "warning",
                "alert command for orders exited 2: no route to pager",
            )
    finally:
        alerts.close()


def test_desktop_notification_sequences_are_safe_to_write():
    text = desktop_notification("kmon", "orders CRIT;\x1b]0;pwned\x07 now")
    assert text == (
        "\x1b]9;kmon: orders CRIT; ]0;pwned  now\x07"
        "\x1b]777;notify;kmon;orders CRIT, ]0,pwned  now\x07"
    )
    wrapped = desktop_notification("kmon", "orders CRIT", tmux=True)
    assert wrapped.startswith("\x1bPtmux;\x1b\x1b]9;kmon: orders CRIT\x07\x1b\\")
    assert wrapped.count("\x1bPtmux;") == 2
