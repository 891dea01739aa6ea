"""Session lifetime: an idle timeout and an absolute timeout, both enforced on the server."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url

LOGIN_AT = "auth_login_at"
LAST_SEEN = "auth_last_seen"


def session_started(request: HttpRequest) -> None:
    now = int(time.time())
    request.session[LOGIN_AT] = now
    request.session[LAST_SEEN] = now


class SessionTimeoutMiddleware:
    """Logs a user out after SESSION_IDLE_TIMEOUT seconds without a request, or SESSION_ABSOLUTE_TIMEOUT
    seconds after logging in, whichever comes first. Logging out flushes the session on the server."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            login_at = request.session.get(LOGIN_AT, now)
            last_seen = request.session.get(LAST_SEEN, now)
            expired = None
            if now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT:
                expired = "Your session reached its maximum length. Please log in again."
            elif now - last_seen > settings.SESSION_IDLE_TIMEOUT:
                expired = "You were logged out after a period of inactivity. Please log in again."
            if expired:
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)  # continues unauthenticated: the API answers 401/403
                messages.info(request, expired)
                return redirect(
                    f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}"
                )
            request.session[LAST_SEEN] = now
            request.session.setdefault(LOGIN_AT, login_at)
        return self.get_response(request)
