"""API authentication by named, revocable tokens: `Authorization: Token <key>` as DRF clients expect.

Every token request reads its token, the token's user and the user's stakeholder record (their role,
which every permission asks) from the database, so a token revoked or deleted, a user deactivated or
deleted, or a role changed takes effect on the very next request, in every process. What is saved is
the ORM's work, not the read: the statement is written once per database (`TokenLookup`), and each
request only executes it and builds the three objects from the row, as `select_related` would have
(converted by the backend's converters, related objects cached on each other). That is about a fifth
of the Python the equivalent queryset costs to compile, on a path every API request takes.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from django.contrib.auth import backends, get_user_model
from django.db import connections, router
from django.db.models import Model
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from partnership.models import ApiToken, token_digest

# Writing last_used_at on every request would turn each read into a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenLookup:
    """One statement reading a token by digest with its user and the user's stakeholder record."""

    def __init__(self, alias: str) -> None:
        from stakeholders.models import Stakeholder

        connection = connections[alias]
        User = get_user_model()
        quote = connection.ops.quote_name
        self.alias = alias
        # (model, table alias, its concrete fields) in the order their columns come in the row.
        self.parts: list[tuple[type[Model], str, list[Any]]] = [
            (ApiToken, "t", list(ApiToken._meta.concrete_fields)),
            (User, "u", list(User._meta.concrete_fields)),
            (Stakeholder, "s", list(Stakeholder._meta.concrete_fields)),
        ]
        columns = ", ".join(
            f"{table}.{quote(field.column)}" for _, table, fields in self.parts for field in fields
        )
        token_user = ApiToken._meta.get_field("user")
        stakeholder_user = Stakeholder._meta.get_field("user")
        self.sql = (
            f"SELECT {columns} FROM {quote(ApiToken._meta.db_table)} t "
            f"INNER JOIN {quote(User._meta.db_table)} u "
            f"ON u.{quote(User._meta.pk.column)} = t.{quote(token_user.column)} "
            f"LEFT OUTER JOIN {quote(Stakeholder._meta.db_table)} s "
            f"ON s.{quote(stakeholder_user.column)} = u.{quote(User._meta.pk.column)} "
            f"WHERE t.{quote(ApiToken._meta.get_field('digest').column)} = %s"
        )
        # The converters the ORM applies to each column (e.g. SQLite's text datetimes and 0/1 booleans).
        self.converters: list[tuple[int, list[Any], Any]] = []
        index = 0
        for _, table, fields in self.parts:
            for field in fields:
                column = field.get_col(table)
                found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
                if found:
                    self.converters.append((index, found, column))
                index += 1
        # (model, first column, column after its last, its primary key's column) in the row.
        self.slices: list[tuple[type[Model], int, int, int]] = []
        start = 0
        for model, _, fields in self.parts:
            primary = next(i for i, field in enumerate(fields) if field.primary_key)
            self.slices.append((model, start, start + len(fields), start + primary))
            start += len(fields)
        self.token_user = token_user
        self.stakeholder_user = stakeholder_user
        self.user_stakeholder = stakeholder_user.remote_field  # the reverse one-to-one: user.stakeholder

    def __call__(self, digest: str) -> ApiToken | None:
        connection = connections[self.alias]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [digest])
            row = cursor.fetchone()
        if row is None:
            return None
        values = list(row)
        for index, converters, column in self.converters:
            for converter in converters:
                values[index] = converter(values[index], column, connection)
        objects: list[Model | None] = []
        for model, start, end, primary in self.slices:
            # A LEFT JOIN that found nothing gives NULL in every column, the primary key included.
            found = values[primary] is not None
            objects.append(model.from_db(self.alias, None, values[start:end]) if found else None)
        token, user, stakeholder = objects
        assert token is not None and user is not None
        self.token_user.set_cached_value(token, user)
        self.user_stakeholder.set_cached_value(user, stakeholder)
        if stakeholder is not None:
            self.stakeholder_user.set_cached_value(stakeholder, user)
        return token  # type: ignore[return-value]


_lookups: dict[str, TokenLookup] = {}
_lookups_lock = threading.Lock()


def token_lookup() -> TokenLookup:
    alias = router.db_for_read(ApiToken)
    lookup = _lookups.get(alias)
    if lookup is None:
        with _lookups_lock:
            lookup = _lookups.setdefault(alias, TokenLookup(alias))
    return lookup


class ApiTokenAuthentication(TokenAuthentication):
    model = ApiToken

    def authenticate_credentials(self, key: str):  # type: ignore[override]
        # The user's stakeholder record (their role, which every permission asks) comes in the same query.
        token = token_lookup()(token_digest(key))
        if token is None or not token.active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token


class ModelBackend(backends.ModelBackend):
    """Django's ModelBackend, loading the user's stakeholder record (their role) with the user.

    Every page and API request asks the user's role (stakeholders.roles.role_of): with the record in the
    session user's query, that is one query per request instead of two.
    """

    def get_user(self, user_id: object):  # type: ignore[override]
        User = get_user_model()
        try:
            user = User._default_manager.select_related("stakeholder").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
