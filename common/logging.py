"""Log plumbing: a request id per web request, the task id on worker lines, secrets masked, one line each."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
request_logger = logging.getLogger("partnership.request")

_REQUEST_ID_HEADER = "HTTP_X_REQUEST_ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

# A calendar feed's URL is its secret (/calendar/<token>.ics): whoever reads the path reads the feed.
_FEED_PATH = re.compile(r"(/calendar/)[^/\s?#]+(\.ics)")

# What a secret looks like in a log line: AWS secret keys and session tokens, passwords and tokens
# passed as key=value or in a URL's user-info.
_SECRET_PATTERNS = [
    (
        re.compile(
            r"(?i)(aws_secret_access_key|secret_access_key|secretaccesskey)(['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"
        ),
        r"\1\2***",
    ),
    (
        re.compile(
            r"(?i)(aws_session_token|sessiontoken|password|passwd|secret|token|api_key)(['\"]?\s*[:=]\s*['\"]?)"
            r"[^\s'\",}]+"
        ),
        r"\1\2***",
    ),
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(token|bearer|basic)\s+[^\s'\",}]+"), r"\1\2 ***"),
    (re.compile(r"([a-z][a-z0-9+.-]*://[^:/\s@]+:)[^@\s/]+@"), r"\1***@"),
    (_FEED_PATH, r"\1***\2"),
]


def redact_path(path: str) -> str:
    """A request path fit for a log line: a calendar feed's token masked."""
    return _FEED_PATH.sub(r"\1***\2", path)


def redact(text: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _current_task_id() -> str:
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover - celery is a hard dependency
        return "-"
    task = current_task
    request = getattr(task, "request", None) if task else None
    return getattr(request, "id", None) or "-"


class ContextFilter(logging.Filter):
    """Adds request_id and task_id to every record so the format string can always name them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "task_id"):
            record.task_id = _current_task_id()
        return True


class OneLineFormatter(logging.Formatter):
    """Formats a record, traceback included, as a single line with secrets masked."""

    def format(self, record: logging.LogRecord) -> str:
        for field in ("request_id", "task_id"):
            if not hasattr(record, field):
                setattr(record, field, "-")
        text = super().format(record)
        return redact(text).replace("\r", "").replace("\n", " | ")


class RequestIdMiddleware:
    """Gives each request an id (the caller's X-Request-ID when it is safe, else a new one).

    The id goes on every log line written while the request is handled and back in the response header.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get(_REQUEST_ID_HEADER, "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            request_logger.info(
                "%s %s %s %.0fms",
                request.method,
                redact_path(request.path),
                response.status_code,
                (time.monotonic() - started) * 1000,
            )
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response
