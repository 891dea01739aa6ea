"""How a pull fails: the errors Cost Explorer answers with, what each means for the run, in words."""

from __future__ import annotations

import re

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from django.conf import settings

# Errors that end a run as failed, with the message shown on the source's page, the admin and the API.
PERMANENT_ERRORS = {
    "DataUnavailableException": "Cost Explorer has no data for this window yet (DataUnavailableException).",
    "BillExpirationException": "The requested bill has expired: Cost Explorer keeps 13 months of daily history.",
    "AccessDeniedException": "Access denied: the credentials may not call Cost Explorer (ce:GetCostAndUsage).",
    "UnrecognizedClientException": "The AWS credentials were not recognised.",
    "InvalidClientTokenId": "The AWS credentials were not recognised.",
    "ExpiredTokenException": "The AWS credentials have expired.",
    "ExpiredToken": "The AWS credentials have expired.",  # STS's spelling
    "ValidationException": "Cost Explorer refused the request",
}
THROTTLING_ERRORS = {
    "LimitExceededException",
    "ThrottlingException",
    "TooManyRequestsException",
    "Throttling",
}
RESTART_ERRORS = {"RequestChangedException", "InvalidNextTokenException"}
# The endpoint was slow or away: worth another try later, unlike a refusal.
TRANSIENT_ERRORS = (ReadTimeoutError, ConnectTimeoutError, EndpointConnectionError, ConnectionClosedError)
# STS's refusal reads "User: <caller ARN> is not authorized to perform: sts:AssumeRole on resource:
# <role ARN>"; neither ARN is a secret, and the message never holds a key or the external id.
_REFUSED_CALLER = re.compile(r"User: (arn:aws[a-z-]*:[\w:/+=,.@-]+) is not authorized")
_REFUSED_ROLE = re.compile(r"on resource: (arn:aws[a-z-]*:iam::\d{12}:role/[\w/+=,.@-]+)")


class SourceBusy(Exception):
    """Another run holds the source's lock."""


class PullThrottled(Exception):
    """Cost Explorer kept throttling past botocore's own retries: the task retries later."""


class PullTimedOut(Exception):
    """Cost Explorer did not answer in time, or could not be reached, past botocore's own retries:
    a passing fault (a slow or restarting endpoint, the network), so the task retries later."""


class PullFailed(Exception):
    """A permanent error: the run is failed, the data it would have replaced is kept."""


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def describe_assume_role_error(exc: ClientError, *, role_arn: str = "") -> str:
    """STS would not hand out the role's credentials: say which role, and what to check."""
    code = error_code(exc)
    message = str(exc.response.get("Error", {}).get("Message", ""))
    named = _REFUSED_ROLE.search(message)
    arn = role_arn or (named.group(1) if named else "")
    role = f"the role {arn}" if arn else "the source's role"
    caller = _REFUSED_CALLER.search(message)
    who = f"the credentials of {caller.group(1)}" if caller else "these credentials"
    if code == "AccessDenied":
        return (
            f"STS refused to let {who} assume {role} (AccessDenied): either the source's external id "
            "is not the one the role's trust policy requires, or the trust policy does not trust these "
            "credentials. Check the external id on the source and the role's trust policy."
        )
    if code in THROTTLING_ERRORS:
        return f"STS kept throttling the request to assume {role} ({code}); the pull will be retried."
    known = PERMANENT_ERRORS.get(code)
    if known:
        return f"Assuming {role} failed: {known}"
    return f"STS could not assume {role} ({code}): {message}"


def describe_error(exc: BaseException, *, role_arn: str = "") -> str:
    """The run's error message, in words; `role_arn` names the role the source assumes, if any
    (without it, a refusal to assume a role names the role from STS's own message)."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        message = exc.response.get("Error", {}).get("Message", "")
        if exc.operation_name == "AssumeRole":
            return describe_assume_role_error(exc, role_arn=role_arn)
        known = PERMANENT_ERRORS.get(code)
        if code in THROTTLING_ERRORS:
            return f"Cost Explorer kept throttling the requests ({code}); the pull will be retried."
        return (
            f"{known}: {message}"
            if known and code == "ValidationException"
            else known or f"{code}: {message}"
        )
    if isinstance(exc, NoCredentialsError):
        return "No AWS credentials found: set them through the environment, a profile or an instance role."
    if isinstance(exc, ReadTimeoutError):
        return (
            f"Cost Explorer timed out: no answer within {settings.COST_EXPLORER_READ_TIMEOUT} seconds "
            f"(COST_EXPLORER_READ_TIMEOUT), tried up to {settings.COST_EXPLORER_MAX_ATTEMPTS} times: {exc}"
        )
    if isinstance(exc, ConnectTimeoutError):
        return (
            f"Connecting to Cost Explorer timed out: no connection within "
            f"{settings.COST_EXPLORER_CONNECT_TIMEOUT} seconds (COST_EXPLORER_CONNECT_TIMEOUT): {exc}"
        )
    if isinstance(exc, BotoCoreError):
        return f"Could not reach Cost Explorer: {exc}"
    return str(exc) or exc.__class__.__name__


def classify_error(exc: BaseException, *, role_arn: str = "") -> Exception:
    message = describe_error(exc, role_arn=role_arn)
    if isinstance(exc, ClientError) and error_code(exc) in THROTTLING_ERRORS:
        return PullThrottled(message)
    if isinstance(exc, TRANSIENT_ERRORS):
        return PullTimedOut(message)
    return PullFailed(message)
