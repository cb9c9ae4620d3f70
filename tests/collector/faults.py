"""An HTTP proxy in front of the moto server that answers chosen requests itself, for the
faults tests/faultproxy.py cannot make: an answer chosen by the request's access key (the old
key has expired, the new one works) and a body that is not AWS's (a binary 502 page).

Every request names its service, operation and access key; rules pick the requests they
answer and can be switched on and off while a collector polls through the proxy. Errors are
written in each service's own wire protocol (JSON, CBOR, query XML, REST-JSON) so botocore
parses them as it would parse AWS's.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

_CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/aws4_request")


@dataclass(frozen=True)
class Request:
    service: str  # the signing name: kinesis, monitoring, dynamodb, lambda, sts
    operation: str
    access_key: str
    protocol: str  # json | cbor | query | rest-json


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


Rule = Callable[[Request], "Answer | None"]


def _cbor_text(s: str) -> bytes:
    data = s.encode()
    n = len(data)
    if n < 24:
        head = bytes([0x60 | n])
    elif n < 256:
        head = bytes([0x78, n])
    else:
        head = bytes([0x79]) + n.to_bytes(2, "big")
    return head + data


def _cbor_map(values: dict[str, str]) -> bytes:
    out = bytes([0xA0 | len(values)])
    for k, v in values.items():
        out += _cbor_text(k) + _cbor_text(v)
    return out


def error(req: Request, code: str, message: str = "injected fault", status: int = 400) -> Answer:
    """``code`` as ``req``'s service would send it."""
    if req.protocol == "cbor":
        return Answer(
            status,
            _cbor_map({"__type": code, "message": message}),
            {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"},
        )
    if req.protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        return Answer(status, body, {"Content-Type": "application/x-amz-json-1.1"})
    if req.protocol == "rest-json":
        body = json.dumps({"Type": "User", "message": message}).encode()
        return Answer(status, body, {"Content-Type": "application/json", "x-amzn-ErrorType": code})
    body = (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>fault</RequestId></ErrorResponse>"
    ).encode()
    return Answer(status, body, {"Content-Type": "text/xml"})


def binary_502(req: Request) -> Answer:
    return Answer(502, bytes(range(128, 256)) * 4, {"Content-Type": "application/octet-stream"})


class FaultProxy:
    """``rules`` are asked in order for each request; the first answer other than None wins.
    ``seen`` records every request that reached the proxy."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.rules: list[Rule] = []
        self.seen: list[Request] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _any(self) -> None:
                proxy._handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.rules.clear()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- one request ------------------------------------------------------------------------

    def _decide(self, req: Request):
        for rule in list(self.rules):
            answer = rule(req)
            if answer is not None:
                return answer
        return None

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        req = _describe(h, body)
        with self._lock:
            self.seen.append(req)
        answer = self._decide(req)
        if answer is None:
            answer = self._forward(h, body)
        h.send_response(answer.status)
        for k, v in answer.headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(answer.body)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(answer.body)

    def _forward(self, h: BaseHTTPRequestHandler, body: bytes) -> Answer:
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            headers = {k: v for k, v in h.headers.items() if k.lower() != "connection"}
            conn.request(h.command, h.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            skip = {"content-length", "transfer-encoding", "connection"}
            return Answer(
                resp.status,
                data,
                {k: v for k, v in resp.getheaders() if k.lower() not in skip},
            )
        finally:
            conn.close()


def _describe(h: BaseHTTPRequestHandler, body: bytes) -> Request:
    match = _CREDENTIAL.search(h.headers.get("Authorization", ""))
    key, service = (match.group(1), match.group(2)) if match else ("", "")
    target = h.headers.get("X-Amz-Target")
    path = urlsplit(h.path).path
    if h.headers.get("smithy-protocol") == "rpc-v2-cbor":
        return Request(service, path.rsplit("/", 1)[-1], key, "cbor")
    if target:
        return Request(service, target.rsplit(".", 1)[-1], key, "json")
    if service == "lambda":
        op = "ListEventSourceMappings" if "event-source-mappings" in path else path
        return Request(service, op, key, "rest-json")
    action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
    return Request(service, action, key, "query")


def when(operation: str | None = None, *, service: str | None = None, key: str | None = None):
    """A predicate over requests, for a ``Switch``: which requests a fault answers."""

    def match(req: Request) -> bool:
        return (
            (operation is None or req.operation == operation)
            and (service is None or req.service == service)
            and (key is None or req.access_key == key)
        )

    return match


class Switch:
    """A fault that can be turned on and off while the collector polls."""

    def __init__(self, answer: Callable[[Request], object], match: Callable[[Request], bool]):
        self.on = False
        self._answer = answer
        self._match = match

    def __call__(self, req: Request):
        if self.on and self._match(req):
            return self._answer(req)
        return None
