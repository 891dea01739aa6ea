"""The audit page: every recorded change, filtered by object, user, time, channel and action."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from audit.access import may_read_audit
from audit.filters import AuditEntryFilter
from audit.selectors import audit_entries

PAGE_SIZE = 50


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    if not may_read_audit(request.user):
        raise Http404
    entries = AuditEntryFilter(request.GET, queryset=audit_entries())
    valid = entries.is_valid()
    page = Paginator(entries.qs if valid else audit_entries().none(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/list.html",
        {
            "filter": entries,
            "valid": valid,
            "page": page,
            "query": query.urlencode(),
        },
    )
