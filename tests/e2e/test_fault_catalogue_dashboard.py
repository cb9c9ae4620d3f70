"""The fault catalogue against the real dashboard: kmon -> fault proxy -> moto, each fault
switched on while the dashboard runs, what the screen shows during it, then cleared, and how
many refreshes (REFRESH = 5 s of the collector's fake clock each) until the screen is right.

Numbers in the comments are the catalogue's "before" (the old version) where it matters.
"""

from __future__ import annotations

import re
import time

import pytest

from kmon.collector.consumers import DENIED_RETRY_SEC
from kmon.ui.screens.kcl import KclScreen
from tests.collector.consumer_seed import World, lease_item
from tests.e2e.harness import REFRESH, Dashboard, dashboard
from tests.faultproxy import FaultProxy
from tests.seed import MIB


@pytest.fixture
def proxy(endpoint):
    with FaultProxy(endpoint) as p:
        yield p


@pytest.fixture
def world(endpoint) -> World:
    return World(endpoint)


@pytest.fixture
def fleet(seeder):
    """alpha and beta: 2 shards each, writing 1 MiB/s (50% of 2 MiB/s)."""
    for name in ("alpha", "beta"):
        seeder.stream(name, shards=2)
        seeder.steady(name, "IncomingBytes", 60 * 1.0 * MIB)  # 60 MiB a minute: 1 MiB/s
    return seeder


def row(d: Dashboard, stream: str) -> str:
    """The overview's line for ``stream``, as drawn."""
    lines = [line for line in d.text().splitlines() if line[1:].startswith(f"{stream} ")]
    assert len(lines) == 1, d.text()
    return lines[0]


def problems(d: Dashboard) -> dict[str, str]:
    return {e.source: e.message for e in d.snapshot.errors}


def clean(d: Dashboard) -> bool:
    """No error in the header and the numbers current."""
    header = d.header()
    return "ERROR" not in header and "STALE" not in header and "updated 0s ago" in header


# -- 1. CloudWatch and Kinesis failing: the reason on screen, the numbers kept -------------------

# What the header says while CloudWatch alone fails, by fault.
CLOUDWATCH_FAULTS = {
    "deny": "metrics: access denied: kmon needs cloudwatch:GetMetricData",
    "error": "metrics: GetMetricData failed: InternalFailure: injected by the test proxy",
    "reset": "metrics: {url} closed the connection without answering",
    "garbage": "metrics: the endpoint answered with something that is not AWS's API (HTTP 502)",
    "hang": "metrics: {url} did not answer in time: the service or the network is slow",
}
READ_TIMEOUT = 1.0  # short, so a hang costs the test 2 s; long enough for a loaded moto


def to_next_minute(d: Dashboard) -> float:
    """Seconds from the fake now to the next minute, when the metrics are due again."""
    return 60.0 - d.clocks.now.second


async def test_cloudwatch_failures_are_named_at_once_and_over_at_the_next_poll(fleet, proxy):
    async with dashboard(proxy.url, read_timeout=READ_TIMEOUT) as d:
        assert "1.0 MiB/s" in row(d, "alpha") and clean(d)
        for fault, says in CLOUDWATCH_FAULTS.items():
            proxy.set("cloudwatch", fault)
            # A new minute: the metrics are due and meet the fault.
            away = to_next_minute(d)
            started = time.monotonic()
            await d.tick(away)
            took = time.monotonic() - started
            header = d.header()
            # The old version said "updated 4s ago" and nothing more while CloudWatch failed;
            # a binary body read "UnicodeDecodeError"; a hang showed STALE, no reason, ~50 s.
            assert f"updated {away:.0f}s ago" in header and "STALE" in header, fault
            assert "ERROR" in header and says.format(url=proxy.url) in header, fault
            assert "UnicodeDecodeError" not in d.text() and "Traceback" not in d.text()
            assert "1.0 MiB/s" in row(d, "alpha"), fault  # the last good numbers stay
            if fault == "hang":
                # Two attempts of the read timeout, then the poll goes on without CloudWatch.
                assert 2 * READ_TIMEOUT <= took < 2 * READ_TIMEOUT + 3.0
                print(f"CloudWatch hang named after {took:.2f} s (read timeout {READ_TIMEOUT} s)")

            proxy.clear()
            assert await d.recover(lambda: clean(d)) == REFRESH, fault  # the next poll
            assert "1.0 MiB/s" in row(d, "alpha") and "metrics" not in problems(d)


