"""Requests that may write run in one transaction; requests that only read do not open one.

ATOMIC_REQUESTS (settings.py) wraps every view in `transaction.atomic`, so a failing write
leaves nothing half-done and DRF's exception handler can roll a request back. A GET, HEAD or OPTIONS
request writes nothing the product relies on being atomic (every write lives in a service, and a service
that writes several rows is `@transaction.atomic` itself; the few single-statement bookkeeping updates a
read makes, such as a token's last-used stamp, are atomic on their own). Wrapping such a request costs a
BEGIN and a COMMIT round trip to the database on every read.

`atomic_unless_safe(view)` keeps the transaction exactly where it was for every other method: the view
tells Django's handler it is not to be wrapped (Django's own `non_atomic_requests` marker) and applies
`transaction.atomic` itself, per request, unless the method is GET, HEAD or OPTIONS. A view already
marked with `transaction.non_atomic_requests` keeps that choice for the databases it names.
`atomic_writes_only(urlpatterns)` applies it to every view of a URLconf (partnership/urls.py calls it
on the root one), so no view can be forgotten.

A read made inside a transaction already open (only tests do that: the handler runs outside any)
still gets a savepoint, because DRF's exception handler marks the innermost atomic block for rollback
when it refuses a request, and that block must be the request's own.

Nothing changes on a database without ATOMIC_REQUESTS: there the handler wraps nothing and neither does
this.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from inspect import iscoroutinefunction
from typing import Any

from django.db import connections, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MARK = "_atomic_unless_safe"


def atomic_unless_safe(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The view, in a transaction per database with ATOMIC_REQUESTS unless the request is a safe one."""
    if getattr(view, _MARK, False) or iscoroutinefunction(view):
        return view  # already done; async views are refused by Django under ATOMIC_REQUESTS anyway
    opted_out = frozenset(getattr(view, "_non_atomic_requests", ()))

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        safe = request.method in SAFE_METHODS
        atomic_view = view
        for alias, settings_dict in connections.settings.items():
            if not settings_dict["ATOMIC_REQUESTS"] or alias in opted_out:
                continue
            # A read inside a transaction someone else opened (a test's) keeps its savepoint: DRF marks
            # the innermost atomic block for rollback when it refuses a request, and that must be the
            # request's own, not the caller's.
            if safe and not connections[alias].in_atomic_block:
                continue
            atomic_view = transaction.atomic(using=alias)(atomic_view)
        return atomic_view(request, *args, **kwargs)

    # Django's handler skips the databases named here: the wrapper decides per request instead.
    wrapper._non_atomic_requests = set(connections.settings) | set(opted_out)  # type: ignore[attr-defined]
    setattr(wrapper, _MARK, True)
    return wrapper


def atomic_writes_only(patterns: Iterable[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    """Applies `atomic_unless_safe` to every view of the patterns, included URLconfs too, in place."""
    patterns = list(patterns)
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            atomic_writes_only(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            pattern.callback = atomic_unless_safe(pattern.callback)
    return patterns
