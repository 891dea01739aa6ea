"""The API's exception handler: DRF's, plus input the database cannot represent answered as a 400.

A query parameter, filter or id beyond the database's integer range (or otherwise unstorable) reaches
the ORM as valid Python and fails in the database: Postgres raises DataError (OverflowError, which a
driver may raise before sending such a value, is treated alike). Either is the client's input, not a
server fault, so it gets a 400 rather than a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DataError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, OverflowError | DataError):
        logger.info("refused unstorable input: %s", exc.__class__.__name__)
        set_rollback()  # the request's transaction (ATOMIC_REQUESTS) is rolled back, not committed
        return Response({"detail": "A value in the request is out of range or cannot be stored."}, status=400)
    return drf_exception_handler(exc, context)


# --- integers the database cannot hold, refused before any query runs ----------------------------
# Postgres raises DataError for an integer beyond bigint, which aborts the surrounding transaction; by
# the time the exception handler sees it the damage is done. So the API's input boundary refuses such
# numbers in the path, the query string and JSON bodies up front, naming where each was.
import json  # noqa: E402
import re  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402

from django.http import HttpRequest, HttpResponse, JsonResponse  # noqa: E402

BIGINT_MAX = 2**63 - 1
_INTEGER = re.compile(r"^[+-]?\d+$")


def _too_big(text: str) -> bool:
    return bool(_INTEGER.match(text)) and abs(int(text)) > BIGINT_MAX


def _json_out_of_range(node: Any, where: str) -> Iterator[str]:
    if isinstance(node, bool):
        return
    if isinstance(node, int) and abs(node) > BIGINT_MAX:
        yield where or "body"
    elif isinstance(node, str) and len(node) < 64 and _too_big(node):
        yield where or "body"
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _json_out_of_range(value, str(key) if not where else f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _json_out_of_range(value, f"{where}[{index}]" if where else f"[{index}]")


class OutOfRangeIntegerMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            problems = self._problems(request)
            if problems:
                return JsonResponse({name: ["This number is out of range."] for name in problems}, status=400)
        return self.get_response(request)

    @staticmethod
    def _problems(request: HttpRequest) -> list[str]:
        problems = [f"path: {segment}" for segment in request.path.split("/") if _too_big(segment)]
        for name, values in request.GET.lists():
            if any(_too_big(value.strip()) for value in values):
                problems.append(name)
        if request.content_type == "application/json" and request.body:
            try:
                body = json.loads(request.body)
            except ValueError:
                return problems  # DRF's parser reports malformed JSON itself
            problems.extend(_json_out_of_range(body, ""))
        return problems
