"""Every option either works where it is given or is refused, in one line, exit 2; and the
start-up checks that name what is wrong: an unknown profile (with the files read), a plain
http endpoint to another machine."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import pytest

from kmon import cli
from kmon.cli import FLAGS, build_parser, plain_http_warning, refusal
from kmon.config import DEMO_REFRESH, Settings
from tests.cli.test_cli import CREDS, run
from tests.seed import REGION

REFUSED = [
    (["demo", "--region", "eu-west-1"], "demo runs its own emulator", "--region"),
    (["demo", "--profile", "prod"], "demo runs its own emulator", "--profile"),
    (["demo", "--endpoint-url", "http://127.0.0.1:4566"], "demo runs its own", "--endpoint-url"),
    (["--region", "eu-west-1", "demo"], "demo runs its own emulator", "--region"),
    (["demo", "--serve", "--stream", "a"], "demo --serve opens no dashboard", "--stream"),
    (["demo", "--serve", "--refresh", "30"], "demo --serve opens no dashboard", "--refresh"),
    (["demo", "--serve", "--kcl-table", "t=s"], "demo --serve opens no dashboard", "--kcl-table"),
    (["demo", "--serve", "--probe-lag"], "demo --serve opens no dashboard", "--probe-lag"),
    (["demo", "--serve", "--wall"], "demo --serve opens no dashboard", "--wall"),
    (["--cycle", "20", "demo", "--serve"], "demo --serve opens no dashboard", "--cycle"),
    (["snapshot", "--refresh", "30"], "snapshot polls once", "--refresh"),
    (["--refresh", "30", "snapshot"], "snapshot polls once", "--refresh"),
    (["events", "--refresh", "30"], "events polls once without --follow", "--refresh"),
    (["--wall", "events"], "is for the dashboard; events has no screen", "--wall"),
    (["--cycle", "20", "snapshot"], "is for the dashboard; snapshot has no screen", "--cycle"),
    (["snapshot", "--budget", "2"], "snapshot polls once", "--budget"),
    (["--max-staleness", "600", "snapshot"], "snapshot polls once", "--max-staleness"),
    (["events", "--budget", "0"], "events polls once without --follow", "--budget"),
    (["demo", "--serve", "--budget", "2"], "demo --serve opens no dashboard", "--budget"),
]


@pytest.mark.parametrize("args, reason, flag", REFUSED, ids=[" ".join(a) for a, _, _ in REFUSED])
def test_an_option_that_would_be_ignored_is_refused_in_one_line(args, reason, flag):
    r = run(*args)
    assert r.returncode == 2 and r.stdout == ""
    (line,) = r.stderr.splitlines()
    assert line.startswith("kmon: ") and reason in line and flag in line


@pytest.mark.parametrize(
    "args",
    [
        ["--profile", "p", "--region", "r", "--endpoint-url", "https://x", "--stream", "a",
         "--refresh", "30", "--kcl-table", "t=a", "--probe-lag", "--wall", "--cycle", "5",
         "--budget", "2", "--max-staleness", "600", "--debug", "--log", "/tmp/x"],
        ["snapshot", "--profile", "p", "--region", "r", "--endpoint-url", "https://x",
         "--stream", "a", "--kcl-table", "t=a", "--probe-lag", "--timeout", "5",
         "--allow-partial", "--debug", "--log", "/tmp/x"],
        ["events", "--follow", "--refresh", "30", "--stream", "a", "--profile", "p",
         "--budget", "0"],
        ["demo", "--stream", "a", "--refresh", "30", "--kcl-table", "t=a", "--probe-lag",
         "--wall", "--cycle", "5", "--seed", "3", "--port", "4000", "--debug", "--log", "/x"],
        ["demo", "--serve", "--seed", "3", "--port", "4000", "--debug", "--log", "/tmp/x"],
    ],
    ids=["dashboard", "snapshot", "events --follow", "demo", "demo --serve"],
)  # fmt: skip
def test_options_that_work_where_given_are_accepted(args):
    assert refusal(build_parser().parse_args(args)) is None


# Options that do something wherever their command's parser accepts them.
ALWAYS_APPLY = {"help", "version", "debug", "log", "seed", "port", "serve", "follow", "timeout",
                "allow_partial", "command"}  # fmt: skip


def test_every_option_is_judged_by_the_refusal_rules():
    """A new option must be added to FLAGS (and the rules) or to ALWAYS_APPLY, knowingly."""
    parser = build_parser()
    parsers = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            parsers.extend(action.choices.values())
    dests = {a.dest for p in parsers for a in p._actions}
    assert dests - ALWAYS_APPLY == set(FLAGS)


def test_demo_help_and_readme_state_the_demo_refresh():
    demo_help = run("demo", "--help").stdout
    assert f"default {DEMO_REFRESH:g}," in " ".join(demo_help.split())
    assert f"refreshing every {DEMO_REFRESH:g} s" in " ".join(demo_help.split())
    readme = (cli_root() / "README.md").read_text()
    assert f"`kmon demo` refreshes every {DEMO_REFRESH:g} s" in " ".join(readme.split())


def cli_root():
    from pathlib import Path

    return Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KMON_"))}
    env.update(AWS_EC2_METADATA_DISABLED="true", XDG_CONFIG_HOME="/nonexistent", **CREDS)
    env.update(extra)
    return env


def kmon(*args: str, env: dict):
    return subprocess.run([sys.executable, "-m", "kmon", *args], capture_output=True,
                          text=True, env=env, timeout=60)  # fmt: skip


def test_an_unknown_profile_names_the_config_file_read(tmp_path):
    config = tmp_path / "config"
    config.write_text("[profile staging]\nregion = eu-west-1\n")
    env = clean_env(AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    r = kmon("snapshot", "--profile", "prod", env=env)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == (
        f"kmon: AWS profile 'prod' (from --profile) is not in {config} (AWS_CONFIG_FILE) or "
        "/nonexistent (AWS_SHARED_CREDENTIALS_FILE, which does not exist): check the name "
        "('aws configure list-profiles' lists them)\n"
    )
    r = kmon("events", env={**env, "AWS_PROFILE": "prod"})
    assert r.returncode == 1 and "'prod' (from AWS_PROFILE)" in r.stderr
    r = kmon("snapshot", env={**env, "KMON_PROFILE": "prod"})
    assert r.returncode == 1 and "'prod' (from KMON_PROFILE)" in r.stderr
    kmon_config = tmp_path / "kmon.toml"
    kmon_config.write_text('profile = "prod"\n')
    r = kmon("snapshot", env={**env, "KMON_CONFIG": str(kmon_config)})
    assert r.returncode == 1 and f"'prod' (from {kmon_config})" in r.stderr


def test_an_unknown_profile_names_the_default_files_under_home(tmp_path):
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "config").write_text("[default]\nregion = eu-west-1\n")
    r = kmon("--profile", "prod", env=clean_env(HOME=str(tmp_path)))  # the dashboard too
    assert r.returncode == 1
    assert (
        f"is not in {tmp_path}/.aws/config or {tmp_path}/.aws/credentials (which does not exist)"
        in r.stderr
    )


def test_a_known_profile_passes(endpoint, seeder, tmp_path):
    seeder.stream("orders", shards=1)
    config = tmp_path / "config"
    config.write_text(f"[profile staging]\nregion = {REGION}\n")
    env = clean_env(AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    r = kmon("snapshot", "--profile", "staging", "--endpoint-url", endpoint, env=env)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize(
    "url, warned",
    [
        ("http://10.1.2.3:4566", True),
        ("http://localstack.internal:4566", True),
        ("http://[2001:db8::1]:4566", True),
        ("http://127.0.0.1:4566", False),
        ("http://127.8.9.10:4566", False),
        ("http://localhost:4566", False),
        ("http://LOCALHOST.:4566", False),
        ("http://[::1]:4566", False),
        ("http://[::ffff:127.0.0.1]:4566", False),
        ("https://10.1.2.3:4566", False),
    ],
)
def test_plain_http_to_another_machine_is_warned_about(url, warned):
    assert (plain_http_warning(url) is not None) == warned


def test_the_warning_is_one_line_on_stderr_before_the_command_runs(in_process, monkeypatch, capsys):
    monkeypatch.setattr(cli, "missing_profile", lambda *a, **k: None)
    monkeypatch.setattr(cli, "run_snapshot", lambda *a, **k: 0)
    monkeypatch.setattr(cli, "run_demo", lambda *a, **k: 0)
    assert cli.main(["snapshot", "--endpoint-url", "http://10.1.2.3:4566"]) == 0
    err = capsys.readouterr().err
    assert err == (
        "kmon: warning: http://10.1.2.3:4566 is plain http to another machine: every "
        "request's signature, access key id and any session token travel unencrypted (use "
        "https, or an emulator on 127.0.0.1)\n"
    )
    assert cli.main(["snapshot", "--endpoint-url", "http://localhost:4566"]) == 0
    assert cli.main(["demo"]) == 0  # the demo's own endpoint is on 127.0.0.1
    assert capsys.readouterr().err == ""


def test_the_warning_covers_the_environment_and_config_file(
    in_process, monkeypatch, capsys, tmp_path
):
    monkeypatch.setattr(cli, "missing_profile", lambda *a, **k: None)
    monkeypatch.setattr(cli, "run_snapshot", lambda *a, **k: 0)
    monkeypatch.setenv("KMON_ENDPOINT_URL", "http://10.1.2.3:4566")
    assert cli.main(["snapshot"]) == 0
    assert "http://10.1.2.3:4566 is plain http" in capsys.readouterr().err
    monkeypatch.delenv("KMON_ENDPOINT_URL")
    config = tmp_path / "config.toml"
    config.write_text('endpoint_url = "http://10.9.8.7"\n')
    monkeypatch.setenv("KMON_CONFIG", str(config))
    assert cli.main(["snapshot"]) == 0
    assert "http://10.9.8.7 is plain http" in capsys.readouterr().err


def test_missing_profile_is_none_without_a_profile():
    assert cli.missing_profile(Settings(), from_cli=False, env={}) is None
