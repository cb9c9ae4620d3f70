"""The emulator itself: moto's threaded server on 127.0.0.1, the world's own boto3 clients,
and the world's moto backend instances (for the in-process patches)."""

from __future__ import annotations

import logging
from typing import Any

import boto3
from botocore.config import Config

log = logging.getLogger(__name__)

TESTED_MOTO = "5.2."  # metric_index and moto_patches reach into moto's backends
DUMMY_KEY = "kmon-demo"  # moto accepts any static credentials
SERVICES = ("kinesis", "cloudwatch", "dynamodb", "lambda", "iam", "sts")


def start_server(port: int | None) -> Any:
    """Start moto's ThreadedMotoServer on 127.0.0.1 (a free port when `port` is None)."""
    # moto logs every request through werkzeug; the dashboard's terminal stays clean.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = _server_class()(ip_address="127.0.0.1", port=port or 0, verbose=False)
    server.start()
    if server.error is not None:
        # werkzeug reports a port it cannot bind by exiting its thread.
        err = server.error
        reason = "the port is in use" if isinstance(err, SystemExit) else repr(err)
        raise OSError(f"cannot start the demo emulator on 127.0.0.1:{port or 0}: {reason}")
    return server


def stop_server(server: Any) -> None:
    server.stop()
    wsgi = getattr(server, "_server", None)
    if wsgi is not None:
        wsgi.server_close()  # free the port now, not at garbage collection


def _server_class() -> type:
    from moto.server import ThreadedMotoServer

    class Server(ThreadedMotoServer):
        """moto's ThreadedMotoServer waits forever if the port cannot be bound; report it."""

        error: BaseException | None = None

        def _server_entry(self) -> None:
            try:
                super()._server_entry()
            except BaseException as exc:  # noqa: BLE001 - handed to the starting thread
                self.error = exc
                self._server_ready_event.set()

    return Server


def make_clients(endpoint: str, region: str) -> dict[str, Any]:
    cfg = Config(
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
        max_pool_connections=4,
        parameter_validation=False,  # our own requests; validating big batches costs time
    )
    return {
        service: boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=DUMMY_KEY,
            aws_secret_access_key=DUMMY_KEY,
            config=cfg,
        )
        for service in SERVICES
    }


def backends(account_id: str, region: str) -> dict[str, Any]:
    """The moto backend instances serving `account_id` in `region` in this process."""
    from moto.awslambda.models import lambda_backends
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.dynamodb.models import dynamodb_backends
    from moto.kinesis.models import kinesis_backends

    return {
        "cloudwatch": cloudwatch_backends[account_id][region],
        "kinesis": kinesis_backends[account_id][region],
        "dynamodb": dynamodb_backends[account_id][region],
        "lambda": lambda_backends[account_id][region],
    }


def check_moto_version() -> None:
    import moto

    if not moto.__version__.startswith(TESTED_MOTO):
        log.warning("the demo world is tested on moto %sx, found %s", TESTED_MOTO, moto.__version__)
