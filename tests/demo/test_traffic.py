"""The traffic model is reproducible and throttles only where a limit is exceeded."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import kmon.demo
from kmon.demo.fleet import default_fleet
from kmon.demo.traffic import StreamMinute, TokenBucket, TrafficModel
from kmon.model import limits

T0 = 1_795_000_000.0 - 1_795_000_000.0 % 60


def run(seed: int, minutes: int = 30) -> list[dict[str, StreamMinute]]:
    model = TrafficModel(default_fleet(), seed, T0)
    return [model.step(T0 + (i - minutes) * 60) for i in range(minutes)]


def test_same_seed_same_minutes() -> None:
    assert run(7) == run(7)


def test_other_seed_other_minutes() -> None:
    a, b = run(7), run(8)
    assert a != b
    assert a[-1]["orders-events"].records != b[-1]["orders-events"].records


def test_token_bucket_refills_up_to_one_second() -> None:
    bucket = TokenBucket(5)
    assert bucket.available(5) == 5 + 25
    bucket.consume(30, 5)
    assert bucket.tokens == 0
    bucket.consume(0, 100)
    assert bucket.tokens == 5


def test_writes_throttle_only_above_the_shard_limit() -> None:
    minutes = run(7, 60)
    for m in minutes:
        for name, sm in m.items():
            for s in sm.shards:
                # Never more accepted than the limit allows (plus one second of burst).
                assert s.records <= limits.SHARD_WRITE_RECORDS_PER_SEC * 61 + 1e-6 or (
                    name == "clickstream"
                )
            if name != "payments-ledger":
                assert sm.throttled_records == 0, name
        hot = m["payments-ledger"].shards[0]
        assert hot.throttled_records > 0
        assert hot.offered_records > limits.SHARD_WRITE_RECORDS_PER_SEC * 60


def test_reads_throttle_only_above_five_calls_per_second() -> None:
    for m in run(7, 20):
        for name, sm in m.items():
            for s in sm.shards:
                assert s.get_calls <= limits.SHARD_GET_RECORDS_PER_SEC * 61 + 1e-6
            assert (sm.read_throttled > 0) == (name == "telemetry-fanout"), name


def test_throttling_follows_the_limits_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "SHARD_WRITE_RECORDS_PER_SEC", 5_000)
    monkeypatch.setattr(limits, "SHARD_GET_RECORDS_PER_SEC", 10)
    for m in run(7, 10):
        assert all(sm.throttled_records == 0 for sm in m.values())
        assert all(sm.read_throttled == 0 for sm in m.values())


def test_lagging_consumer_falls_behind_and_healthy_ones_keep_up() -> None:
    minutes = run(7, 180)
    lag = [max(c.age_ms.values()) for c in (m["inventory-updates"].consumers[0] for m in minutes)]
    assert lag[0] < 30_000 < lag[-1]
    assert lag[-1] > lag[-30] > lag[-60]
    ok = [max(m["orders-events"].consumers[0].age_ms.values()) for m in minutes]
    assert max(ok) < 5_000


def test_split_moves_traffic_to_children() -> None:
    spec = next(s for s in default_fleet() if s.name == "user-profiles")
    model = TrafficModel((replace(spec),), 7, T0)
    stream = model.streams["user-profiles"]
    model.step(T0)
    stream.split({"shardId-000000000000": ("shardId-000000000002", "shardId-000000000003")})
    m = model.step(T0 + 60)["user-profiles"]
    by_id = {s.shard_id: s for s in m.shards}
    assert by_id["shardId-000000000000"].records == 0
    assert by_id["shardId-000000000002"].records > 0
    assert by_id["shardId-000000000003"].records > 0
    finished = m.consumers[0].finished
    assert finished["shardId-000000000000"] and not finished["shardId-000000000002"]


def test_demo_imports_nothing_of_kmon_but_limits() -> None:
    # Whatever kmon.model.limits itself brings is allowed; the demo adds only kmon.demo.*.
    code = (
        "import sys, kmon.model.limits\n"
        "before = set(sys.modules)\n"
        "import kmon.demo, kmon.demo.world, kmon.demo.metric_index, kmon.demo.moto_patches\n"
        "new = sorted(m for m in set(sys.modules) - before\n"
        "             if m.startswith(('kmon', 'textual')) and not m.startswith('kmon.demo'))\n"
        "print(new)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    source = "\n".join(p.read_text() for p in Path(kmon.demo.__file__).parent.glob("*.py"))
    froms = set(re.findall(r"^\s*from (kmon[\w.]*) import ([\w, ]+)", source, re.MULTILINE))
    plain = set(re.findall(r"^\s*import (kmon[\w.]*)", source, re.MULTILINE))
    assert froms == {("kmon.model", "limits")}, froms
    assert plain <= {"kmon.model.limits"}, plain


def test_importing_the_demo_does_not_import_moto() -> None:
    # `kmon demo` checks demo_available() first; the package must import without moto.
    code = "import sys, kmon.demo; print('moto' in sys.modules, kmon.demo.demo_available())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_demo_unavailable_without_moto() -> None:
    code = (
        "import sys; sys.modules['moto'] = None; import kmon.demo;print(kmon.demo.demo_available())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _digest_code(seed: int) -> str:
    return (
        "import hashlib\n"
        "from kmon.demo.fleet import default_fleet\n"
        "from kmon.demo.traffic import TrafficModel\n"
        f"m = TrafficModel(default_fleet(), {seed}, {T0!r})\n"
        f"rows = [repr(sorted(m.step({T0!r} + i * 60).items())) for i in range(10)]\n"
        "print(hashlib.sha256('\\n'.join(rows).encode()).hexdigest())\n"
    )


def test_seed_reproduces_across_processes() -> None:
    # String seeds must not depend on PYTHONHASHSEED.
    env_runs = [
        subprocess.run(
            [sys.executable, "-c", _digest_code(7)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": str(hs)},
        ).stdout
        for hs in (1, 2)
    ]
    assert env_runs[0] == env_runs[1] and len(env_runs[0].strip()) == 64
