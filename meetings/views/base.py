"""What every page of the programme shares: permission checks, form errors, redirects, paging."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from meetings import permissions

PAGE_SIZE = 25


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied("You may not change this.")


def require_read(request: HttpRequest) -> None:
    if not permissions.can_read(request.user):
        raise PermissionDenied("The programme is for people in the organisation.")


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def next_url(request: HttpRequest, default: str) -> str:
    """Where to go after a POST: a same-site `next`, else the default (never an open redirect)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def page_of(request: HttpRequest, queryset: QuerySet) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def form_page(
    request: HttpRequest, form: Any, *, title: str, cancel: str, submit: str = "Save", origin: Any = None
) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "title": title, "cancel_url": cancel, "submit": submit, "origin": origin}
    return render(request, "meetings/form.html", context, status=status)
