"""Who may read the audit trail is a role rule, and roles live above this package: the people layer
registers the rule at start-up (`register_reader_rule`), and until it does nobody may read.

Readers who may not are told the trail does not exist (404), on the page and in the API.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser, User
from django.http import Http404, HttpRequest
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.views import APIView

ReaderRule = Callable[[User | AnonymousUser | None], bool]

_reader_rule: list[ReaderRule] = []


def register_reader_rule(rule: ReaderRule) -> None:
    """Declare who may read the trail (called once, from the people layer's AppConfig.ready)."""
    _reader_rule[:] = [rule]


def may_read_audit(user: User | AnonymousUser | None) -> bool:
    return bool(_reader_rule) and _reader_rule[0](user)


class ReadAuditTrail(permissions.BasePermission):
    """DRF: authenticated readers read; others are told the endpoint does not exist."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not getattr(request.user, "is_authenticated", False):
            return False  # 401 from the authenticators' challenge
        if not may_read_audit(request.user):
            raise Http404
        return True  # the views are read-only: anything but GET is a 405


def audit_nav(request: HttpRequest) -> dict[str, bool]:
    """Template context: whether to show the Audit link in the main navigation."""
    return {"may_read_audit": may_read_audit(getattr(request, "user", None))}
