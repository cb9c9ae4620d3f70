"""An HTTP proxy in front of an AWS emulator that fails chosen services on demand.

    with FaultProxy(endpoint) as proxy:
        proxy.set("cloudwatch", "deny")           # every CloudWatch call: AccessDenied
        proxy.set("kinesis", "throttle", "ListShards")  # one operation only
        proxy.set("*", "hang")                    # everything: accept, never answer
        proxy.set("*", "expired", key="OLDKEY")   # only requests signed with this key
        ... run kmon with --endpoint-url proxy.url ...
        proxy.clear("cloudwatch")                 # healthy again, while running

Faults, switchable at any time from any thread:

    deny      the service's AccessDenied error, in the wire format of its protocol
    throttle  the service's throttling error (botocore retries it, then gives up)
    error     HTTP 500 InternalFailure
    hang      read the request, never answer (until the fault is cleared or the proxy
              closed; then the connection closes without an answer)
    reset     read the request, close the connection without a word
    expired   the service's expired-token error (the key has expired)
    bad-key   the service's unrecognised-key error
    garbage   HTTP 502 with a binary body: something that is not AWS's API answered

A request's service is the signing name in its SigV4 Authorization header (CloudWatch signs
as "monitoring"; both names work); its operation comes from X-Amz-Target, the RPCv2 CBOR
path or the query Action, and is None for REST services (Lambda). Unsigned requests (the
emulator's own API, such as /moto-api/reset) always pass. Everything else is forwarded as is
and counted in ``seen`` by (service, operation), and in ``keys`` by the access key it was
signed with. CloudWatch reads are also counted as AWS bills them, in ``metrics``: one per
query of a GetMetricData, one per GetMetricStatistics; ``requests`` logs (operation,
metrics) of each, in order.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from botocore.parsers import RpcV2CBORParser

FAULTS = ("deny", "throttle", "error", "hang", "reset", "expired", "bad-key", "garbage")
ALIASES = {"monitoring": "cloudwatch"}  # signing name -> the name people use

_CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/[^/]+/([^/]+)/aws4_request")
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
}

# (status, code) per fault and protocol family: "json" (Kinesis, DynamoDB), "rest" (Lambda),
# "query" (STS) and "cbor" (CloudWatch, which keeps its query error codes).
_ERRORS = {
    "deny": {
        "json": (400, "AccessDeniedException"),
        "rest": (403, "AccessDeniedException"),
        "query": (403, "AccessDenied"),
        "cbor": (400, "AccessDenied"),
    },
    "throttle": {
        "json": (400, "ThrottlingException"),
        "rest": (429, "TooManyRequestsException"),
        "query": (400, "Throttling"),
        "cbor": (400, "Throttling"),
    },
    "error": {
        "json": (500, "InternalFailure"),
        "rest": (500, "ServiceException"),
        "query": (500, "InternalFailure"),
        "cbor": (500, "InternalFailure"),
    },
    "expired": {
        "json": (400, "ExpiredTokenException"),
        "rest": (403, "ExpiredTokenException"),
        "query": (400, "ExpiredToken"),
        "cbor": (400, "ExpiredToken"),
    },
    "bad-key": {
        "json": (400, "UnrecognizedClientException"),
        "rest": (403, "UnrecognizedClientException"),
        "query": (403, "InvalidClientTokenId"),
        "cbor": (403, "InvalidClientTokenId"),
    },
}
_MESSAGES = {
    "deny": "User: arn:aws:iam::123456789012:user/test is not authorized to perform {op}",
    "throttle": "Rate exceeded",
    "error": "injected by the test proxy",
    "expired": "The security token included in the request is expired",
    "bad-key": "The security token included in the request is invalid",
}


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parsed = urlparse(upstream)
        self.upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.seen: Counter[tuple[str | None, str | None]] = Counter()
        self.keys: Counter[str] = Counter()
        self.metrics: Counter[str] = Counter()
        self.requests: list[tuple[str, int]] = []
        # Each GetMetricData query sent, with the access key that signed it.
        self.queries: list[tuple[str | None, dict]] = []
        # (service, operation) -> (fault, the access key it is limited to, or None)
        self._faults: dict[tuple[str, str | None], tuple[str, str | None]] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    # -- control --------------------------------------------------------------------------

    def set(
        self,
        service: str,
        fault: str | None,
        operation: str | None = None,
        key: str | None = None,
    ) -> None:
        """Fail ``service`` ("*": every service), or only its ``operation``, with ``fault``,
        for every request or only those signed with access ``key``; None clears it."""
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r} (known: {', '.join(FAULTS)})")
        where = (ALIASES.get(service, service), operation)
        with self._lock:
            if fault is None:
                self._faults.pop(where, None)
            else:
                self._faults[where] = (fault, key)

    def clear(self, service: str | None = None) -> None:
        """Heal ``service`` (all its operations), or everything."""
        with self._lock:
            if service is None:
                self._faults.clear()
            else:
                name = ALIASES.get(service, service)
                for key in [k for k in self._faults if k[0] == name]:
                    del self._faults[key]

    def fault_for(
        self, service: str | None, operation: str | None, key: str | None = None
    ) -> str | None:
        if service is None:
            return None
        with self._lock:
            for where in ((service, operation), (service, None), ("*", operation), ("*", None)):
                fault, only = self._faults.get(where, (None, None))
                if fault is not None and (only is None or only == key):
                    return fault
        return None

    def close(self) -> None:
        self._closed.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def identify(headers, path: str, body: bytes) -> tuple[str | None, str | None, str]:
    """(service, operation, protocol family) of one request."""
    match = _CREDENTIAL.search(headers.get("Authorization", ""))
    service = ALIASES.get(match.group(2), match.group(2)) if match else None
    target = headers.get("X-Amz-Target")
    content_type = headers.get("Content-Type", "")
    if headers.get("smithy-protocol") == "rpc-v2-cbor" or "/operation/" in path:
        return service, path.rstrip("/").rsplit("/", 1)[-1], "cbor"
    if target:
        return service, target.rsplit(".", 1)[-1], "json"
    if content_type.startswith("application/x-www-form-urlencoded"):
        action = parse_qs(body.decode("utf-8", "replace")).get("Action", [None])[0]
        return service, action, "query"
    return service, None, "rest"


_BILLED_READS = ("GetMetricData", "GetMetricStatistics")


def metric_queries(operation: str, protocol: str, body: bytes) -> list[dict]:
    """The queries of one GetMetricData request in CBOR or JSON (what botocore sends)."""
    if operation != "GetMetricData" or protocol not in ("cbor", "json"):
        return []
    if protocol == "cbor":
        parser = RpcV2CBORParser()
        request = parser.parse_data_item(parser.get_peekable_stream_from_bytes(body))
    else:
        request = json.loads(body)
    return list(request.get("MetricDataQueries", ()))


def metrics_requested(operation: str, protocol: str, body: bytes) -> int:
    """How many metrics one CloudWatch read asks for, as AWS bills it."""
    if operation != "GetMetricData":
        return 1
    if protocol in ("cbor", "json"):
        return len(metric_queries(operation, protocol, body))
    form = parse_qs(body.decode("utf-8", "replace"))
    return sum(1 for k in form if re.fullmatch(r"MetricDataQueries\.member\.\d+\.Id", k))


def access_key(headers) -> str | None:
    """The access key a request was signed with."""
    match = _CREDENTIAL.search(headers.get("Authorization", ""))
    return match.group(1) if match else None


def error_response(fault: str, protocol: str, operation: str | None):
    """(status, headers, body) of the error ``fault`` in ``protocol``'s wire format."""
    status, code = _ERRORS[fault][protocol]
    message = _MESSAGES[fault].format(op=operation or "this operation")
    if protocol == "query":
        body = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
            f"<Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
        ).encode()
        return status, {"Content-Type": "text/xml"}, body
    if protocol == "cbor":
        body = _cbor_map({"__type": code, "message": message})
        headers = {
            "Content-Type": "application/cbor",
            "smithy-protocol": "rpc-v2-cbor",
            "x-amzn-query-error": f"{code};Sender",
        }
        return status, headers, body
    body = json.dumps({"__type": code, "message": message}).encode()
    kind = "application/x-amz-json-1.1" if protocol == "json" else "application/json"
    return status, {"Content-Type": kind, "x-amzn-ErrorType": code}, body


