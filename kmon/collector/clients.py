"""One boto3 client per service, created once, shared, and counted."""

from __future__ import annotations

from dataclasses import dataclass

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import (
    AssumeRoleCredentialFetcher,
    Credentials,
    DeferredRefreshableCredentials,
)
from botocore.exceptions import NoCredentialsError, NoRegionError

from kmon import __version__
from kmon.collector.budget import Accounting
from kmon.collector.errors import NotAwsAnswer

# Short timeouts so an outage shows within one refresh instead of after minutes of retries:
# an endpoint that accepts and never answers costs at most ~2 x READ_TIMEOUT_SEC per poll (the
# collector asks a service that timed out nothing more in that poll).
# Standard retries, not adaptive: kmon paces each API itself (budget.py: token buckets at half
# the published rates, a pause per throttled API that lets each refresh probe once). Adaptive
# mode's client-side limiter would slow every API of a client after one API was throttled, and
# after a long throttle would keep the recovered service at a fraction of a call a second for
# minutes.
READ_TIMEOUT_SEC = 8.0
CLIENT_CONFIG = Config(
    connect_timeout=3,
    read_timeout=READ_TIMEOUT_SEC,
    retries={"mode": "standard", "total_max_attempts": 2},
    max_pool_connections=10,
    user_agent_extra=f"kmon/{__version__}",
)

SERVICES = ("kinesis", "cloudwatch", "sts", "dynamodb", "lambda")

# What an emulator is given when the environment has no credentials: it accepts any.
EMULATOR_CREDENTIALS = Credentials("kmon-emulator", "kmon-emulator")


@dataclass(frozen=True)
class MetricsVia:
    """A CloudWatch monitoring account (cross-account observability) that reads this
    context's metrics: its profile or role, and the linked account whose metrics are asked
    for (the ``AccountId`` of each query)."""

    account: str
    profile: str | None = None
    role_arn: str | None = None


@dataclass
class AwsClients:
    kinesis: object
    cloudwatch: object
    sts: object
    dynamodb: object  # KCL lease tables
    lambda_: object  # event source mappings
    region: str
    endpoint_url: str | None
    profile: str | None


def build_clients(
    accounting: Accounting,
    *,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    emulator: bool = False,
    read_timeout: float = READ_TIMEOUT_SEC,
    role_arn: str | None = None,
    metrics_via: MetricsVia | None = None,
) -> AwsClients:
    """Create the shared clients. Raises botocore's own errors for a bad profile or region.
    With ``role_arn`` every client works as that role, assumed with the profile's (or the
    chain's) credentials and renewed by botocore before it expires."""
    session = boto3.Session(profile_name=None if emulator else profile, region_name=region)
    region = session.region_name
    if not region:
        raise NoRegionError()
    creds = {}
    if emulator or (endpoint_url and session.get_credentials() is None):
        creds = {
            "aws_access_key_id": EMULATOR_CREDENTIALS.access_key,
            "aws_secret_access_key": EMULATOR_CREDENTIALS.secret_key,
        }
    config = CLIENT_CONFIG.merge(Config(read_timeout=read_timeout))
    source, source_creds = session, creds
    if role_arn:
        named = None if emulator else profile
        session = _assumed(session, role_arn, region, endpoint_url, config, creds, named)
        creds = {}
    clients = {}
    for service in SERVICES:
        client = session.client(
            service, region_name=region, endpoint_url=endpoint_url, config=config, **creds
        )
        _count_requests(client, accounting)
        _check_answers(client)
        clients["lambda_" if service == "lambda" else service] = client
    if metrics_via is not None:
        clients["cloudwatch"] = _monitoring_client(
            source, source_creds, metrics_via, region, endpoint_url, config, accounting
        )
    return AwsClients(region=region, endpoint_url=endpoint_url, profile=profile, **clients)


