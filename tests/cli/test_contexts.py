"""Several regions and accounts from the command line and the config file."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from kmon.config import ConfigError, Settings, load_settings
from kmon.model.identity import Context
from kmon.model.replication import ReplicationRule
from tests.cli.test_cli import CREDS, run
from tests.collector.test_fleet import EU, ROLE, seeder_as_role, seeder_in
from tests.seed import MIB, REGION


def test_snapshot_of_two_regions_has_each_stream_with_where_it_lives(endpoint, seeder):
    now = datetime.now(timezone.utc)  # the subprocess reads the real clock
    seeder.stream("orders", shards=2)
    seeder.steady("orders", "IncomingBytes", 60 * MIB, now=now)
    eu = seeder_in(endpoint, EU)
    eu.stream("orders", shards=1)
    eu.steady("orders", "IncomingBytes", 60 * 0.5 * MIB, now=now)
    where = ("--endpoint-url", endpoint, "--region", REGION, "--region", EU)
    r = run("snapshot", *where, env_extra=CREDS)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    got = {(s["region"], s["name"]): s["incoming_bytes_per_sec"] for s in doc["streams"]}
    assert got == {(REGION, "orders"): pytest.approx(MIB), (EU, "orders"): pytest.approx(MIB / 2)}
    assert [c["label"] for c in doc["contexts"]] == [REGION, EU]
    assert {c["status"] for c in doc["contexts"]} == {"ok"}
    assert all(s["context"] == s["region"] for s in doc["streams"])

    r = run("snapshot", *where, "--stream", f"{EU}/orders", env_extra=CREDS)
    assert r.returncode == 0, r.stderr
    assert [(s["region"], s["name"]) for s in json.loads(r.stdout)["streams"]] == [(EU, "orders")]


def test_a_stream_in_no_watched_context_is_refused(endpoint):
    r = run(
        "snapshot", "--endpoint-url", endpoint, "--region", REGION, "--stream", "ap-south-1/x",
        env_extra=CREDS,
    )  # fmt: skip
    assert r.returncode == 2
    assert "no context watched is named that (contexts: us-east-1)" in r.stderr
    assert "Traceback" not in r.stderr


def settings_from(tmp_path, text: str, cli: dict | None = None, env: dict | None = None):
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    return load_settings(cli or {}, {"KMON_CONFIG": str(cfg), **(env or {})})


def test_config_contexts_and_replication_load(tmp_path):
    s = settings_from(
        tmp_path,
        """
[[contexts]]
region = "us-east-1"
[[contexts]]
profile = "prod"
region = "eu-west-1"
role_arn = "arn:aws:iam::222222222222:role/kmon-read"
label = "prod-eu"
[[contexts]]
region = "ap-south-1"
role_arn = "arn:aws:iam::333333333333:role/kmon-read"