async def test_throttles_are_named_as_aws_and_over_at_the_first_poll_after_them(fleet, proxy):
    async with dashboard(proxy.url) as d:
        proxy.set("cloudwatch", "throttle")
        sent = []
        for seconds in (30, REFRESH, REFRESH):  # throttled at 12:01:00, :05 and :10
            asked = proxy.seen[("cloudwatch", "GetMetricData")]
            await d.tick(seconds)
            sent.append(proxy.seen[("cloudwatch", "GetMetricData")] - asked)
            # AWS's throttle, named (the old header: "rate budget exhausted, backing off").
            assert (
                "metrics: GetMetricData throttled by AWS (ThrottlingException): backing off"
            ) in d.header()
        # One probe a refresh (botocore's two attempts): kmon's back-off never outlasts a
        # refresh, so the old 52-60 s wait after a 2-minute throttle cannot happen.
        assert all(0 < n <= 2 for n in sent), sent
        assert d.collector.budget.max_pause == pytest.approx(0.9 * REFRESH)
        proxy.clear()
        assert await d.recover(lambda: clean(d)) == REFRESH
        assert "1.0 MiB/s" in row(d, "alpha")

        # Kinesis: the stream list stays on screen while ListStreams is throttled.
        proxy.set("kinesis", "throttle", "ListStreams")
        await d.tick()
        header = d.header()
        assert "streams: ListStreams throttled by AWS (ThrottlingException)" in header
        assert "rate budget" not in header
        assert "1.0 MiB/s" in row(d, "alpha") and "1.0 MiB/s" in row(d, "beta")
        proxy.clear()
        assert await d.recover(lambda: clean(d)) == REFRESH


# -- 2. KCL applications and Lambda consumers through DynamoDB/Lambda faults ---------------------


@pytest.fixture
def payments(seeder, world):
    """payments: a KCL application that has stopped (a lease nobody owns) and polling readers
    45 s behind."""
    seeder.stream("payments", shards=1)
    seeder.steady("payments", "IncomingRecords", 6000)
    seeder.steady(
        "payments", "GetRecords.IteratorAgeMilliseconds", 45_000, maximum=45_000, minutes=30
    )
    world.table("payments-app", [lease_item("shardId-000000000000", owner=None)])
    return seeder


def consumer_row(d: Dashboard, name: str) -> str:
    """The consumer panel's row for ``name`` on the stream screen, as drawn."""
    lines = [line for line in d.text().splitlines() if f"│  {name} " in line]
    assert len(lines) == 1, d.text()
    return lines[0].rsplit("│ │", 1)[-1]


async def test_a_dynamodb_throttle_keeps_the_stopped_application_on_screen(payments, proxy):
    async with dashboard(proxy.url, kcl_tables={"payments-app": "payments"}) as d:
        assert "STOP payments-app" in row(d, "payments")
        proxy.set("dynamodb", "throttle", "Scan")
        for _ in range(2):
            await d.tick()
            line = row(d, "payments")
            assert "STOP payments-app" in line and "CRIT" in line
        assert problems(d)["lag:kcl:payments-app"] == (
            "Scan throttled by AWS (ThrottlingException): backing off"
        )
        d.app.open_stream("payments")
        await d.tick()  # 12:00:45, throttled for 15 s
        # The old version's worst consumer was "45s shared readers" by now.
        assert d.snapshot.stream("payments").worst_consumer.name == "payments-app"
        assert "■ STOP (stale 15s)" in consumer_row(d, "payments-app")  # judged at 12:00:30

        proxy.clear()
        took = await d.recover(lambda: "stale" not in consumer_row(d, "payments-app"))
        assert took == REFRESH
        assert "■ STOP  lease shardId-000000000000" in consumer_row(d, "payments-app")
        assert "lag:kcl:payments-app" not in problems(d)
        await d.press("escape")
        assert "STOP payments-app" in row(d, "payments")


