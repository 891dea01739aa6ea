"""Dashboard and review-pack pages: validate the URL, call one selector or service, render.

Every chart page answers `?csv=<chart key>` with that chart's table as CSV (the same filters apply).
"""

from __future__ import annotations

import csv
import dataclasses
import io
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from costdata import charts, dashboards, permissions, review_packs
from costdata.dashboard_models import ReviewPack
from costdata.planning.spreadsheets import csv_cell


def _bad_request(request: HttpRequest, errors: dict[str, str], *, title: str = "Dashboards") -> HttpResponse:
    html = render_to_string(
        "costdata/dashboards/bad_request.html", {"errors": errors, "title": title}, request=request
    )
    return HttpResponseBadRequest(html)


def _chart_context(chart: dashboards.Chart, index: int) -> dict[str, Any]:
    table_key, table, cells = charts.page_table(chart.frame)
    return {
        "key": chart.key,
        "title": chart.title,
        "note": chart.note,
        "term": chart.term,
        "figure": charts.figure_json(chart.figure) if chart.figure is not None else None,
        "figure_script": _figure_script(chart.figure, f"chart-{index}-{chart.key}"),
        "dom_id": f"chart-{index}-{chart.key}",
        "columns": chart.columns,
        "table": table,
        "cells": cells,
        "table_key": table_key,
        "items": chart.items,
    }


def _figure_script(figure: Any, dom_id: str) -> str | None:
    """The figure's <script type="application/json"> element, as the json_script filter writes it."""
    if figure is None:
        return None
    return format_html(
        '<script id="{}" type="application/json">{}</script>',
        dom_id,
        mark_safe(charts.figure_script_json(figure)),
    )


