"""The command line as a user runs it: a subprocess, its exit code, stdout and stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.seed import MIB, REGION


def run(*args: str, env_extra: dict | None = None, timeout: float = 60):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KMON_"))}
    env.update(
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
        AWS_EC2_METADATA_DISABLED="true",
        XDG_CONFIG_HOME="/nonexistent",
    )
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "kmon", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


CREDS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--refresh", "banana"], "not a number of seconds"),
        (["--refresh", "0"], "at least 5 seconds"),
        (["snapshot", "--refresh", "2"], "at least 5 seconds"),
        (["demo", "--port", "99999"], "port must be 1-65535"),
    ],
)
def test_bad_input_prints_usage_and_exits_2(args, needle):
    r = run(*args)
    assert r.returncode == 2
    assert "usage: kmon" in r.stderr and needle in r.stderr
    assert "Traceback" not in r.stderr


def test_help_teaches_and_version_prints():
    r = run("--help")
    assert r.returncode == 0
    for word in ("snapshot", "demo", "--endpoint-url", "--refresh", "examples:"):
        assert word in r.stdout
    assert run("--version").stdout.startswith("kmon ")


def test_snapshot_prints_the_json_contract(endpoint, seeder):
    seeder.stream("orders", shards=2)
    seeder.steady("orders", "IncomingBytes", 60 * MIB, minutes=5)
    r = run("snapshot", "--endpoint-url", endpoint, "--region", REGION, env_extra=CREDS)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert set(doc) >= {"generated_at", "region", "account", "endpoint", "streams", "errors", "api"}
    assert doc["generated_at"].endswith("Z") and doc["endpoint"] == endpoint
    (stream,) = doc["streams"]
    keys = {
        "name", "arn", "status", "mode", "open_shards", "retention_hours", "efo_consumers",
        "incoming_bytes_per_sec", "incoming_records_per_sec", "outgoing_bytes_per_sec",
        "write_bytes_utilization_pct", "write_records_utilization_pct",
        "read_bytes_utilization_pct", "iterator_age_ms", "write_throttled_per_min",
        "read_throttled_per_min", "health",
    }  # fmt: skip
    assert keys <= set(stream)
    assert stream["name"] == "orders" and stream["open_shards"] == 2
    assert doc["api"]["calls"] >= 5 and doc["api"]["metrics_requested"] == 7


def test_snapshot_names_lease_tables_that_read_no_stream_shown(endpoint, seeder):
    from tests.collector.consumer_seed import World, lease_item

    seeder.stream("orders", shards=2)
    World(endpoint).table("orphan-app", [lease_item("shardId-000000000007", "w", "49")])
    r = run("snapshot", "--endpoint-url", endpoint, "--region", REGION, env_extra=CREDS)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["unmatched_lease_tables"] == ["orphan-app"]
    assert doc["streams"][0]["consumers"] == []  # nobody reads orders


def test_options_work_before_or_after_the_command(endpoint, seeder):
    seeder.stream("a", shards=1)
    seeder.stream("b", shards=1)
    r = run(
        "--endpoint-url", endpoint, "--region", REGION, "snapshot", "--stream", "b", env_extra=CREDS
    )
    assert r.returncode == 0, r.stderr
    assert [s["name"] for s in json.loads(r.stdout)["streams"]] == ["b"]


@pytest.mark.parametrize(
    "args, env, needle",
    [
        (["snapshot", "--region", REGION], {}, "no AWS credentials found"),
        (["snapshot", "--profile", "nope"], {}, "AWS profile 'nope' (from --profile) is not in"),
        (["snapshot"], CREDS, "no AWS region configured: pass --region"),
        (
            ["snapshot", "--endpoint-url", "http://127.0.0.1:9", "--region", REGION],
            CREDS,
            "cannot reach http://127.0.0.1:9",
        ),
    ],
)
def test_snapshot_failures_are_one_line_and_exit_1(args, env, needle):
    r = run(*args, env_extra=env)
    assert r.returncode == 1
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kmon: ") and needle in lines[0]


def test_debug_shows_the_traceback():
    r = run("snapshot", "--debug", "--endpoint-url", "http://127.0.0.1:9", "--region", REGION,
            env_extra=CREDS)  # fmt: skip
    assert r.returncode == 1
    assert "Traceback" in r.stderr or "DEBUG" in r.stderr


def test_bad_config_file_is_a_clear_error(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text("refresh = 1\n")
    r = run("snapshot", env_extra={"KMON_CONFIG": str(cfg)})
    assert r.returncode == 2 and "refresh must be at least 5 seconds" in r.stderr
    cfg.write_text("colour = 'blue'\n")
    r = run("snapshot", env_extra={"KMON_CONFIG": str(cfg)})
    assert r.returncode == 2 and "unknown setting 'colour'" in r.stderr


def test_snapshot_of_only_missing_streams_fails(endpoint, seeder):
    seeder.stream("a", shards=1)
    r = run("snapshot", "--endpoint-url", endpoint, "--region", REGION, "--stream", "nope",
            env_extra=CREDS)  # fmt: skip
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.strip() == f"kmon: none of the streams asked for exist in {REGION}: nope"


def test_demo_without_moto_says_how_to_install_it(tmp_path):
    fake = tmp_path / "moto"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('no moto here')\n")
    r = run("demo", env_extra={"PYTHONPATH": str(tmp_path)})
    assert r.returncode == 1
    assert "pip install '.[demo]'" in r.stderr and "Traceback" not in r.stderr