def _assumed(
    source: boto3.Session,
    role_arn: str,
    region: str,
    endpoint_url: str | None,
    config: Config,
    creds: dict,
    profile: str | None = None,
) -> boto3.Session:
    """A session working as ``role_arn``: AssumeRole is called with the source credentials on
    first use and again before the role's credentials expire (botocore's own refresh)."""
    source_creds = (
        Credentials(creds["aws_access_key_id"], creds["aws_secret_access_key"])
        if creds
        else source.get_credentials()
    )
    if source_creds is None:
        raise NoCredentialsError()

    def sts_client(service: str, **keys):
        return source.client(
            service, region_name=region, endpoint_url=endpoint_url, config=config, **keys
        )

    fetcher = AssumeRoleCredentialFetcher(
        sts_client, source_creds, role_arn, extra_args={"RoleSessionName": "kmon"}
    )
    # The source profile's settings (CA bundle, endpoints) hold for the role's clients too.
    core = botocore.session.Session(profile=profile)
    # Every client of this session signs with these; they renew themselves before expiry.
    core._credentials = DeferredRefreshableCredentials(fetcher.fetch_credentials, "assume-role")
    return boto3.Session(botocore_session=core, region_name=region)


def _monitoring_client(
    source: boto3.Session,
    creds: dict,
    via: MetricsVia,
    region: str,
    endpoint_url: str | None,
    config: Config,
    accounting: Accounting,
):
    """CloudWatch as the monitoring account, asking for the linked account's metrics: every
    metric query carries ``AccountId``."""
    if not creds:  # an emulator's stand-in credentials serve every account
        source = boto3.Session(profile_name=via.profile, region_name=region)
    session = source
    if via.role_arn:
        session = _assumed(source, via.role_arn, region, endpoint_url, config, creds, via.profile)
        creds = {}
    client = session.client(
        "cloudwatch", region_name=region, endpoint_url=endpoint_url, config=config, **creds
    )
    _count_requests(client, accounting)
    _check_answers(client)

    def linked(params, **kwargs):
        for query in params.get("MetricDataQueries", ()):
            query.setdefault("AccountId", via.account)

    client.meta.events.register("provide-client-params.cloudwatch.GetMetricData", linked)
    return client


def _count_requests(client, accounting: Accounting) -> None:
    """Count each HTTP request (retries included: AWS sees them) and each metric asked for."""
    service = client.meta.service_model.service_name

    def on_send(event_name: str = "", **kwargs):
        # The event is "before-send.<service>.<Operation>", once per attempt.
        accounting.count_call(event_name.rsplit(".", 1)[-1] or service)

    def on_call(params, **kwargs):
        accounting.count_metrics(len(params.get("MetricDataQueries", ())))

    service_id = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-send.{service_id}", on_send)
    if service == "cloudwatch":
        client.meta.events.register("provide-client-params.cloudwatch.GetMetricData", on_call)


def _check_answers(client) -> None:
    """Refuse an answer that is not in the service's protocol (a proxy's or load balancer's
    error page, a binary body) before botocore's parser fails on it with a decoding error that
    says nothing: the error names the HTTP status instead."""

    def before_parse(response_dict, operation_model, **kwargs):
        model = operation_model.service_model
        protocol = getattr(model, "resolved_protocol", None) or model.protocol
        if not looks_like(protocol, response_dict.get("body")):
            raise NotAwsAnswer(response_dict.get("status_code"))

    service_id = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-parse.{service_id}", before_parse)


def looks_like(protocol: str, body: object) -> bool:
    """Whether ``body`` can be an answer in ``protocol`` (only its first bytes are looked at;
    an empty body is botocore's to judge)."""
    if not isinstance(body, bytes | bytearray) or not body:
        return True
    if protocol == "smithy-rpc-v2-cbor":
        return body[0] >> 5 == 5  # every answer is a CBOR map
    head = bytes(body[:64]).lstrip()
    if not head:
        return True
    if protocol in ("json", "rest-json"):
        return head[:1] in (b"{", b"[")
    if protocol in ("query", "ec2", "rest-xml"):
        return head[:1] == b"<" and not head.lower().startswith((b"<!doctype", b"<html"))
    return True
