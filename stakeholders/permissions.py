"""Who may do what with people, teams, ownership and engagements: small predicates, one place.

For now (issue 3): every authenticated user reads; admins, finance and technology leads write.
A user's role is the active Stakeholder linked to their account; staff and superusers are admins.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework import permissions

from stakeholders.models import Group, Stakeholder


def _stakeholder(user: Any) -> Stakeholder | None:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        stakeholder = user.stakeholder
    except Stakeholder.DoesNotExist:
        return None
    return stakeholder if stakeholder.active else None


def is_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and (user.is_staff or user.is_superuser))


def is_finance(user: Any) -> bool:
    stakeholder = _stakeholder(user)
    return stakeholder is not None and stakeholder.group == Group.FINANCE


def is_technology_lead(user: Any) -> bool:
    stakeholder = _stakeholder(user)
    return stakeholder is not None and stakeholder.group == Group.TECHNOLOGY


def can_read(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def can_edit_people(user: Any) -> bool:
    """Add and edit stakeholders, teams, ownership claims and engagements."""
    return can_read(user) and (is_admin(user) or is_finance(user) or is_technology_lead(user))


class ReadAllWriteLeads(permissions.BasePermission):
    """DRF: safe methods for any authenticated user; writes for admins, finance and technology leads."""

    message = "Only admins, finance and technology leads change people, teams, ownership and engagements."

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return can_read(request.user)
        return can_edit_people(request.user)


def edit_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Page views that change things: 403 for those who may only read (login is checked separately)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_edit_people(request.user):
            raise PermissionDenied("You may view people and ownership but not change them.")
        return view(request, *args, **kwargs)

    return wrapper
