"""Contexts, stream keys, references and replication pairs: pure rules, worked by hand."""

from __future__ import annotations

from dataclasses import replace

from kmon.model.identity import contexts_from, filter_matches, names_in, refers_to, split_ref
from kmon.model.lag import ConsumerLag, LagStatus
from kmon.model.replication import ReplicationRule, with_replication
from kmon.model.snapshot import StreamState


def stream(name, context, region=None, consumers=()):
    return StreamState(
        name, None, "ACTIVE", "PROVISIONED", 1, 24, 0,
        context=context, region=region or context, account="123456789012",
        qualified=True, consumers=tuple(consumers),
    )  # fmt: skip


def lambda_reader(name, lag_ms):
    return ConsumerLag("lambda", name, lag_ms, LagStatus.OK)


def test_keys_and_references():
    s = stream("orders", "prod-eu", region="eu-west-1")
    assert s.key == "prod-eu/orders"
    assert replace(s, qualified=False).key == "orders"
    assert split_ref("eu-west-1/orders") == ("eu-west-1", "orders")
    assert split_ref("prod-eu:orders") == ("prod-eu", "orders")
    assert split_ref("orders") == (None, "orders")
    for ref in ("orders", "eu-west-1/orders", "prod-eu:orders", "123456789012/orders"):
        assert refers_to(s, ref), ref
    assert not refers_to(s, "us-east-1/orders") and not refers_to(s, "order")


def test_filter_takes_a_context_prefix_and_a_part_of_the_name():
    s = stream("orders", "prod-eu", region="eu-west-1")
    assert filter_matches(s, "ORD") and filter_matches(s, "eu/ord") and filter_matches(s, "prod:")
    assert not filter_matches(s, "us-east-1/ord") and not filter_matches(s, "eu/pay")


def test_repeated_flags_label_only_what_varies():
    assert [c.label for c in contexts_from(["p"], ["r1", "r2"])] == ["r1", "r2"]
    assert [c.label for c in contexts_from(["a", "b"], ["r1"])] == ["a", "b"]
    assert [(c.profile, c.region) for c in contexts_from([None], ["r1"])] == [(None, "r1")]


def test_stream_references_go_to_the_contexts_they_name():
    eu, us = contexts_from([None], ["eu-west-1", "us-east-1"])
    refs = ["eu-west-1/orders", "audit", "us-east-1:payments"]
    assert names_in(refs, eu) == ["orders", "audit"]
    assert names_in(refs, us) == ["audit", "payments"]


def test_a_copier_naming_the_other_region_makes_a_pair_with_its_lag():
    src = stream("orders", "us-east-1", consumers=[
        lambda_reader("orders-archiver", 1_000),
        lambda_reader("orders-replicate-eu-west-1", 4_000),
    ])  # fmt: skip
    dst = stream("orders", "eu-west-1")
    alone = stream("payments", "us-east-1", consumers=[lambda_reader("to-eu-west-1", 9)])
    out = {s.key: s.replication for s in with_replication([src, dst, alone])}
    assert out["us-east-1/orders"].peer == "eu-west-1/orders"
    assert out["us-east-1/orders"].role == "source" and out["eu-west-1/orders"].role == "target"
    assert out["eu-west-1/orders"].via == "orders-replicate-eu-west-1"
    assert out["eu-west-1/orders"].lag_ms == 4_000 and out["eu-west-1/orders"].inferred
    assert out["us-east-1/payments"] is None  # no stream of that name elsewhere


def test_same_name_without_a_copier_is_no_pair_unless_configured():
    src = stream("orders", "us-east-1", consumers=[lambda_reader("orders-archiver", 1_000)])
    dst = stream("orders", "eu-west-1")
    assert all(s.replication is None for s in with_replication([src, dst]))
    rule = ReplicationRule("us-east-1/orders", "eu-west-1:orders", consumer="orders-archiver")
    out = {s.key: s.replication for s in with_replication([src, dst], [rule])}
    assert out["eu-west-1/orders"].lag_ms == 1_000 and not out["eu-west-1/orders"].inferred
    # A rule naming a stream not watched shows nothing.
    rule = ReplicationRule("us-east-1/orders", "ap-south-1/orders")
    assert all(s.replication is None for s in with_replication([src, dst], [rule]))


def test_a_linked_account_reads_metrics_through_its_regions_monitoring_account():
    from kmon.model.identity import Context, monitor_of

    hub = Context("hub", "eu-west-1", "ops", None, monitoring_account=True)
    linked = Context("shop", "eu-west-1", None, "arn:aws:iam::222222222222:role/kmon")
    elsewhere = Context("shop-us", "us-east-1", None, "arn:aws:iam::222222222222:role/kmon")
    plain = Context("local", "eu-west-1", "dev")  # its account is not known before a call
    contexts = [hub, linked, elsewhere, plain]
    assert monitor_of(linked, contexts) is hub
    assert monitor_of(elsewhere, contexts) is None  # no monitoring account in us-east-1
    assert monitor_of(plain, contexts) is None
    assert monitor_of(hub, contexts) is None


def test_commands_to_copy_name_the_region_and_profile_with_several_contexts():
    from kmon.model.findings import Finding
    from kmon.model.fleet import Part, merge
    from kmon.model.health import Health
    from kmon.model.identity import Context
    from tests.ui.fleet import snapshot

    split = Finding(
        Health.CRIT, "hot-shard", "shard", "0", "c", "e", "a", "aws kinesis split-shard --x 1"
    )
    us = snapshot([replace(stream("orders", None), findings=(split,))])
    eu = snapshot([stream("orders", None)])
    fleet = merge(
        [Part(Context("a", "us-east-1", "prod"), us), Part(Context("b", "eu-west-1"), eu)]
    )
    (cmd,) = [f.command for s in fleet.streams for f in s.findings]
    assert cmd == "aws kinesis split-shard --x 1 --region us-east-1 --profile prod"
    # With one context too: the shell's defaults may not be where kmon looked.
    alone = merge([Part(Context("a", "us-east-1", "prod"), us)])
    assert alone.streams[0].findings[0].command == cmd
    # A role's context names no profile (the profile is the role's source, not the account).
    role = Context("b", "eu-west-1", "prod", "arn:aws:iam::222222222222:role/r")
    assert merge([Part(role, us)]).streams[0].findings[0].command == (
        "aws kinesis split-shard --x 1 --region eu-west-1"
    )


def test_two_accounts_in_one_region_are_not_taken_for_a_pair():
    """prod and staging both in eu-west-1: a consumer named after its own region copies
    nothing to the other account."""
    prod = stream("orders", "prod", region="eu-west-1", consumers=[
        lambda_reader("orders-indexer-eu-west-1", 10),
    ])  # fmt: skip
    staging = stream("orders", "staging", region="eu-west-1")
    assert all(s.replication is None for s in with_replication([prod, staging]))
    # Named after the other account's label, it is one.
    prod = replace(prod, consumers=(lambda_reader("orders-to-staging", 10),))
    assert with_replication([prod, staging])[1].replication.peer == "prod/orders"
    # Only whole parts of a name count: "prod" is not in "production-sink".
    staging = replace(staging, consumers=(lambda_reader("production-sink", 10),))
    assert all(s.replication is None for s in with_replication([stream("orders", "prod"), staging]))
