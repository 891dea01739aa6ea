"""Session lifetime: an idle timeout and an absolute timeout, both enforced on the server.

The idle clock is the last-activity stamp kept in the session. Writing it on every request would turn
every read into a session write (an UPDATE of the session row and a fresh Set-Cookie per request), so it
is rewritten only once it is `activity_resolution()` seconds old (60 s, or a tenth of the idle timeout
when that is shorter). The stamp is therefore never later than the last request and at most one
resolution earlier: a session is always logged out once it has been idle for SESSION_IDLE_TIMEOUT
seconds, and never before SESSION_IDLE_TIMEOUT minus the resolution (29 of the default 30 minutes). The
error is towards logging out early, never late. The absolute timeout is unaffected (its stamp is written
once, at login).
"""

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
# The last-activity stamp is rewritten when it is this old (see the module docstring).
ACTIVITY_RESOLUTION_SECONDS = 60


def activity_resolution() -> int:
    """Seconds a last-activity stamp may age before a request rewrites it."""
    return max(1, min(ACTIVITY_RESOLUTION_SECONDS, settings.SESSION_IDLE_TIMEOUT // 10))


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
            session = request.session
            login_at = session.get(LOGIN_AT)
            last_seen = session.get(LAST_SEEN)
            expired = None
            if login_at is not None and now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT:
                expired = "Your session reached its maximum length. Please log in again."
            elif last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT:
                expired = "You were logged out after a period of inactivity. Please log in again."
            if expired:
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)  # continues unauthenticated: the API answers 401/403
                messages.info(request, expired)
                return redirect(
                    f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}"
                )
            # Only a stale (or missing) stamp is rewritten: an unchanged session is not saved again.
            if last_seen is None or now - last_seen >= activity_resolution():
                session[LAST_SEEN] = now
            if login_at is None:
                session[LOGIN_AT] = now
        return self.get_response(request)
