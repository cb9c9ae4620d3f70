"""The emulator itself: moto's threaded server on 127.0.0.1, the world's own boto3 clients,
and the world's moto backend instances (for the in-process patches)."""

from __future__ import annotations

import contextlib
import io
import logging
import socket
from typing import Any

import boto3
from botocore.config import Config

log = logging.getLogger(__name__)

# metric_index and moto_patches reach into moto's backends: the demo runs on exactly this
# moto, the one pyproject.toml pins for the demo and test extras (a test keeps them equal).
MOTO_VERSION = "5.2.5"
DUMMY_KEY = "kmon-demo"  # moto accepts any static credentials
SERVICES = ("kinesis", "cloudwatch", "dynamodb", "lambda", "iam", "sts")


class PortInUse(OSError):
    """The port asked for cannot be bound on 127.0.0.1."""


def check_port(port: int) -> None:
    """Raise PortInUse when 127.0.0.1:`port` cannot be bound, as the emulator would bind it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug does
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        raise PortInUse(exc.errno, f"port {port} on 127.0.0.1 is in use") from None
    finally:
        sock.close()


def start_server(port: int | None) -> Any:
    """Start moto's ThreadedMotoServer on 127.0.0.1 (a free port when `port` is None)."""
    # moto logs every request through werkzeug; the dashboard's terminal stays clean.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if port:
        check_port(port)
    server = _server_class()(ip_address="127.0.0.1", port=port or 0, verbose=False)
    # werkzeug prints its own two lines to stderr before giving up on a busy port (taken
    # between the check and now); kmon says it once, in its own words.
    said = io.StringIO()
    with contextlib.redirect_stderr(said):
        server.start()
    if server.error is not None:
        # werkzeug reports a port it cannot bind by exiting its thread.
        if isinstance(server.error, SystemExit):
            raise PortInUse(f"port {port or 0} on 127.0.0.1 is in use")
        raise OSError(f"cannot start the emulator on 127.0.0.1:{port or 0}: {server.error!r}")
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


def installed_moto_version() -> str | None:
    """The installed moto's version (from its metadata, without importing it), or None."""
    from importlib import metadata

    try:
        return metadata.version("moto")
    except metadata.PackageNotFoundError:
        return None


def moto_version_problem(found: str | None) -> str | None:
    """One line saying which moto to install when `found` is not the one the demo needs."""
    if found == MOTO_VERSION:
        return None
    install = f"pip install 'moto[server]=={MOTO_VERSION}'"
    if found is None:
        return f"the demo needs moto=={MOTO_VERSION} (not installed): {install}"
    return f"the demo needs moto=={MOTO_VERSION} (found {found}): {install}"


def check_moto_version() -> None:
    problem = moto_version_problem(installed_moto_version())
    if problem:
        log.warning("%s", problem)
