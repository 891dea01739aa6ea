"""API pagination.

Small tables (teams, topics, glossary terms) keep DRF's page-number pagination with its `count`. Large
tables (cost facts, ingestion runs, variances, explanations, audit lists) use `KeysetPagination`: the
page after a cursor is read with a WHERE on the sort keys, so a request never counts the whole table
and page 1,000 costs what page 1 costs.

A view may also say when its data last changed (`page_cache_version()`, a short string): the
page's rows are then cached (the default cache, Redis in production) under the page's own SQL and
parameters with that version, for at most API_PAGE_CACHE_SECONDS. The SQL carries every filter, the
caller's visibility included, so two callers share an entry only when they would read the same rows;
a new version (new facts) makes every older entry unreachable. The costs API uses it: its pages are
aggregations that cost Postgres far more than reading the version does.

The response of a keyset-paginated list is `{"next": url | null, "previous": url | null, "results":
[...]}`: follow `next` until it is null. A cursor is opaque (base64 of the last row's sort keys and the
ordering it belongs to); a cursor from another ordering or a tampered one is a 400 naming `cursor`.

How a page is found: the ordering (from the queryset, a client's `?ordering=` through OrderingFilter)
always ends with a unique key (the primary key is appended unless the view says its ordering is
already unique, as for the aggregated cost rows), so "the rows after (v1, v2, ..., vn)" is the
lexicographic condition (k1 > v1) OR (k1 = v1 AND k2 > v2) OR ..., with each key's direction and with
NULLs always sorted last, and every row is on exactly one page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections
from django.db.models import F, Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings


@dataclass(frozen=True)
class SortKey:
    name: str
    descending: bool
    nullable: bool

    def reversed(self) -> SortKey:
        return SortKey(self.name, not self.descending, self.nullable)

    def expression(self, *, backwards: bool) -> Any:
        """ORDER BY term. NULLs come last going forwards, so first when a page is read backwards."""
        field = F(self.name)
        descending = self.descending != backwards
        order = field.desc if descending else field.asc
        if not self.nullable:
            return order()
        return order(nulls_first=True) if backwards else order(nulls_last=True)


def _after(key: SortKey, value: Any, *, backwards: bool) -> Q | None:
    """Rows strictly after `value` on this one key, in the reading direction; None when there are none."""
    descending = key.descending != backwards
    if value is None:
        # NULLs are last going forwards: nothing comes after a NULL; backwards, every non-NULL does.
        return Q(**{f"{key.name}__isnull": False}) if backwards and key.nullable else None
    condition = Q(**{f"{key.name}__{'lt' if descending else 'gt'}": value})
    if key.nullable and not backwards:
        condition |= Q(**{f"{key.name}__isnull": True})
    return condition


def _equal(key: SortKey, value: Any) -> Q:
    return Q(**{f"{key.name}__isnull": True}) if value is None else Q(**{key.name: value})


def rows_after(keys: list[SortKey], values: list[Any], *, backwards: bool = False) -> Q | None:
    """The lexicographic condition for rows after `values` in the order `keys` (None: no such rows)."""
    condition: Q | None = None
    prefix = Q()
    for key, value in zip(keys, values, strict=True):
        step = _after(key, value, backwards=backwards)
        if step is not None:
            condition = (prefix & step) if condition is None else condition | (prefix & step)
        prefix &= _equal(key, value)
    return condition


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


_OIDS: dict[str, int] = {}


def _database_oid(database: Any) -> int:
    """The database's identity on its server: a database dropped and created again gets a new one."""
    name = database.settings_dict["NAME"]
    if name not in _OIDS:
        with database.cursor() as cursor:
            cursor.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
            _OIDS[name] = cursor.fetchone()[0]
    return _OIDS[name]


