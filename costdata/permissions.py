"""Who may do what with cost data. One place; a later issue completes the role matrix.

Reading sources, runs and costs needs a signed-in user; configuring sources, triggering pulls and
importing files is for admins (staff and superusers).
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission


def is_admin(user: Any) -> bool:
    return bool(user and user.is_authenticated and (user.is_staff or user.is_superuser))


def may_read_costs(user: Any) -> bool:
    return bool(user and user.is_authenticated)


def may_manage_sources(user: Any) -> bool:
    return is_admin(user)


class ReadOrManageSources(BasePermission):
    """Safe methods for any signed-in user; anything that changes a source or starts a pull for admins."""

    message = "Only administrators may add sources, trigger pulls or import files."

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return may_read_costs(request.user)
        return may_manage_sources(request.user)
