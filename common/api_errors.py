"""The API's exception handler: the one place an error becomes a response, in one of two shapes.

- Invalid input is a 400 with one entry per field and its messages; errors that belong to no field sit
  under `non_field_errors` (DRF's key): {"amount": ["..."], "non_field_errors": ["..."]}. That is what
  DRF's serializers give, and a service's django ValidationError is answered the same way.
- Every other error is {"detail": "message"}: a service's django PermissionDenied is a 403, DRF's own
  errors keep their status.

Views call services and let errors propagate; nothing else converts them. Two more cases are the
client's input, not a server fault: a value the database cannot store (Postgres's DataError,
or the OverflowError a driver raises before sending it) is a 400 {"detail"}, and a write that lost a race on a unique constraint
(IntegrityError) is a 400 naming, in words, what it conflicted with, never the SQL.
"""

from __future__ import annotations

import logging
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import Model, UniqueConstraint
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)

NON_FIELD = "__all__"  # django's key for errors of no field (django.core.exceptions.NON_FIELD_ERRORS)


def validation_detail(error: DjangoValidationError) -> dict[str, list[str]]:
    """A django ValidationError as the API's 400 body: field -> messages, the rest under non_field_errors."""
    if not hasattr(error, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: list(error.messages)}
    return {
        api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD else field: messages
        for field, messages in error.message_dict.items()
    }


def _unique_fields(model: type[Model], name: str) -> list[str] | None:
    for constraint in model._meta.constraints:
        if isinstance(constraint, UniqueConstraint) and constraint.name == name:
            return list(constraint.fields)
    for field in model._meta.concrete_fields:
        prefix = f"{model._meta.db_table}_{field.column}_"  # Postgres's name, or django's for a later one
        if field.unique and (name == prefix + "key" or (name.startswith(prefix) and name.endswith("_uniq"))):
            return [field.name]
    return None


def conflict_message(error: IntegrityError) -> str:
    """What a unique constraint's violation conflicted with, in words: the model and its fields, from the
    constraint Postgres names (psycopg's diag.constraint_name)."""
    constraint: str = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None) or ""
    for model in apps.get_models() if constraint else []:
        fields = _unique_fields(model, constraint)
        if fields:
            names = " and ".join(
                str(getattr(model._meta.get_field(name), "verbose_name", name)) for name in fields
            )
            return f"Another {model._meta.verbose_name} already has this {names}."
    return "This conflicts with another record that was saved meanwhile; reload and try again."


def _as_drf_error(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(validation_detail(exc))
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, IntegrityError):
        logger.info("refused a write that lost a race on a constraint")
        return exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [conflict_message(exc)]})
    return exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, OverflowError | DataError):
        logger.info("refused unstorable input: %s", exc.__class__.__name__)
        set_rollback()  # the request's transaction (ATOMIC_REQUESTS) is rolled back, not committed
        return Response({"detail": "A value in the request is out of range or cannot be stored."}, status=400)
    drf_error = _as_drf_error(exc)
    if isinstance(drf_error, exceptions.ValidationError) and isinstance(drf_error.detail, dict):
        # One shape: every field's messages are a list, also where a view raised {"field": "message"}.
        listed: dict[str, Any] = {
            str(field): messages if isinstance(messages, list | dict) else [messages]
            for field, messages in drf_error.detail.items()
        }
        drf_error.detail = listed
    return drf_exception_handler(drf_error, context)


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
