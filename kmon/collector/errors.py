"""Turn botocore exceptions into one line an operator can act on."""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError

# The read-only permission each API needs, for AccessDenied messages.
PERMISSIONS = {
    "ListStreams": "kinesis:ListStreams",
    "DescribeStreamSummary": "kinesis:DescribeStreamSummary",
    "ListStreamConsumers": "kinesis:ListStreamConsumers",
    "ListShards": "kinesis:ListShards",
    "DescribeLimits": "kinesis:DescribeLimits",
    "DescribeAccountSettings": "kinesis:DescribeAccountSettings",
    "GetMetricData": "cloudwatch:GetMetricData",
    "ListTables": "dynamodb:ListTables",
    "DescribeTable": "dynamodb:DescribeTable",
    "Scan": "dynamodb:Scan",
    "ListEventSourceMappings": "lambda:ListEventSourceMappings",
    "GetShardIterator": "kinesis:GetShardIterator",
    "GetRecords": "kinesis:GetRecords",
}

THROTTLE_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "LimitExceededException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
}
EXPIRED_CODES = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
BAD_CREDENTIAL_CODES = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "AuthFailure",
}
ACCESS_DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
# Credential errors that new credentials from the same chain can cure (a rotated key, a renewed
# SSO session, a credential process that hands out fresh tokens).
SSO_ERRORS = {"SSOTokenLoadError", "UnauthorizedSSOTokenError"}

# The service each API belongs to: a service that stopped answering is not asked again in the
# same poll.
SERVICE_OF_API = {
    "GetMetricData": "cloudwatch",
    "GetCallerIdentity": "sts",
    "ListTables": "dynamodb",
    "DescribeTable": "dynamodb",
    "Scan": "dynamodb",
    "ListEventSourceMappings": "lambda",
}


def service_of(api: str) -> str:
    return SERVICE_OF_API.get(api, "kinesis")


class KmonError(Exception):
    """An error with a message fit to show an operator as it is."""


class NotAwsAnswer(KmonError):
    """The endpoint answered, but not in the service's protocol: a proxy's or load balancer's
    error page, a captive portal, a binary body."""

    def __init__(self, status: int | None) -> None:
        self.status = status
        where = f" (HTTP {status})" if status else ""
        super().__init__(f"the endpoint answered with something that is not AWS's API{where}")


def error_code(exc: BaseException) -> str | None:
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code")
    return None


def is_throttle(exc: BaseException) -> bool:
    return error_code(exc) in THROTTLE_CODES


def is_access_denied(exc: BaseException) -> bool:
    return error_code(exc) in ACCESS_DENIED_CODES


def is_not_found(exc: BaseException) -> bool:
    return error_code(exc) == "ResourceNotFoundException"


def is_credential_error(exc: BaseException | None) -> bool:
    """Expired or rejected credentials: fresh ones from the credential chain may cure it."""
    if exc is None:
        return False
    if type(exc).__name__ in SSO_ERRORS:
        return True
    return error_code(exc) in (EXPIRED_CODES | BAD_CREDENTIAL_CODES)


def is_unanswered(exc: BaseException | None) -> bool:
    """The service could not be reached or did not answer in time."""
    return isinstance(
        exc,
        EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError | ConnectionClosedError,
    )


def is_fatal_for_session(exc: BaseException | None) -> bool:
    """Credential and connectivity errors: nothing else will work either."""
    return isinstance(
        exc,
        NoCredentialsError
        | PartialCredentialsError
        | ProfileNotFound
        | NoRegionError
        | EndpointConnectionError
        | ConnectTimeoutError
        | ReadTimeoutError,  # retried already: an endpoint that does not answer
    ) or error_code(exc) in (EXPIRED_CODES | BAD_CREDENTIAL_CODES)


def _endpoint(exc: BaseException) -> str:
    url = getattr(exc, "kwargs", {}).get("endpoint_url")
    return url.rstrip("/") if url else "the AWS endpoint"


def _one_line(message: str, limit: int = 160) -> str:
    """Service messages can be whole HTML pages (a proxy or an emulator's error page)."""
    message = " ".join(str(message).split())
    if message.lower().startswith(("<!doctype", "<html")):
        return "the endpoint answered with an HTML error page"
    return message if len(message) <= limit else message[: limit - 1] + "…"


def describe(exc: BaseException, operation: str | None = None) -> str:
    """One readable line naming the problem and how to fix it."""
    if isinstance(exc, KmonError):
        return str(exc)
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return (
            "no AWS credentials found: run 'aws configure' or 'aws sso login', "
            "set AWS_PROFILE, or pass --profile"
        )
    if isinstance(exc, ProfileNotFound):
        return f"{exc}: check --profile or AWS_PROFILE ('aws configure list-profiles' lists them)"
    if isinstance(exc, NoRegionError):
        return "no AWS region configured: pass --region or set AWS_REGION"
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError):
        url = _endpoint(exc)
        return f"cannot reach {url}: check the network, VPN or proxy, or --endpoint-url"
    if isinstance(exc, ReadTimeoutError):
        url = _endpoint(exc)
        return f"{url} did not answer in time: the service or the network is slow"
    if isinstance(exc, ConnectionClosedError):
        url = _endpoint(exc)
        return (
            f"{url} closed the connection without answering: the service, a proxy or the "
            "network dropped it"
        )
    if type(exc).__name__ in SSO_ERRORS:
        return "the AWS SSO session has expired or is missing: run 'aws sso login'"
    if isinstance(exc, ClientError):
        code = error_code(exc) or "Error"
        op = operation or exc.operation_name
        msg = _one_line(exc.response.get("Error", {}).get("Message", ""))
        if code in EXPIRED_CODES:
            return "AWS credentials have expired: refresh them ('aws sso login' or new keys)"
        if code in BAD_CREDENTIAL_CODES:
            return f"AWS rejected the credentials ({code}): check the keys, profile or region"
        if code in ACCESS_DENIED_CODES and op == "GetCallerIdentity":
            # AWS allows it to any valid credentials: something in between refused it.
            return (
                "the account id could not be read: sts:GetCallerIdentity was refused (it needs "
                "no permission, so a VPC endpoint policy, a proxy or an emulator refused it); "
                "nothing else needs it"
            )
        if code in ACCESS_DENIED_CODES:
            perm = PERMISSIONS.get(op, op)
            return f"access denied: kmon needs {perm} (see the IAM policy in the README)"
        if code in THROTTLE_CODES:
            return f"{op} throttled by AWS ({code}): backing off"
        if code == "ResourceNotFoundException":
            return f"{op}: not found ({msg})" if msg else f"{op}: not found"
        return f"{op} failed: {code}: {msg}" if msg else f"{op} failed: {code}"
    if isinstance(exc, ResponseParserError | UnicodeDecodeError):
        # What botocore says when a body is not the protocol's (normally caught earlier, by
        # the clients' check of each answer, which knows the HTTP status).
        return str(NotAwsAnswer(None))
    if isinstance(exc, BotoCoreError):
        return str(exc)
    return _one_line(f"{type(exc).__name__}: {exc}")
