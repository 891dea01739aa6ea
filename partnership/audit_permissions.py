"""Who may read the audit trail: admins and finance. Everyone else gets a 404, as if it did not exist."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework import permissions

from stakeholders.permissions import Capability, _all
from stakeholders.roles import Role, role_of

CAPABILITIES: list[Capability] = [
    Capability("audit.read", "Read the audit trail (page and API)", _all(Role.ADMIN, Role.FINANCE)),
]
_READ_AUDIT = CAPABILITIES[0]


def may_read_audit(user: Any) -> bool:
    return bool(getattr(user, "is_active", False)) and _READ_AUDIT.allows(role_of(user))


class ReadAuditTrail(permissions.BasePermission):
    """DRF: authenticated admins and finance read; others are told the endpoint does not exist."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if not getattr(request.user, "is_authenticated", False):
            return False  # 401 from the authenticators' challenge
        if not may_read_audit(request.user):
            raise Http404
        return True  # the views are read-only: anything but GET is a 405


def audit_nav(request: Any) -> dict[str, bool]:
    """Template context: whether to show the Audit link in the main navigation."""
    return {"may_read_audit": may_read_audit(getattr(request, "user", None))}
