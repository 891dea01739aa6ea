"""The types every layer shares for who is asking: the account model and the requests that carry it."""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest

__all__ = ["AnyUser", "AuthenticatedHttpRequest", "User"]

# settings.AUTH_USER_MODEL is Django's own auth.User; name it here only, so a custom model is one change.
# What request.user holds before login is required: a signed-in account or the anonymous one.
AnyUser: TypeAlias = User | AnonymousUser


class AuthenticatedHttpRequest(HttpRequest):
    """A request behind login_required: its user is signed in."""

    user: User
