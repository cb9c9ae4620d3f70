"""A large fleet through the real collector over HTTP: the first poll shows every stream within
the describe budget, and the consumers' listings follow over later polls at kmon's pace."""

from __future__ import annotations

import bisect
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from moto.kinesis.models import Stream

from kmon.collector.collector import (
    DESCRIBE_TIME_BUDGET,
    FIRST_PAINT_STREAMS,
    LIST_TIME_BUDGET,
    Collector,
    CollectorOptions,
)
from kmon.collector.consumers import LIST_CONSUMERS_PER_SEC
from tests.seed import NOW, REGION

FLEET = 300
READERS_EVERY = 10  # every 10th stream has a registered EFO consumer


class FakeMonotonic:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def make(endpoint: str, mono: FakeMonotonic) -> Collector:
    opts = CollectorOptions(region=REGION, endpoint_url=endpoint, refresh=60)
    return Collector(opts, clock=lambda: NOW, monotonic=mono, sleep=mono.sleep)


def record(collector: Collector, mono: FakeMonotonic) -> dict[str, list[float]]:
    """When (on ``mono``) each request of each API was sent."""
    sent: dict[str, list[float]] = defaultdict(list)
    count = collector.accounting.count_call

    def counted(api: str) -> None:
        sent[api].append(mono())
        count(api)

    collector.accounting.count_call = counted  # type: ignore[method-assign]
    return sent


def most_in_one_second(times: list[float]) -> int:
    return max(bisect.bisect_left(times, t + 1.0 - 1e-9) - i for i, t in enumerate(times))


@pytest.fixture
def efo_fleet(seeder):
    """FLEET streams; every READERS_EVERY-th has one registered EFO consumer."""
    kinesis = seeder.kinesis

    def one(i: int) -> None:
        name = f"s-{i:03d}"
        kinesis.create_stream(StreamName=name, ShardCount=1)
        if i % READERS_EVERY == 0:
            summary = kinesis.describe_stream_summary(StreamName=name)
            arn = summary["StreamDescriptionSummary"]["StreamARN"]
            kinesis.register_stream_consumer(StreamARN=arn, ConsumerName=f"{name}-reader")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(FLEET)))
    return seeder


def test_first_poll_shows_every_stream_and_consumers_follow_at_the_paced_rate(endpoint, efo_fleet):
    mono = FakeMonotonic()
    c = make(endpoint, mono)
    sent = record(c, mono)

    start = mono.t
    snap = c.poll()
    # More streams than one poll can describe (3 s x 10/s = 30): the first poll shows the
    # stream list alone, at once; everything else follows.
    assert FIRST_PAINT_STREAMS == 30
    assert [s.name for s in snap.streams] == [f"s-{i:03d}" for i in range(FLEET)]
    assert set(sent) == {"GetCallerIdentity", "ListStreams"} and mono.t == start
    assert snap.pending == FLEET

    mono.t += 1.0  # the app's follow-up, a second after each snapshot
    start = mono.t
    snap = c.poll()
    # Descriptions for DESCRIBE_TIME_BUDGET (3 s) at kmon's 10/s: 10 saved up + 3 s x 10 = 40
    # (one more may start on the deadline itself); no listing that would wait for its turn.
    assert mono.t - start <= DESCRIBE_TIME_BUDGET + 0.1 + 1e-9
    assert len(snap.streams) == FLEET
    described = sum(1 for s in snap.streams if s.described_at is not None)
    assert 40 <= described <= 41
    assert len(sent["ListStreamConsumers"]) <= 1  # the one saved-up turn
    # Not listed yet is unknown, never "no consumers".
    unknown = [s for s in snap.streams if s.efo_consumers is None]
    assert len(unknown) == FLEET - len(sent["ListStreamConsumers"])
    assert not any(s.efo_consumers == 0 for s in snap.streams)
    # Every stream still owes a description or a first listing: the app polls again soon.
    assert snap.pending == FLEET - len(sent["ListStreamConsumers"])

    per_poll = []  # ListStreamConsumers requests in each follow-up poll
    for _ in range(10):
        mono.t += 1.0  # the app's follow-up, a second after each snapshot
        before = len(sent["ListStreamConsumers"])
        snap = c.poll()
        per_poll.append(len(sent["ListStreamConsumers"]) - before)

    # 2.5 a second with one saved up: never more than 3 in any second (at 0, 0.4 and 0.8 s);
    # a poll lists for LIST_TIME_BUDGET (2 s): 1 + 2 x 2.5 = 6 at most (5 if the sixth turn's
    # time rounds past the end of the budget).
    assert LIST_CONSUMERS_PER_SEC == 2.5
    times = sent["ListStreamConsumers"]
    assert most_in_one_second(times) == 3
    assert all(5 <= n <= 1 + LIST_TIME_BUDGET * LIST_CONSUMERS_PER_SEC for n in per_poll)
    # Listed streams show their consumers; the others are still unknown, and owed.
    listed = len(times)
    efo = [s.efo_consumers for s in snap.streams]
    assert efo.count(None) == FLEET - listed
    with_reader = [s for s in snap.streams if s.efo_consumers == 1]
    assert all([x.kind for x in s.consumers] == ["efo"] for s in with_reader)
    assert len(with_reader) + efo.count(0) == listed
    assert len(with_reader) == len([s for s in with_reader if int(s.name[2:]) % 10 == 0])
    assert snap.pending == FLEET - listed


