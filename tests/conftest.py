"""Shared fixtures: a real moto server over HTTP on 127.0.0.1, reset between tests."""

from __future__ import annotations

import logging
import urllib.request

import boto3
import pytest
from moto.kinesis.models import kinesis_backends

from kmon.demo import moto_patches
from tests.seed import ACCOUNT, REGION, Seeder

logging.getLogger("werkzeug").setLevel(logging.ERROR)


@pytest.fixture(scope="session")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def endpoint(moto_endpoint, monkeypatch):
    """A clean emulator for each test, and an environment that points nowhere else."""
    req = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(req).close()
    # moto does not implement DescribeAccountSettings: answer it as AWS does for an account
    # without the On-demand Advantage commitment (tests of the unanswered case take it back).
    moto_patches.account_settings(kinesis_backends[ACCOUNT][REGION])
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "KMON_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("XDG_CONFIG_HOME", "/nonexistent")
    return moto_endpoint


@pytest.fixture
def seeder(endpoint) -> Seeder:
    kw = dict(
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return Seeder(boto3.client("kinesis", **kw), boto3.client("cloudwatch", **kw))
