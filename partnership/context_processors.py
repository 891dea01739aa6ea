"""Template context every page gets: the organisation's name, and what the signed-in role may open
(`access`), so navigation offers only that."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from common.types import AnyUser
from costdata import permissions as costs
from meetings import permissions as programme
from stakeholders import permissions as people
from stakeholders.roles import role_of


def organisation(request: HttpRequest) -> dict[str, str]:
    return {"organisation_name": settings.ORGANISATION_NAME}


def _access(user: AnyUser) -> dict[str, bool | str]:
    return {
        "role": role_of(user).value,
        "costs": costs.may_read_costs(user),
        "sources": costs.may_read_sources(user),
        "variances": costs.may(user, "variances.read"),
        "budgets": costs.may_read_budgets(user),
        "people": people.can_read(user),
        "programme": programme.can_read(user),
    }


def access(request: HttpRequest) -> dict[str, Any]:
    return {"access": SimpleLazyObject(lambda: _access(request.user))}
