"""Hostile text at the real terminal: the `kmon` process in a pseudo-terminal, every byte it
writes captured, keys typed as a user types them.

A KCL lease owner and an EFO consumer name carry an OSC title sequence and a colour sequence.
On every screen that shows them (overview, stream detail with its consumers and findings, the
consumer screen, the KCL leases, events, wall) the terminal must receive them as visible
escapes (the four characters ``\\x1b``), never as the sequences themselves: a terminal that got
``ESC ] 0 ; ... BEL`` would change its title (tmux's ``pane_title``), and ``ESC [31m`` its
colours.

AWS allows any text in a lease owner (a DynamoDB attribute, written by the KCL from the
worker's id); an EFO consumer name is validated by AWS ([a-zA-Z0-9_.-]+) but not by moto, so
the emulator lets the name carry the sequences too, as a changed or compromised API could.
"""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import sys
import termios
import threading
import time
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from tests.seed import REGION

HOSTILE = "\x1b]0;pwned-title\x07\x1b[31mRED"
OWNER = "worker-1" + HOSTILE
EFO = "fraud" + HOSTILE
TABLE = "ledger-app"
COLS, ROWS = 160, 45

# What must never reach the terminal: the title change and the colour change.
RAW = (b"\x1b]0;pwned", b"\x1b[31mRED")
# What the operator sees instead (the BEL is dropped on the way by Rich, which strips it from
# any text; the ESCs, which would do the harm, are shown).
SHOWN_OWNER = b"worker-1\\x1b]0;pwned-title"
SHOWN_EFO = b"fraud\\x1b]0;pwned-title"
SHOWN_COLOUR = b"\\x1b[31mRED"

ENTER, BACK_TAB, ESC = b"\r", b"\x1b[Z", b"\x1b"
# Rows of the consumers table only (not of the findings above it): they are drawn once the
# stream's detail has come, and Enter then has a row to open.
STOP_ROW = "■ STOP".encode()
LAG_ROW = b"lag over 30 s"