async def test_denied_consumer_reads_come_back_at_r_or_five_minutes_on(payments, proxy, world):
    world.function("payments-fn", world.arn("payments"))
    async with dashboard(proxy.url, kcl_tables={"payments-app": "payments"}) as d:
        d.app.open_stream("payments")
        await d.poll()
        for name in ("payments-app", "payments-fn"):
            assert "■ STOP " in consumer_row(d, name) and "stale" not in consumer_row(d, name)
        proxy.set("dynamodb", "deny")
        proxy.set("lambda", "deny")
        # 160 s: past the Lambda mapping list's cache (120 s, +30% jitter), so both are asked.
        await d.tick(160)
        for name in ("payments-app", "payments-fn"):
            assert "■ STOP (stale 2m)" in consumer_row(d, name)  # kept, marked, never dropped
        await d.press("x")
        listed = d.text()
        assert "KCL applications not read: no permission: dynamodb:Scan" in listed
        assert "Lambda consumers not read: no permission: lambda:ListEventSourceMappings" in listed
        await d.press("escape")

        proxy.clear()
        await d.tick()
        # Locked out: a permission is asked again after DENIED_RETRY_SEC (the old version waited
        # up to 30 min, and r did not help)...
        assert {"lag:kcl", "lag:lambda"} <= set(problems(d))
        assert "stale" in consumer_row(d, "payments-app")
        polls = d.polls
        await d.press("r")  # ... unless the operator presses r: asked again in that poll
        assert d.polls == polls  # r started the poll itself, no tick of the clock
        assert not [s for s in problems(d) if s.startswith("lag:")]
        for name in ("payments-app", "payments-fn"):
            assert "stale" not in consumer_row(d, name)

        # Without r, the first poll DENIED_RETRY_SEC (300 s) after the denial asks again.
        proxy.set("dynamodb", "deny")
        await d.tick()
        proxy.clear()
        await d.tick(DENIED_RETRY_SEC - REFRESH)
        assert "lag:kcl" in problems(d)  # 295 s: still locked out
        await d.tick()
        assert "lag:kcl" not in problems(d)
        assert "stale" not in consumer_row(d, "payments-app")


# -- 3. credentials that expire and are rotated while kmon runs ---------------------------------


async def test_rotated_keys_are_used_at_the_first_poll_after_the_rotation(
    fleet, proxy, tmp_path, monkeypatch
):
    creds = tmp_path / "credentials"
    creds.write_text("[default]\naws_access_key_id = OLDKEY\naws_secret_access_key = old\n")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    async with dashboard(proxy.url) as d:
        assert set(proxy.keys) == {"OLDKEY"} and clean(d)
        proxy.set("*", "expired", key="OLDKEY")
        await d.tick()
        # The header takes turns through the two sources that failed (streams, metrics).
        assert (
            "ERROR" in d.header()
            and ("AWS credentials have expired: refresh them ('aws sso login' or new keys)")
            in d.header()
        )
        assert {"streams", "metrics"} <= set(problems(d))
        assert "1.0 MiB/s" in row(d, "alpha")  # the last good numbers stay

        creds.write_text("[default]\naws_access_key_id = NEWKEY\naws_secret_access_key = new\n")
        proxy.keys.clear()
        # The old version never read them again (75 s on, no request carried the new key).
        assert await d.recover(lambda: clean(d)) == REFRESH
        assert set(proxy.keys) == {"NEWKEY"}


# -- 4. reshards and the shards screen ----------------------------------------------------------


async def test_a_reshard_shows_on_the_shards_screen_and_overview_at_the_next_poll(
    fleet, proxy, seeder
):
    seeder.stream("gamma", shards=2)
    seeder.steady("gamma", "IncomingBytes", 60 * 1.0 * MIB)
    async with dashboard(proxy.url) as d:
        assert "50%" in row(d, "beta") and "2" in row(d, "beta").split()
        d.app.open_stream("beta")
        await d.poll()
        await d.press("s")
        assert "beta  shards: 2 open, 0 closed" in d.text()
        for name in ("beta", "gamma"):
            seeder.kinesis.update_shard_count(
                StreamName=name, TargetShardCount=4, ScalingType="UNIFORM_SCALING"
            )
        await d.tick()
        # On screen: the new shards at the next poll (the old version: 60 s).
        assert "beta  shards: 4 open, 2 closed" in d.text()
        polls = d.polls
        await d.press("escape", "escape")
        assert d.polls == polls  # the overview had it from that same poll
        cells = row(d, "beta").split()
        assert "25%" in cells and "4" in cells  # 1 MiB/s of 4 x 1 MiB/s
        assert "2" in row(d, "gamma").split()
        # Off screen: gamma, described at 12:00:30 with alpha, is due again 60 s on
        # (REDESCRIBE_MIN_SEC); alpha goes first at 12:01:30 (3 streams x 5 s / 60 s = one
        # description a poll), gamma at 12:01:35: 65 s, 13 refreshes (the old version: 10 min 22 s).
        took = REFRESH + await d.recover(lambda: "4" in row(d, "gamma").split(), limit=13)
        assert took == 65.0 and "25%" in row(d, "gamma").split()


