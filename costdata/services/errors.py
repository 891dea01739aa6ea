"""How a pull fails: the errors Cost Explorer answers with, what each means for the run, in words."""

from __future__ import annotations

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
    "ValidationException": "Cost Explorer refused the request",
}
THROTTLING_ERRORS = {"LimitExceededException", "ThrottlingException", "TooManyRequestsException"}
RESTART_ERRORS = {"RequestChangedException", "InvalidNextTokenException"}
# The endpoint was slow or away: worth another try later, unlike a refusal.
TRANSIENT_ERRORS = (ReadTimeoutError, ConnectTimeoutError, EndpointConnectionError, ConnectionClosedError)


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


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        code = error_code(exc)
        message = exc.response.get("Error", {}).get("Message", "")
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


def classify_error(exc: BaseException) -> Exception:
    if isinstance(exc, ClientError) and error_code(exc) in THROTTLING_ERRORS:
        return PullThrottled(describe_error(exc))
    if isinstance(exc, TRANSIENT_ERRORS):
        return PullTimedOut(describe_error(exc))
    return PullFailed(describe_error(exc))
