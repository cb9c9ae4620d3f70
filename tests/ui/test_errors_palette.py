"""Every current error readable in the dashboard, the palette that jumps to streams worst
first, and the footer's current cost rate."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from kmon.model.snapshot import ApiUsage
from kmon.ui.app import KmonApp
from kmon.ui.messages import SnapshotReady
from kmon.ui.screens.errors import ErrorsScreen
from kmon.ui.widgets.usage import UsageBar
from tests.ui.fleet import NOW, snapshot

LONG = "access denied: kmon needs cloudwatch:GetMetricData on " + "x" * 200 + " (end)"


class Clock:
    def __init__(self, t=NOW):
        self.t = t

    def __call__(self):
        return self.t


def header_line(app) -> str:
    return app.screen.header.render_text().plain.splitlines()[1]


async def test_the_header_takes_turns_with_each_error_and_x_lists_them_in_full():
    clock = Clock(NOW.replace(second=0))
    app = KmonApp(None, refresh_sec=60, context={}, clock=clock)
    errors = {"metrics": LONG, "kcl:orders-app": "throttled: DynamoDB Scan", "lag:x": "a note"}
    async with app.run_test(size=(120, 30)) as pilot:
        app.post_message(SnapshotReady(snapshot(at=clock.t, errors=errors)))
        await pilot.pause()
        first = header_line(app)
        assert "ERROR 1/2" in first and "metrics:" in first
        clock.t += timedelta(seconds=5)
        app.screen.header.refresh_now()
        second = header_line(app)
        assert "ERROR 2/2" in second and "kcl:orders-app: throttled: DynamoDB Scan" in second
        assert "x: all" in second

        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ErrorsScreen)
        text = app.screen.query_one("#errors-text").render()
        plain = str(text)
        # The whole message, which the header cut, and the note under its own heading.
        assert LONG in plain.replace("\n", "")
        assert "Errors (2)" in plain and "Notes (1)" in plain and "a note" in plain
        await pilot.press("escape")
        assert not isinstance(app.screen, ErrorsScreen)


async def test_no_errors_says_so():
    app = KmonApp(None, refresh_sec=60, context={}, clock=lambda: NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(SnapshotReady(snapshot()))
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        assert "no errors" in str(app.screen.query_one("#errors-text").render())


async def test_palette_jumps_to_streams_worst_first():
    app = KmonApp(None, refresh_sec=60, context={}, clock=lambda: NOW)
    async with app.run_test(size=(120, 30)) as pilot:
        app.post_message(SnapshotReady(snapshot()))
        await pilot.pause()
        await pilot.press("colon")
        await pilot.pause(0.5)
        palette = app.screen
        assert palette.query_one("CommandInput").placeholder == "Jump to stream…"
        options = palette.query_one("CommandList")
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        # payments-ledger is CRIT, inventory-updates WARN, the rest OK by name.
        assert prompts[0].startswith("payments-ledger") and "CRIT" in prompts[0]
        assert prompts[1].startswith("inventory-updates") and "WARN" in prompts[1]
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.stream_name == "payments-ledger"


async def test_footer_shows_the_current_rate_and_the_totals_so_far():
    app = KmonApp(None, refresh_sec=60, context={}, clock=lambda: NOW)
    api = ApiUsage(calls=120, metrics_requested=50_000, calls_per_min=4, metrics_per_hour=6000)
    async with app.run_test(size=(160, 30)) as pilot:
        app.post_message(SnapshotReady(replace(snapshot(), api=api)))
        await pilot.pause()
        line = str(app.screen.query_one(UsageBar).render())
        # 6,000 metrics/h x 24 h at $0.01 per 1,000 = $1.44/day; 50,000 so far = $0.50.
        assert "$1.44/day now" in line and "last 5 min" in line
        assert "since start $0.50" in line


async def test_a_metrics_only_outage_shows_how_old_the_numbers_are():
    from kmon.model.snapshot import SourceStatus

    snap = snapshot()
    # The stream list answered a moment ago; CloudWatch last answered 3 minutes ago.
    sources = (
        SourceStatus("streams", NOW),
        SourceStatus("metrics", NOW - timedelta(minutes=3), "GetMetricData throttled"),
    )
    app = KmonApp(None, refresh_sec=60, context={}, clock=lambda: NOW)
    async with app.run_test(size=(160, 30)) as pilot:
        app.post_message(SnapshotReady(replace(snap, sources=sources)))
        await pilot.pause()
        line = header_line(app)
        assert "updated 3m 00s ago" in line and "STALE" in line