@pytest.fixture
def counted(monkeypatch):
    """moto describing streams as AWS does: with the number of registered consumers."""
    summary = Stream.to_json_summary

    def with_count(self):
        out = summary(self)
        out["StreamDescriptionSummary"]["ConsumerCount"] = len(self.consumers)
        return out

    monkeypatch.setattr(Stream, "to_json_summary", with_count)


def test_a_description_counting_no_consumers_saves_the_listing_and_a_new_count_relists(
    endpoint, seeder, counted
):
    kinesis = seeder.kinesis
    for name in ("quiet", "fanned", "later"):
        seeder.stream(name)
    arn = {
        name: kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
            "StreamARN"
        ]
        for name in ("quiet", "fanned", "later")
    }
    for reader in ("a", "b"):
        kinesis.register_stream_consumer(StreamARN=arn["fanned"], ConsumerName=reader)
    mono = FakeMonotonic()
    c = make(endpoint, mono)
    sent = record(c, mono)

    snap = c.poll()  # describes all three, then lists the one whose count is not 0
    efo = {s.name: s.efo_consumers for s in snap.streams}
    assert efo == {"quiet": 0, "fanned": 2, "later": 0}
    assert len(sent["ListStreamConsumers"]) == 1  # "fanned" only
    assert snap.pending == 0

    kinesis.register_stream_consumer(StreamARN=arn["later"], ConsumerName="new")
    mono.t += 61.0  # every stream is described again after a minute
    snap = c.poll()
    efo = {s.name: s.efo_consumers for s in snap.streams}
    assert efo == {"quiet": 0, "fanned": 2, "later": 1}
    assert len(sent["ListStreamConsumers"]) == 2  # "later", whose count changed
    assert [x.name for x in snap.stream("later").consumers] == ["new"]


def test_a_stream_opened_before_its_turn_is_described_and_listed_first(endpoint, seeder, counted):
    kinesis = seeder.kinesis
    for i in range(60):
        name = f"s-{i:02d}"
        seeder.stream(name)
        arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
            "StreamARN"
        ]
        kinesis.register_stream_consumer(StreamARN=arn, ConsumerName=f"{name}-reader")
    mono = FakeMonotonic()
    c = make(endpoint, mono)
    sent = record(c, mono)
    c.poll()  # 60 streams: the list alone
    c.set_focus("s-59")  # the last by name, opened at once
    mono.t += 1.0
    snap = c.poll()
    # 40 descriptions fit in the poll (10 saved up + 3 s x 10/s): the stream on screen's
    # first, then s-00 … s-38 (one more may start on the deadline itself).
    described = [s.name for s in snap.streams if s.described_at is not None]
    assert described[-1] == "s-59" and described[:39] == [f"s-{i:02d}" for i in range(39)]
    # The one listing turn this poll has goes to the stream on screen too.
    assert len(sent["ListStreamConsumers"]) == 1
    readers = {s.name: [x.name for x in s.consumers if x.kind == "efo"] for s in snap.streams}
    assert readers.pop("s-59") == ["s-59-reader"]
    assert not any(readers.values())