class KeysetPagination(BasePagination):
    """Cursor pagination on the full sort key: no COUNT, no OFFSET, every row exactly once."""

    page_size = api_settings.PAGE_SIZE or 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    cursor_query_param = "cursor"

    def __init__(self) -> None:
        self.next_values: list[Any] | None = None
        self.previous_values: list[Any] | None = None
        self.keys: list[SortKey] = []

    # --- the ordering ---------------------------------------------------------------------------
    def get_sort_keys(self, queryset: QuerySet, view: Any) -> list[SortKey]:
        ordering = [term for term in queryset.query.order_by if isinstance(term, str)]
        if len(ordering) != len(queryset.query.order_by):
            raise TypeError("KeysetPagination orders by field names only.")
        unique = getattr(view, "ordering_is_unique", False)
        names = {term.lstrip("-") for term in ordering}
        if not unique and not names & {"pk", queryset.model._meta.pk.name}:
            last_descending = bool(ordering) and ordering[-1].startswith("-")
            ordering.append("-pk" if last_descending else "pk")
        return [self._sort_key(term, queryset) for term in ordering]

    @staticmethod
    def _sort_key(term: str, queryset: QuerySet) -> SortKey:
        name = term.lstrip("-")
        if name == "pk":
            nullable = False
        elif name in queryset.query.annotations:
            nullable = True  # an expression may yield NULL; the condition allows for it
        else:
            try:
                nullable = queryset.model._meta.get_field(name).null
            except FieldDoesNotExist as error:
                raise TypeError(f"KeysetPagination cannot sort by {term!r}.") from error
        return SortKey(name, term.startswith("-"), nullable)

    # --- cursors --------------------------------------------------------------------------------
    def _fingerprint(self) -> str:
        return ",".join(("-" if k.descending else "") + k.name for k in self.keys)

    def encode_cursor(self, values: list[Any], *, backwards: bool) -> str:
        payload = {"o": self._fingerprint(), "v": [_jsonable(v) for v in values], "b": int(backwards)}
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode_cursor(self, cursor: str) -> tuple[list[Any], bool]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            payload = json.loads(raw)
            values, backwards, ordering = payload["v"], bool(payload["b"]), payload["o"]
        except (binascii.Error, ValueError, TypeError, KeyError) as error:
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from error
        if ordering != self._fingerprint() or not isinstance(values, list) or len(values) != len(self.keys):
            raise ValidationError(
                {self.cursor_query_param: ["This cursor belongs to another ordering: start again."]}
            )
        if any(
            isinstance(v, dict | list | float) or (isinstance(v, int) and abs(v) >= 2**63) for v in values
        ):
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]})
        return values, backwards

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError as error:
            raise ValidationError({self.page_size_query_param: ["A whole number is required."]}) from error
        if size < 1:
            raise ValidationError({self.page_size_query_param: ["Must be at least 1."]})
        return min(size, self.max_page_size)

    # --- the page -------------------------------------------------------------------------------
    # Keyset pagination needs a QuerySet to filter, where DRF's base also accepts a plain sequence.
    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        self.keys = self.get_sort_keys(queryset, view)
        size = self.get_page_size(request)
        cursor = request.query_params.get(self.cursor_query_param)
        values, backwards = self.decode_cursor(cursor) if cursor else (None, False)
        if values is not None:
            condition = rows_after(self.keys, values, backwards=backwards)
            try:  # a forged value of the wrong type (a date that is not one) is refused while building the query
                queryset = queryset.filter(condition) if condition is not None else queryset.none()
            except (DjangoValidationError, ValueError, TypeError) as error:
                raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from error
        queryset = queryset.order_by(*(key.expression(backwards=backwards) for key in self.keys))
        rows = self.fetch(queryset[: size + 1], view)
        more = len(rows) > size
        rows = rows[:size]
        if backwards:
            rows.reverse()
        first, last = (rows[0], rows[-1]) if rows else (None, None)
        # Going forwards, a cursor means there were rows before; going backwards, we came from rows after.
        self.next_values = self._values(last) if last is not None and (more or backwards) else None
        came_from_before = values is not None and not backwards
        self.previous_values = (
            self._values(first) if first is not None and ((more and backwards) or came_from_before) else None
        )
        return rows

    def fetch(self, page: QuerySet, view: Any) -> list[Any]:
        """The page's rows, from the cache when the view versions its data and the entry is current."""
        seconds = getattr(settings, "API_PAGE_CACHE_SECONDS", 0)
        versioned = getattr(view, "page_cache_version", None)
        database = connections[page.db]
        if not seconds or versioned is None:
            return list(page)
        version = versioned()
        try:
            sql, params = page.query.sql_with_params()
        except EmptyResultSet:
            # A condition that matches nothing (a reader who may see no row at all) has no SQL: Django
            # knows the answer without asking the database.
            return []
        material = repr((database.settings_dict["NAME"], _database_oid(database), version, sql, params))
        key = "api-page:" + hashlib.sha256(material.encode()).hexdigest()
        rows = cache.get(key)
        if rows is None:
            rows = list(page)
            cache.set(key, rows, seconds)
        return rows

    def _values(self, row: Any) -> list[Any]:
        if isinstance(row, dict):
            return [row[key.name] for key in self.keys]
        return [getattr(row, key.name) for key in self.keys]

    def _link(self, values: list[Any] | None, *, backwards: bool) -> str | None:
        if values is None:
            return None
        url = self.request.build_absolute_uri()
        scheme, netloc, path, query, fragment = urlsplit(url)
        params = parse_qs(query, keep_blank_values=True)
        params[self.cursor_query_param] = [self.encode_cursor(values, backwards=backwards)]
        return urlunsplit((scheme, netloc, path, urlencode(params, doseq=True), fragment))

    def get_next_link(self) -> str | None:
        return self._link(self.next_values, backwards=False)

    def get_previous_link(self) -> str | None:
        return self._link(self.previous_values, backwards=True)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            OrderedDict(
                [("next", self.get_next_link()), ("previous", self.get_previous_link()), ("results", data)]
            )
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "description": "One page. Follow `next` (null on the last page); there is no total count.",
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page, or null on the last page.",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The page before, or null on the first page.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque cursor from a previous response's `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {self.page_size}, at most {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


# For actions that return a keyset page but are not a list route (drf-spectacular paginates only those).
KEYSET_PARAMETERS = [
    OpenApiParameter(
        "cursor", OpenApiTypes.STR, description="Opaque cursor from a previous page's `next` or `previous`."
    ),
    OpenApiParameter(
        "page_size",
        OpenApiTypes.INT,
        description=f"Rows per page (default {KeysetPagination.page_size}, at most "
        f"{KeysetPagination.max_page_size}).",
    ),
]


def keyset_page_serializer(name: str, item: type[serializers.Serializer]) -> serializers.Serializer:
    """The OpenAPI shape of one keyset page of `item`: next, previous, results."""
    return inline_serializer(
        name=name,
        fields={
            "next": serializers.URLField(allow_null=True, help_text="The next page, or null on the last."),
            "previous": serializers.URLField(
                allow_null=True, help_text="The page before, or null on the first."
            ),
            "results": item(many=True),
        },
    )
