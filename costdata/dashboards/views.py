"""Dashboard pages: validate the URL, call one selector or service, render.

Every chart page answers `?csv=<chart key>` with that chart's table as CSV (the same filters apply).
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import slugify

from costdata import permissions
from costdata.dashboards.content import Chart
from costdata.dashboards.figures import figure_json, figure_script_json
from costdata.dashboards.filters import BASIS_TERMS, DashboardFilters, FilterErrors, parse_filters
from costdata.dashboards.pages import commitments_chart, dashboard_view
from costdata.dashboards.registries import has_budget_provider, scope_offers
from costdata.dashboards.scopes import ORGANISATION, CostScope, UnknownScope, scope_for
from costdata.dashboards.selectors import filter_choices
from costdata.dashboards.tables import page_table


def bad_request(request: HttpRequest, errors: dict[str, str], *, title: str = "Dashboards") -> HttpResponse:
    """400 with the page's errors (also used by the pages built on the dashboards, e.g. review packs)."""
    html = render_to_string(
        "costdata/dashboards/bad_request.html", {"errors": errors, "title": title}, request=request
    )
    return HttpResponseBadRequest(html)


def _chart_context(chart: Chart, index: int) -> dict[str, Any]:
    table_key, table, cells = page_table(chart.frame)
    return {
        "key": chart.key,
        "title": chart.title,
        "note": chart.note,
        "term": chart.term,
        "figure": figure_json(chart.figure) if chart.figure is not None else None,
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
        mark_safe(figure_script_json(figure)),
    )


def _csv_response(chart: Chart, filename: str) -> HttpResponse:
    response = HttpResponse(chart.csv, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _render_dashboard(
    request: HttpRequest, *, scope: CostScope, template: str, offers: bool = False
) -> HttpResponse:
    try:
        filters = _visible_filters(request, parse_filters(request.GET))
        view = dashboard_view(scope=scope, filters=filters)
    except FilterErrors as exc:
        return bad_request(request, exc.errors)
    wanted = request.GET.get("csv")
    if wanted:
        chart = view.chart(wanted)
        if chart is None:
            return bad_request(request, {"csv": f"This page has no chart {wanted!r}."})
        return _csv_response(chart, slugify(f"{scope.title} {wanted} {view.month:%Y-%m}"))
    context = {
        "view": view,
        "scope": scope,
        "filters": filters,
        "charts": [_chart_context(c, i) for i, c in enumerate(view.charts)],
        "choices": filter_choices(filters, version=view.facts_version),
        "qs": urlencode(filters.query()),
        "qs_no_units": urlencode(filters.query(exclude=("business_unit", "team"))),
        "basis_term": BASIS_TERMS[filters.basis],
        "has_budget_provider": has_budget_provider(),
        # What other parts of the programme offer here, e.g. a review pack (costdata.dashboards.registries).
        "scope_offers": scope_offers(user=request.user, view=view) if offers else [],
    }
    return render(request, template, context)


def _visible_filters(request: HttpRequest, filters: DashboardFilters) -> DashboardFilters:
    """The filters narrowed to the rows the viewer may see (the role's scope; see costdata.permissions)."""
    if not permissions.may_read_costs(request.user):
        raise PermissionDenied("Costs are for people in the programme.")
    for kind, team in (("business_unit", filters.business_unit), ("team", filters.team)):
        if team is not None and not permissions.dashboard_scope_visible(
            request.user, kind=kind, value=str(team.pk), team_id=team.pk
        ):
            raise Http404("No such team.")  # the same answer as for an id no team has
    return dataclasses.replace(
        filters, visible=permissions.cost_filter(request.user).facts, viewer=request.user
    )


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    return _render_dashboard(request, scope=ORGANISATION, template="costdata/dashboards/overview.html")


@login_required
def scope_page(request: HttpRequest, kind: str, value: str) -> HttpResponse:
    try:
        scope = scope_for(kind, value)
    except UnknownScope as exc:
        if kind in ("business_unit", "team"):
            raise Http404("No such scope.") from exc  # as for one the viewer may not see
        return bad_request(request, {"scope": str(exc)})
    team_id = scope.team.pk if scope.team is not None else None
    if not permissions.dashboard_scope_visible(
        request.user, kind=scope.kind, value=scope.value, team_id=team_id
    ):
        raise Http404("No such scope.")
    return _render_dashboard(request, scope=scope, template="costdata/dashboards/scope.html", offers=True)


@login_required
def commitments(request: HttpRequest) -> HttpResponse:
    if not permissions.may_read_all_costs(request.user):
        raise PermissionDenied(
            "Commitments cover the whole organisation: admins, finance and technology leads."
        )
    try:
        filters = parse_filters(request.GET)
    except FilterErrors as exc:
        return bad_request(request, exc.errors)
    chart = commitments_chart(basis=filters.basis)
    if request.GET.get("csv") == chart.key:
        return _csv_response(chart, "commitments")
    context = {
        "chart": _chart_context(chart, 0),
        "empty": chart.frame.empty,
        "qs": urlencode(filters.query()),
    }
    return render(request, "costdata/dashboards/commitments.html", context)