async def test_the_shards_screen_lists_shards_while_cloudwatch_is_denied(fleet, proxy, world):
    world.kinesis.enable_enhanced_monitoring(StreamName="alpha", ShardLevelMetrics=["ALL"])
    for shard in ("shardId-000000000000", "shardId-000000000001"):
        # Maximum 5 MiB, Sum 6 x 5 = 30 MiB a minute: 512 KiB/s, half the shard's 1 MiB/s.
        dims = {"StreamName": "alpha", "ShardId": shard}
        world.metric("AWS/Kinesis", "IncomingBytes", dims, {a: 5 * MIB for a in range(1, 11)})
    async with dashboard(proxy.url) as d:
        proxy.set("cloudwatch", "deny")
        d.app.open_stream("alpha")
        await d.tick(30)
        await d.press("s")
        text = d.text()
        # The old version drew an empty table here.
        assert "alpha  shards: 2 open, 0 closed" in text
        shard_rows = [line for line in text.splitlines() if " shardId-00000000000" in line]
        assert len(shard_rows) == 2
        assert all("512 KiB/s" not in line for line in shard_rows)  # metrics fill in later
        assert "access denied: kmon needs cloudwatch:GetMetricData" in d.header()

        proxy.clear()
        assert await d.recover(lambda: clean(d)) == REFRESH
        shard_rows = [line for line in d.text().splitlines() if " shardId-00000000000" in line]
        assert all("50%" in line and "512 KiB/s" in line for line in shard_rows)


# -- 5. hostile text and absurd numbers from the endpoint ---------------------------------------

# A lease owner is free text in AWS too; stream and consumer names AWS validates and moto does
# not, so here they carry sequences as a changed or compromised endpoint could.
TITLE = "ip-10-0-1-1\x1b]0;pwned-title\x07"  # an OSC that would set the terminal's title
COLOUR = "fraud\x1b[31mscorer"
RTL = "orders\u202eevil"
OSC_STREAM = "audit\x1b]0;x\x07log"
CSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")  # what the app draws with: colours, moves


async def test_hostile_names_arriving_while_running_are_drawn_as_escapes(proxy, world):
    world.stream("payments")
    world.table("hostile-app", [lease_item("shardId-000000000000", owner=TITLE)])
    async with dashboard(proxy.url, kcl_tables={"hostile-app": RTL}) as d:
        arn = world.stream(RTL)
        world.stream(OSC_STREAM)
        world.kinesis.register_stream_consumer(StreamARN=arn, ConsumerName=COLOUR)
        await d.tick()
        # The old version sent these to the terminal raw: the title changed, columns shifted.
        assert under(d, "Health", "orders\\u202eevil") == "✓ OK"
        assert under(d, "Health", "audit\\x1b]0;x\\x07log") == "✓ OK"
        assert under(d, "Worst lag", "orders\\u202eevil") == "UNKNOWN fraud\\x1b[31mscorer"
        assert_inert(d)

        d.app.open_stream(RTL)
        await d.poll()
        assert "orders\\u202eevil  ✓ OK" in d.text()
        assert under(d, "Status", "fraud\\x1b[31mscorer") == "? UNKNOWN"  # consumer panel
        assert_inert(d)
        d.app.push_screen(KclScreen(RTL, "hostile-app"))  # Enter on the application's row
        await d.poll()
        # Rich drops the BEL from a text before it is drawn; the ESC it ended is shown.
        assert under(d, "Owner", "shardId-000000000000") == "ip-10-0-1-1\\x1b]0;pwned-title"
        assert under(d, "Status", "shardId-000000000000") == "? UNKNOWN"
        assert_inert(d)


def under(d: Dashboard, label: str, row_start: str) -> str:
    """The cell drawn under the heading ``label`` in the row whose text (after any border)
    starts with ``row_start``: what the eye reads in that column."""
    lines = d.text().splitlines()
    heading = next(line for line in lines if f" {label} " in line)
    line = next(
        line for line in lines if line.rsplit("│ │", 1)[-1][1:].lstrip().startswith(row_start)
    )
    x = heading.index(f" {label} ") + 1
    assert line[x - 1] == " ", f"the column under {label!r} does not start at {x}:\n{line}"
    return line[x:].split("  ")[0]


def assert_inert(d: Dashboard) -> None:
    """What would be written to the terminal holds no title sequence, bell or direction
    override: the only escapes in it are the CSI sequences the app itself draws with."""
    out = d.terminal_bytes()
    assert "\u202e" not in out and "\x07" not in out
    assert "\x1b" not in CSI.sub("", out)  # no OSC (a title), no other escape
    assert d.app.title == "kmon"


async def test_absurd_numbers_read_as_bounds_not_hundreds_of_digits(fleet, proxy):
    async with dashboard(proxy.url) as d:
        # The endpoint publishes nonsense for the minute now ending.
        for metric in (
            "IncomingBytes",
            "WriteProvisionedThroughputExceeded",
            "GetRecords.IteratorAgeMilliseconds",
        ):
            fleet.metric("alpha", metric, {0: 1e30})
        await d.tick(30)
        line = row(d, "alpha")
        for bound in (">999 TiB/s", ">9999%", ">999d", ">999G"):
            assert bound in line
        assert "e+" not in line and "000000" not in line