def _cbor_text(text: str) -> bytes:
    data = text.encode()
    n = len(data)
    if n < 24:
        head = bytes([0x60 + n])
    elif n < 256:
        head = bytes([0x78, n])
    else:
        head = bytes([0x79]) + n.to_bytes(2, "big")
    return head + data


def _cbor_map(items: dict[str, str]) -> bytes:
    """A CBOR map of text to text (all an error body needs; fewer than 24 entries)."""
    out = bytes([0xA0 + len(items)])
    for key, value in items.items():
        out += _cbor_text(key) + _cbor_text(value)
    return out


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args) -> None:  # noqa: A002 - the base's signature
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            service, operation, protocol = identify(self.headers, self.path, body)
            key = access_key(self.headers)
            proxy.seen[(service, operation)] += 1
            if key:
                proxy.keys[key] += 1
            if service == "cloudwatch" and operation in _BILLED_READS:
                n = metrics_requested(operation, protocol, body)
                with proxy._lock:
                    proxy.metrics[operation] += n
                    proxy.requests.append((operation, n))
                    proxy.queries += [(key, q) for q in metric_queries(operation, protocol, body)]
            fault = proxy.fault_for(service, operation, key)
            if fault == "hang":
                # Silent while the fault lasts; then the connection closes unanswered (the
                # client has given up by then, or will see it closed).
                while proxy.fault_for(service, operation, key) == "hang":
                    if proxy._closed.wait(0.05):
                        break
                self.close_connection = True
                return
            if fault == "reset":
                self.close_connection = True
                return
            if fault == "garbage":
                page = bytes(range(128, 256)) * 4
                self._reply(502, {"Content-Type": "application/octet-stream"}, page)
                return
            if fault is not None:
                self._reply(*error_response(fault, protocol, operation))
                return
            self._forward(body)

        def _forward(self, body: bytes) -> None:
            conn = http.client.HTTPConnection(*proxy.upstream, timeout=60)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                response = conn.getresponse()
                data = response.read()
                out = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP}
                self._reply(response.status, out, data)
            finally:
                conn.close()

        def _reply(self, status: int, headers: dict, body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

    return Handler