[[replication]]
source = "us-east-1/orders"
target = "prod-eu:orders"
""",
    )
    assert s.fleet() == (
        Context("us-east-1", "us-east-1"),
        Context("prod-eu", "eu-west-1", "prod", "arn:aws:iam::222222222222:role/kmon-read"),
        Context(
            "333333333333@ap-south-1",
            "ap-south-1",
            None,
            "arn:aws:iam::333333333333:role/kmon-read",
        ),
    )
    assert s.replication == (ReplicationRule("us-east-1/orders", "prod-eu:orders"),)
    # A region asked for on the command line (or KMON_REGION) replaces the file's contexts.
    assert settings_from(
        tmp_path, "[[contexts]]\nregion = 'eu-west-1'\n", {"region": "x"}
    ).fleet() == (Context("x", "x"),)


def test_repeated_profiles_and_regions_make_each_pair():
    s = load_settings({"profiles": ("a", "b"), "regions": ("r1", "r2"), "profile": "a"}, {})
    assert [c.label for c in s.fleet()] == ["a@r1", "a@r2", "b@r1", "b@r2"]
    one = load_settings({"region": "eu-west-1"}, {})
    assert one.fleet() == (Context("eu-west-1", "eu-west-1"),)


@pytest.mark.parametrize(
    "text, needle",
    [
        ("[[contexts]]\nregion = 'mars-1'\n", "'mars-1' is not a region name"),
        ("[[contexts]]\nregion = 'eu-west-1'\nlabel = 'a/b'\n", "no '/' or ':'"),
        ("[[contexts]]\nrole_arn = 'arn:aws:iam::1:role/x'\n", "is not a role ARN"),
        ("[[contexts]]\nregion = 'eu-west-1'\nzone = 'a'\n", "unknown key 'zone'"),
        (
            "[[contexts]]\nregion = 'eu-west-1'\n[[contexts]]\nregion = 'eu-west-1'\n",
            "two contexts are labelled 'eu-west-1'",
        ),
        ("contexts = 'eu-west-1'\n", "contexts must be [[contexts]] tables"),
        ("[[replication]]\nsource = 'a'\n", "source and target must name streams"),
    ],
)
def test_bad_contexts_are_refused_with_a_reason(tmp_path, text, needle):
    with pytest.raises(ConfigError) as err:
        settings_from(tmp_path, text)
    assert needle in str(err.value)


def test_one_listed_region_is_watched_and_lists_with_contexts_are_refused(tmp_path):
    s = settings_from(tmp_path, 'regions = ["eu-west-1"]\n')
    assert s.fleet() == (Context("eu-west-1", "eu-west-1"),)
    with pytest.raises(ConfigError) as err:
        settings_from(tmp_path, 'regions = ["eu-west-1"]\n[[contexts]]\nregion = "us-east-1"\n')
    assert "regions and [[contexts]] both say what to watch" in str(err.value)


def test_events_from_a_slow_context_are_printed_though_newer_ones_came_first():
    import io

    from kmon.cli import EventLines
    from kmon.model.events import Event

    out = io.StringIO()
    lines = EventLines(out)
    newer = Event(200, "orders", "stream", "orders", "warn", None, context="us-east-1")
    older = Event(100, "orders", "stream", "orders", "crit", None, context="eu-west-1")
    assert lines.write_new([newer]) == 1
    assert lines.write_new([newer, older]) == 1  # came in late, from the slow context
    assert lines.write_new([newer, older]) == 0
    assert [json.loads(x)["context"] for x in out.getvalue().splitlines()] == [
        "us-east-1",
        "eu-west-1",
    ]


def test_a_kcl_table_goes_to_the_context_its_stream_names():
    from kmon import cli

    settings = load_settings(
        {
            "regions": ("us-east-1", "eu-west-1"),
            "region": "us-east-1",
            "kcl_tables": {"orders-app": "eu-west-1/orders", "audit-app": "audit"},
        },
        {},
    )
    fleet = cli._collector(settings, emulator=True)
    tables = {ctx.label: c.options.kcl_tables for ctx, c in fleet.members}
    assert tables == {
        "us-east-1": {"audit-app": "audit"},
        "eu-west-1": {"orders-app": "orders", "audit-app": "audit"},
    }


def test_linked_accounts_read_metrics_within_the_monitoring_accounts_rate():
    from kmon import cli

    settings = Settings(
        contexts=(
            Context("hub", "eu-west-1", "ops", None, monitoring_account=True),
            Context("shop", "eu-west-1", None, "arn:aws:iam::222222222222:role/kmon"),
            Context("pay", "eu-west-1", None, "arn:aws:iam::333333333333:role/kmon"),
        )
    )
    fleet = cli._collector(settings, emulator=True)
    hub, shop, pay = (c for _, c in fleet.members)
    assert shop.options.metrics_via.account == "222222222222"
    assert shop.options.metrics_via.profile == "ops" and hub.options.metrics_via is None
    # One GetMetricData rate for the three: the monitoring account's.
    buckets = {id(c.budget._buckets["GetMetricData"]) for c in (hub, shop, pay)}
    assert len(buckets) == 1
    # Kinesis is called as each account: rates of their own.
    assert len({id(c.budget._buckets["ListStreams"]) for c in (hub, shop, pay)}) == 3


def test_snapshot_of_a_second_account_through_a_role(endpoint, seeder, tmp_path):
    role = ROLE
    seeder_as_role(endpoint).stream("orders", shards=3)
    seeder.stream("orders", shards=1)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[contexts]]\nregion = "{REGION}"\nlabel = "main"\n'
        f'[[contexts]]\nregion = "{REGION}"\nrole_arn = "{role}"\n'
    )
    r = run(
        "snapshot", "--endpoint-url", endpoint,
        env_extra={**CREDS, "KMON_CONFIG": str(config)},
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    got = {s["key"]: (s["account"], s["open_shards"]) for s in doc["streams"]}
    assert got == {
        "main/orders": ("123456789012", 1),
        "222222222222@us-east-1/orders": ("222222222222", 3),
    }
    assert [c["role_arn"] for c in doc["contexts"]] == [None, role]
