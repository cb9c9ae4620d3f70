"""One boto3 client per service, created once, shared, and counted."""

from __future__ import annotations

from dataclasses import dataclass

import boto3
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import NoRegionError

from kmon import __version__
from kmon.collector.budget import Accounting

# Short timeouts so an outage shows within one refresh instead of after minutes of retries:
# an endpoint that accepts and never answers costs at most ~2 x READ_TIMEOUT_SEC per poll.
# Adaptive retries also rate-limit us client-side when AWS starts throttling.
READ_TIMEOUT_SEC = 8.0
CLIENT_CONFIG = Config(
    connect_timeout=3,
    read_timeout=READ_TIMEOUT_SEC,
    retries={"mode": "adaptive", "total_max_attempts": 2},
    max_pool_connections=10,
    user_agent_extra=f"kmon/{__version__}",
)

SERVICES = ("kinesis", "cloudwatch", "sts", "dynamodb", "lambda")

# What an emulator is given when the environment has no credentials: it accepts any.
EMULATOR_CREDENTIALS = Credentials("kmon-emulator", "kmon-emulator")


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
) -> AwsClients:
    """Create the shared clients. Raises botocore's own errors for a bad profile or region."""
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
    clients = {}
    for service in SERVICES:
        client = session.client(
            service, region_name=region, endpoint_url=endpoint_url, config=config, **creds
        )
        _count_requests(client, accounting)
        clients["lambda_" if service == "lambda" else service] = client
    return AwsClients(region=region, endpoint_url=endpoint_url, profile=profile, **clients)


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