def _csv_response(chart: dashboards.Chart, filename: str) -> HttpResponse:
    response = HttpResponse(chart.csv, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _render_dashboard(
    request: HttpRequest, *, scope: dashboards.CostScope, template: str, extra: dict | None = None
) -> HttpResponse:
    try:
        filters = _visible_filters(request, dashboards.parse_filters(request.GET))
        view = dashboards.dashboard_view(scope=scope, filters=filters)
    except dashboards.FilterErrors as exc:
        return _bad_request(request, exc.errors)
    wanted = request.GET.get("csv")
    if wanted:
        chart = view.chart(wanted)
        if chart is None:
            return _bad_request(request, {"csv": f"This page has no chart {wanted!r}."})
        return _csv_response(chart, slugify(f"{scope.title} {wanted} {view.month:%Y-%m}"))
    context = {
        "view": view,
        "scope": scope,
        "filters": filters,
        "charts": [_chart_context(c, i) for i, c in enumerate(view.charts)],
        "choices": dashboards.filter_choices(filters, version=view.facts_version),
        "qs": urlencode(filters.query()),
        "qs_no_units": urlencode(filters.query(exclude=("business_unit", "team"))),
        "basis_term": dashboards.BASIS_TERMS[filters.basis],
        "has_budget_provider": dashboards.has_budget_provider(),
        "may_generate": review_packs.may_generate_review_pack(request.user),
        **(extra or {}),
    }
    return render(request, template, context)


def _visible_filters(
    request: HttpRequest, filters: dashboards.DashboardFilters
) -> dashboards.DashboardFilters:
    """The filters narrowed to the rows the viewer may see (the role's scope; see costdata.permissions)."""
    if not permissions.may_read_costs(request.user):
        raise PermissionDenied("Costs are for people in the programme.")
    return dataclasses.replace(
        filters, visible=permissions.cost_filter(request.user).facts, viewer=request.user
    )


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    return _render_dashboard(
        request, scope=dashboards.ORGANISATION, template="costdata/dashboards/overview.html"
    )


@login_required
def scope_page(request: HttpRequest, kind: str, value: str) -> HttpResponse:
    try:
        scope = dashboards.scope_for(kind, value)
    except dashboards.UnknownScope as exc:
        return _bad_request(request, {"scope": str(exc)})
    team_id = scope.team.pk if scope.team is not None else None
    if not permissions.dashboard_scope_visible(
        request.user, kind=scope.kind, value=scope.value, team_id=team_id
    ):
        raise Http404("No such scope.")
    may_generate = review_packs.may_generate_review_pack(request.user)
    meetings = review_packs.review_pack_meetings_upcoming() if may_generate else []
    return _render_dashboard(
        request, scope=scope, template="costdata/dashboards/scope.html", extra={"pack_meetings": meetings}
    )


@login_required
def commitments(request: HttpRequest) -> HttpResponse:
    if not permissions.may_read_all_costs(request.user):
        raise PermissionDenied(
            "Commitments cover the whole organisation: admins, finance and technology leads."
        )
    try:
        filters = dashboards.parse_filters(request.GET)
    except dashboards.FilterErrors as exc:
        return _bad_request(request, exc.errors)
    chart = dashboards.commitments_chart(basis=filters.basis)
    if request.GET.get("csv") == chart.key:
        return _csv_response(chart, "commitments")
    context = {
        "chart": _chart_context(chart, 0),
        "empty": chart.frame.empty,
        "qs": urlencode(filters.query()),
    }
    return render(request, "costdata/dashboards/commitments.html", context)


# --- review packs -----------------------------------------------------------------------------------
# A pack freezes the organisation's figures for a meeting, so it is for those who read every cost.


def _require_packs(request: HttpRequest) -> None:
    if not permissions.may_read_review_packs(request.user):
        raise PermissionDenied("Review packs are for admins, finance and technology leads.")


@login_required
def review_pack_index(request: HttpRequest) -> HttpResponse:
    from meetings.models import Meeting

    _require_packs(request)
    meetings = (
        Meeting.objects.exclude(status=Meeting.Status.CANCELLED)
        .select_related("cadence")
        .prefetch_related("review_packs")
        .order_by("-starts_at")[:40]
    )
    context = {"meetings": meetings, "may_generate": review_packs.may_generate_review_pack(request.user)}
    return render(request, "costdata/dashboards/review_pack_list.html", context)


@login_required
@require_POST
def review_pack_create(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    from meetings.models import Meeting

    if not review_packs.may_generate_review_pack(request.user):
        raise PermissionDenied("Only admins, finance and technology leads generate review packs.")
    meeting = get_object_or_404(Meeting, pk=meeting_pk)
    try:
        filters = dashboards.parse_filters(request.POST)
        pack = review_packs.review_pack_generate(meeting=meeting, user=request.user, filters=filters)
    except dashboards.FilterErrors as exc:
        return _bad_request(request, exc.errors, title="Review pack")
    messages.success(request, f"Review pack version {pack.version} generated; its figures are now frozen.")
    return redirect(pack)


@login_required
def review_pack_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_packs(request)
    pack = get_object_or_404(ReviewPack.objects.select_related("meeting", "generated_by"), pk=pk)
    context = {
        "pack": pack,
        "sections": review_packs.pack_sections(pack),
        "versions": review_packs.review_pack_list(meeting=pack.meeting),
        "may_generate": review_packs.may_generate_review_pack(request.user),
    }
    return render(request, "costdata/dashboards/review_pack.html", context)


@login_required
def review_pack_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    _require_packs(request)
    pack = get_object_or_404(ReviewPack.objects.select_related("meeting"), pk=pk)
    response = HttpResponse(
        review_packs.review_pack_xlsx(pack),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = slugify(f"review-pack-{pack.meeting.title}-v{pack.version}")
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@login_required
def review_pack_csv(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """One frozen chart's table as CSV: the text stored when the pack was generated."""
    _require_packs(request)
    pack = get_object_or_404(ReviewPack, pk=pk)
    chart = pack.content.get("charts", {}).get(key)
    if chart is None:
        raise Http404("This review pack has no such chart.")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(c) for c in chart["columns"]])
    for row in chart["rows"]:
        writer.writerow(
            [
                text if kind == "number" else csv_cell(text)
                for text, kind in zip(row, chart["kinds"], strict=True)
            ]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = slugify(f"review-pack-{pack.pk}-v{pack.version}-{key}")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
