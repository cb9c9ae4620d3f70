"""Where a stream lives and how it is named: contexts (an account and a region, reached with a
profile and perhaps a role) and the references a user types (``orders``, ``eu-west-1/orders``,
``prod:orders``).

With one context a stream is known by its name, as it always was. With several, its key is
``label/name``: two streams called ``orders`` in two regions are two rows that never mix.
Stream names cannot hold ``/`` or ``:`` (Kinesis allows ``[a-zA-Z0-9_.-]``), and neither may a
label, so a key splits one way only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

# What a context label may be: readable on a header, and never confused with a separator.
LABEL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+=-]{0,39}$")
# The account id inside a role ARN (arn:aws:iam::123456789012:role/name).
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]+$")


@dataclass(frozen=True)
class Context:
    """One account and region kmon watches. ``label`` is how screens and references name it."""

    label: str
    region: str | None = None
    profile: str | None = None
    role_arn: str | None = None
    # A CloudWatch monitoring account (cross-account observability): the other contexts of
    # its region whose account it sees read their metrics through it.
    monitoring_account: bool = False

    @property
    def role_account(self) -> str | None:
        return account_of(self.role_arn)


def account_of(role_arn: str | None) -> str | None:
    """The account a role lives in, read from its ARN (before any call is made)."""
    m = ROLE_ARN.match(role_arn or "")
    return m.group(1) if m else None


def label_problem(label: str) -> str | None:
    """Why ``label`` cannot name a context; None when it can."""
    if LABEL_PATTERN.match(label):
        return None
    return (
        f"context label {label!r} must be 1-40 letters, digits or _.@+=- (no '/' or ':', "
        "which separate a label from a stream name)"
    )


def monitor_of(context: Context, contexts: Sequence[Context]) -> Context | None:
    """The monitoring-account context that reads ``context``'s metrics: one in the same
    region, when ``context``'s account is known from its role (the ``AccountId`` of each
    metric query) and is another account."""
    account = context.role_account
    if account is None or context.monitoring_account:
        return None
    return next(
        (
            m
            for m in contexts
            if m.monitoring_account and m.region == context.region and m.role_account != account
        ),
        None,
    )


def default_label(profile: str | None, region: str | None, role_arn: str | None) -> str:
    """A context's label when none is given: its region, after the role's account or the
    profile when there is one (``prod@eu-west-1``)."""
    owner = account_of(role_arn) or profile
    where = region or "default-region"
    return f"{owner}@{where}" if owner else where


def contexts_from(
    profiles: Sequence[str | None], regions: Sequence[str | None]
) -> tuple[Context, ...]:
    """Each profile with each region (``--profile`` and ``--region`` repeated). A label names
    only what varies: the region when one profile is used, the profile when one region is."""
    profiles = list(dict.fromkeys(profiles)) or [None]
    regions = list(dict.fromkeys(regions)) or [None]
    out = []
    for profile in profiles:
        for region in regions:
            if len(profiles) > 1 and len(regions) > 1:
                label = default_label(profile, region, None)
            elif len(profiles) > 1:
                label = profile or "default"
            else:
                label = region or profile or "default"
            out.append(Context(label, region, profile))
    return tuple(out)


def stream_key(context: str | None, name: str) -> str:
    return f"{context}/{name}" if context else name


def split_ref(text: str) -> tuple[str | None, str]:
    """``eu-west-1/orders`` or ``prod:orders`` -> (the context part, the name); a bare name
    -> (None, name)."""
    for sep in ("/", ":"):
        if sep in text:
            where, _, name = text.rpartition(sep)
            return where or None, name
    return None, text


class Placed(Protocol):
    """What a reference is matched against: a stream's name and where it lives."""

    name: str
    context: str | None
    region: str | None
    account: str | None


def in_context(stream: Placed, where: str) -> bool:
    """``where`` names the stream's context: its label, its region or its account."""
    return where in (stream.context, stream.region, stream.account)


def refers_to(stream: Placed, ref: str) -> bool:
    """``ref`` (a name, ``region/name``, ``label:name``) names exactly this stream."""
    where, name = split_ref(ref)
    return stream.name == name and (where is None or in_context(stream, where))


def filter_matches(stream: Placed, text: str) -> bool:
    """The overview's filter: a part of a name (``ord``), or a context and a part of a name
    (``eu-west-1/ord``, ``prod:``), case-insensitive. A context part matches the start of a
    label, region or account, so ``eu`` keeps every eu- region."""
    text = text.lower()
    where, part = split_ref(text)
    if part not in stream.name.lower():
        return False
    if where is None:
        return True
    return any((p or "").lower().startswith(where) for p in (stream.context, stream.region))


def names_in(refs: Sequence[str], context: Context) -> list[str]:
    """The stream names of ``refs`` (``--stream``) that ``context`` may hold: bare names, and
    those qualified with its label or region."""
    out = []
    for ref in refs:
        where, name = split_ref(ref)
        if where is None or where in (context.label, context.region, context.role_account):
            out.append(name)
    return out


def find(streams: Iterable[Placed], ref: str) -> list[Placed]:
    """The streams ``ref`` names (a key, a qualified reference or a bare name)."""
    return [s for s in streams if refers_to(s, ref)]