class Terminal:
    """A process on a pseudo-terminal of COLS x ROWS; everything it writes is kept."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.master = master
        self.out = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the process closed its side
                return
            if not data:
                return
            with self._lock:
                self.out += data

    def mark(self) -> int:
        with self._lock:
            return len(self.out)

    def since(self, mark: int) -> bytes:
        with self._lock:
            return bytes(self.out[mark:])

    def wait_for(self, mark: int, *needles: bytes, timeout: float = 10.0) -> bytes:
        """What was written since ``mark``, once it holds every needle."""
        deadline = time.monotonic() + timeout
        while True:
            chunk = self.since(mark)
            missing = [n for n in needles if n not in chunk]
            if not missing:
                return chunk
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"not on the terminal within {timeout} s: {missing}")
            time.sleep(0.05)

    def press(self, *keys: bytes) -> None:
        for key in keys:
            os.write(self.master, key)
            # A lone ESC is the escape key only once nothing follows it for a moment.
            time.sleep(0.3 if key == ESC else 0.15)

    def close(self) -> int | None:
        """The exit status once the process has ended (None when it had to be killed)."""
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None
        finally:
            self._reader.join(timeout=2)
            if self.master >= 0:
                os.close(self.master)
                self.master = -1


def client(service: str, endpoint: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def seed(endpoint: str) -> None:
    """Two streams: orders, read by a KCL application whose one lease the hostile owner
    holds; payments, read by the hostile EFO consumer, 15 minutes behind."""
    kinesis = client("kinesis", endpoint)
    for name in ("orders", "payments"):
        kinesis.create_stream(StreamName=name, ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName="payments")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    kinesis.register_stream_consumer(StreamARN=arn, ConsumerName=EFO)
    dynamodb = client("dynamodb", endpoint)
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "leaseKey", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "leaseKey", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(
        TableName=TABLE,
        Item={
            "leaseKey": {"S": "shardId-000000000000"},
            "leaseOwner": {"S": OWNER},
            "leaseCounter": {"N": "1"},
            "checkpoint": {"S": "TRIM_HORIZON"},
            "checkpointSubSequenceNumber": {"N": "0"},
            "ownerSwitchesSinceCheckpoint": {"N": "0"},
        },
    )
    cloudwatch = client("cloudwatch", endpoint)
    # kmon reads the real clock: the last ten complete minutes.
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    for name, dims, value in (
        ("IncomingBytes", {"StreamName": "orders"}, 60_000.0),
        ("IncomingBytes", {"StreamName": "payments"}, 60_000.0),
        (
            "SubscribeToShardEvent.MillisBehindLatest",
            {"StreamName": "payments", "ConsumerName": EFO},
            900_000.0,
        ),
    ):
        cloudwatch.put_metric_data(
            Namespace="AWS/Kinesis",
            MetricData=[
                {
                    "MetricName": name,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                    "Timestamp": now - timedelta(minutes=ago),
                    "StatisticValues": {
                        "SampleCount": 1.0,
                        "Sum": value,
                        "Minimum": value,
                        "Maximum": value,
                    },
                }
                for ago in range(1, 11)
            ],
        )


@pytest.fixture
def kmon_on_a_pty(endpoint, tmp_path):
    seed(endpoint)
    # A lease whose counter stands still for a second is dead: from the second poll on, the
    # owner's name is in a finding, so on the overview, the events and the wall too.
    config = tmp_path / "config.toml"
    config.write_text("[thresholds]\nlease_duration_sec = 1\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KMON_"))}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
        AWS_EC2_METADATA_DISABLED="true",
        XDG_CONFIG_HOME="/nonexistent",
        KMON_CONFIG=str(config),
        TERM="xterm-256color",
        COLUMNS=str(COLS),
        LINES=str(ROWS),
    )
    argv = [sys.executable, "-m", "kmon", "--endpoint-url", endpoint, "--region", REGION,
            "--refresh", "5", "--kcl-table", f"{TABLE}=orders"]  # fmt: skip
    term = Terminal(argv, env)
    try:
        yield term
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
        term.close()


def test_hostile_names_reach_the_terminal_only_as_visible_escapes(kmon_on_a_pty):
    term = kmon_on_a_pty
    began = time.monotonic()
    seen: dict[str, bytes] = {}

    # The overview: orders CRIT (its worker dead from the second poll on) above payments WARN
    # (its consumer behind), each naming its culprit.
    seen["overview"] = term.wait_for(0, SHOWN_OWNER, SHOWN_EFO, SHOWN_COLOUR, timeout=20)

    mark = term.mark()
    term.press(ENTER)  # the stream under the cursor: orders, the worst
    seen["orders"] = term.wait_for(mark, b"Consumer lag", SHOWN_OWNER, STOP_ROW)
    mark = term.mark()
    term.press(BACK_TAB, ENTER)  # from the first chart back round to the consumers: the KCL app
    seen["kcl"] = term.wait_for(
        mark, b"KCL application on orders", b"leases by worker", SHOWN_OWNER
    )

    mark = term.mark()
    term.press(ESC, ESC, b"j", ENTER)  # the overview, the next stream: payments
    seen["payments"] = term.wait_for(mark, b"Consumer lag", SHOWN_EFO, LAG_ROW)
    mark = term.mark()
    term.press(BACK_TAB, ENTER)  # its one consumer
    seen["consumer"] = term.wait_for(mark, b"enhanced fan-out consumer on payments", SHOWN_EFO)

    mark = term.mark()
    term.press(ESC, ESC, b"e")
    seen["events"] = term.wait_for(mark, b"newest first", SHOWN_EFO, SHOWN_OWNER)

    mark = term.mark()
    term.press(ESC, b"w")
    seen["wall"] = term.wait_for(mark, b"worst consumer", SHOWN_OWNER, SHOWN_EFO)

    term.press(b"q")
    assert term.close() == 0
    took = time.monotonic() - began

    everything = bytes(term.out)
    for raw in RAW:
        assert raw not in everything, raw
    for screen, chunk in seen.items():
        assert b"\\x1b]0;pwned-title" in chunk, screen
        for raw in RAW:
            assert raw not in chunk, (screen, raw)
    # The check is not vacuous: the hostile names were drawn many times over.
    assert everything.count(b"\\x1b]0;pwned-title") >= 10
    assert took < 30, f"took {took:.1f} s"
