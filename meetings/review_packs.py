"""Review packs: a meeting's agenda with each item's charts and tables, frozen when generated.

Generating a pack computes the dashboard for the meeting's scope (its cadence's team or business unit,
else the organisation) and stores, per chart, plotly's figure JSON and the exact table behind it. The
pack page and its XLSX export read only what was stored, so new cost data, restated days or changed
ownership never alter a pack that minutes refer to. Regenerating adds a new version.

Which charts an agenda item gets:
- a registered item-chart provider for the item's source (`register_item_charts`), e.g. the variance
  engineer's "variances" agenda items showing the variance's figures;
- a topic item (source "topic") by its topic: budgeting and forecasting get this month and the daily
  chart, pricing and discount topics the commitments chart, cost allocation the movers;
- a template item by the words of its line ("state of the organisation", "metrics", "workloads").
Charts no item asked for are shown first, under "Dashboard when the pack was generated".
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from common.types import AnyUser
from costdata.dashboards.content import Chart, DashboardView
from costdata.dashboards.figures import figure_json
from costdata.dashboards.filters import DashboardFilters
from costdata.dashboards.pages import commitments_chart, dashboard_view
from costdata.dashboards.registries import ScopeOffer, register_scope_offer
from costdata.dashboards.scopes import ORGANISATION, CostScope
from costdata.dashboards.selectors import freshness
from costdata.dashboards.tables import table_cells
from costdata.planning.spreadsheets import decimal_text, neutralise_text
from meetings.models import Meeting, ReviewPack
from stakeholders import permissions as people_permissions
from stakeholders.models import Team

TOPIC_CHARTS = {
    "budgeting": ("this-month", "daily"),
    "forecasting": ("this-month", "daily"),
    "pricing-models": ("commitments",),
    "discount-models": ("commitments",),
    "tiered-pricing": ("commitments",),
    "cost-allocation": ("movers-account", "movers-service"),
}
TEMPLATE_WORDS = (
    ("state of the organisation", ("this-month", "daily")),
    ("budget", ("this-month",)),
    ("forecast", ("this-month", "daily")),
    ("metric", ("movers-service", "commitments")),
    ("commitment", ("commitments",)),
    ("workload", ("movers-account",)),
)

ItemCharts = Callable[[Any, DashboardView], Iterable[Chart]]
_item_chart_providers: dict[str, ItemCharts] = {}


def register_item_charts(source: str, provider: ItemCharts) -> None:
    """Charts for agenda items of `source` (AgendaItem.source, e.g. "variances"): provider(item, view)
    returns Chart objects (figure + frame) to freeze under that item."""
    _item_chart_providers[source] = provider


def unregister_item_charts(source: str) -> None:
    _item_chart_providers.pop(source, None)


# --- who may ----------------------------------------------------------------------------------------


def may_read_review_pack(user: AnyUser) -> bool:
    return people_permissions.can_read(user)


def may_generate_review_pack(user: AnyUser) -> bool:
    """Admins, finance and technology leads generate packs; everyone signed in reads them."""
    return people_permissions.can_read(user) and (
        people_permissions.is_admin(user)
        or people_permissions.is_finance(user)
        or people_permissions.is_technology_lead(user)
    )


# --- freezing ---------------------------------------------------------------------------------------


def _column_kind(values: Iterable[object]) -> str:
    kinds = set()
    for value in values:
        if value is None or (isinstance(value, float) and value != value):
            continue
        if isinstance(value, bool):
            kinds.add("text")
        elif isinstance(value, Decimal | int):
            kinds.add("number")
        elif isinstance(value, date | datetime | pd.Timestamp):
            kinds.add("date")
        else:
            kinds.add("text")
    return kinds.pop() if len(kinds) == 1 else "text"


def frozen_chart(chart: Chart) -> dict[str, Any]:
    """A chart as stored in a pack: figure JSON, columns with their kinds, rows of exact text."""
    frame = chart.frame
    return {
        "key": chart.key,
        "title": chart.title,
        "note": chart.note,
        "term": chart.term,
        "figure": figure_json(chart.figure) if chart.figure is not None else None,
        "columns": chart.columns,
        "kinds": [_column_kind(frame[c]) for c in frame.columns],
        "rows": [[row[c] for c in chart.columns] for row in chart.table],
        "items": [
            {"text": i.text, "url": i.url, "overdue": i.overdue, "detail": i.detail} for i in chart.items
        ],
    }


def _scope_label(view: DashboardView) -> str:
    """The scope with the filters it was frozen under, e.g. "Organisation (team Payments)"."""
    described = view.filters.describe()
    return f"{view.scope.title} ({', '.join(described)})" if described else view.scope.title


def pack_scope(meeting: Any) -> CostScope:
    team = meeting.cadence.scope_team if meeting.cadence_id else None
    if team is None:
        return ORGANISATION
    kind = "business_unit" if team.kind == Team.Kind.BUSINESS_UNIT else "team"
    return CostScope(kind, str(team.pk), team.name, team)


def item_chart_keys(item: Any) -> tuple[str, ...]:
    if item.source == "topic" and item.topic_id:
        return TOPIC_CHARTS.get(item.topic.slug, ())
    if item.source == "template":
        words = item.title.lower()
        keys: list[str] = []
        for phrase, chart_keys in TEMPLATE_WORDS:
            if phrase in words:
                keys += [k for k in chart_keys if k not in keys]
        return tuple(keys)
    return ()


def pack_content(*, meeting: Any, filters: DashboardFilters, today: date | None = None) -> dict:
    """Compute everything the pack shows, as JSON-ready data (see the module docstring)."""
    view = dashboard_view(scope=pack_scope(meeting), filters=filters, today=today)
    all_charts = {c.key: c for c in view.charts}
    all_charts["commitments"] = commitments_chart(basis=filters.basis, today=today)
    frozen: dict[str, dict[str, Any]] = {}
    sections = []
    used: set[str] = set()
    items = list(meeting.agenda_items.select_related("topic").order_by("position", "pk"))
    for item in items:
        keys = [k for k in item_chart_keys(item) if k in all_charts]
        extra = _item_chart_providers.get(item.source)
        chart_refs = []
        for key in keys:
            frozen.setdefault(key, frozen_chart(all_charts[key]))
            chart_refs.append(key)
            used.add(key)
        if extra is not None:
            for position, chart in enumerate(extra(item, view)):
                key = f"item-{item.pk}-{position}-{chart.key}"
                frozen[key] = frozen_chart(chart)
                chart_refs.append(key)
        sections.append(
            {
                "title": item.title,
                "detail": item.detail,
                "source": item.source,
                "url": item.url,
                "notes": item.notes,
                "charts": chart_refs,
            }
        )
    overview = [c.key for c in view.charts if c.key not in used]
    if "commitments" not in used and not all_charts["commitments"].frame.empty:
        overview.append("commitments")
    for key in overview:
        frozen.setdefault(key, frozen_chart(all_charts[key]))
    return {
        "scope": {"kind": view.scope.kind, "value": view.scope.value, "label": _scope_label(view)},
        "filters": view.filters.query(),
        "other_currencies": list(view.other_currencies),
        "summary": [
            {
                "scope": row.scope.label,
                "actual": decimal_text(row.actual),
                "projected": decimal_text(row.projection.projected),
                "low": decimal_text(row.projection.low),
                "high": decimal_text(row.projection.high),
                "budget": decimal_text(row.budget) if row.budget is not None else None,
            }
            for row in view.summary
        ],
        "overview": overview,
        "sections": sections,
        "charts": frozen,
    }


@transaction.atomic
def review_pack_generate(
    *, meeting: Any, user: Any, filters: DashboardFilters | None = None, today: date | None = None
) -> ReviewPack:
    """Freeze the meeting's dashboard as the next version of its review pack."""
    # Lock the meeting so two people generating at once get versions n and n+1, not a clash.
    Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
    filters = filters or DashboardFilters()
    content = pack_content(meeting=meeting, filters=filters, today=today)
    fresh = freshness()
    view_month = filters.period or (fresh.data_up_to or timezone.localdate()).replace(day=1)
    latest = ReviewPack.objects.filter(meeting=meeting).aggregate(v=Max("version"))["v"] or 0
    return ReviewPack.objects.create(
        meeting=meeting,
        version=latest + 1,
        generated_by=user if getattr(user, "is_authenticated", False) else None,
        period=view_month,
        basis=filters.basis,
        currency=_pack_currency(content),
        data_up_to=fresh.data_up_to,
        content=content,
    )


def _pack_currency(content: dict) -> str:
    for chart in content["charts"].values():
        for axis in ("yaxis", "xaxis"):
            title = (((chart.get("figure") or {}).get("layout") or {}).get(axis) or {}).get("title") or {}
            match = re.search(r"\(([A-Z]{3})\)", str(title.get("text", "")))
            if match:
                return match.group(1)
    return ""


# --- reads ------------------------------------------------------------------------------------------


def review_pack_meetings_upcoming(*, limit: int = 3) -> list[Any]:
    """The next planned meetings, which a scope page offers to freeze its view into a pack for."""
    return list(
        Meeting.objects.filter(status=Meeting.Status.PLANNED, starts_at__gte=timezone.now())
        .select_related("cadence")
        .order_by("starts_at")[:limit]
    )


class ReviewPackScopeOffer:
    """On a dashboard scope page: freeze the view as shown into an upcoming meeting's review pack
    (registered with costdata.dashboards.registries by MeetingsConfig.ready())."""

    key = "review-pack"
    order = 10
    template = "meetings/review_packs/_scope_pack.html"

    def offer(self, *, user: Any, view: DashboardView) -> ScopeOffer | None:
        if not may_generate_review_pack(user):
            return None
        meetings = review_pack_meetings_upcoming()
        if not meetings or not view.currency:
            return None
        return ScopeOffer(template=self.template, context={"meetings": meetings})


def register_scope_offer_for_packs() -> None:
    register_scope_offer(ReviewPackScopeOffer())


def review_pack_list(*, meeting: Any) -> list[ReviewPack]:
    return list(
        ReviewPack.objects.filter(meeting=meeting).select_related("generated_by").order_by("-version")
    )


def pack_sections(pack: ReviewPack) -> list[dict[str, Any]]:
    """The stored sections with their charts resolved, for the page (element ids unique per use)."""
    charts = pack.content.get("charts", {})
    out: list[dict[str, Any]] = []
    overview = [
        dict(charts[k], dom_id=f"overview-{i}", pack_key=k)
        for i, k in enumerate(pack.content.get("overview", []))
    ]
    if overview:
        out.append({"title": "Dashboard when the pack was generated", "detail": "", "charts": overview})
    # A chart several items ask for is drawn once, under the first; later items link back to it.
    first_use: dict[str, dict[str, Any]] = {}
    for index, section in enumerate(pack.content.get("sections", [])):
        resolved: list[dict[str, Any]] = []
        references: list[dict[str, Any]] = []
        for i, key in enumerate(section["charts"]):
            if key not in charts:
                continue
            if key in first_use:
                references.append(first_use[key])
                continue
            chart = dict(charts[key], dom_id=f"s{index}-{i}", pack_key=key)
            first_use[key] = {"title": chart["title"], "dom_id": chart["dom_id"], "section": index + 1}
            resolved.append(chart)
        out.append(dict(section, charts=resolved, references=references, number=index + 1))
    for drawn in out:
        for chart in drawn["charts"]:
            chart["table"] = [dict(zip(chart["columns"], row, strict=True)) for row in chart["rows"]]
            chart["cells"] = table_cells(chart["table"])
    return out


# --- XLSX -------------------------------------------------------------------------------------------

_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\']")


def _sheet_title(number: int, title: str, taken: set[str]) -> str:
    base = _SHEET_UNSAFE.sub(" ", f"{number} {title}").strip()[:31]
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def _xlsx_value(text: str, kind: str) -> Any:
    """A stored cell back to what the workbook holds: numbers as numbers (exact digits), dates as
    dates, text neutralised against formula injection."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if text == "":
        return None
    if kind == "number":
        return Decimal(text)
    if kind == "date":
        try:
            return date.fromisoformat(text)
        except ValueError:
            return neutralise_text(text)
    return neutralise_text(ILLEGAL_CHARACTERS_RE.sub("", text))


def review_pack_xlsx(pack: ReviewPack) -> bytes:
    """The pack as a workbook: a cover sheet with the agenda, then one sheet per chart's table."""
    import openpyxl
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook()
    cover = workbook.active
    cover.title = "Pack"
    bold = Font(bold=True)
    meeting = pack.meeting
    cover.append([neutralise_text(f"Review pack v{pack.version}: {meeting.title}")])
    cover["A1"].font = Font(bold=True, size=14)
    cover.append(["Meeting", meeting.local_start().replace(tzinfo=None)])
    cover.append(["Generated", timezone.localtime(pack.generated_at).replace(tzinfo=None)])
    cover.append(["Scope", neutralise_text(pack.content.get("scope", {}).get("label", ""))])
    cover.append(["Basis", pack.basis])
    cover.append(["Currency", pack.currency])
    cover.append(["Data up to", pack.data_up_to])
    cover.append([])
    cover.append(["#", "Agenda item", "Detail", "Charts (sheets)"])
    for cell in cover[cover.max_row]:
        cell.font = bold
    taken = {"pack"}
    sheets: list[tuple[str, dict[str, Any]]] = []
    for section in pack_sections(pack):
        names = []
        for chart in section["charts"]:
            name = _sheet_title(len(sheets) + 1, chart["title"], taken)
            sheets.append((name, chart))
            names.append(name)
        names += [f"see item {ref['section']}: {ref['title']}" for ref in section.get("references", [])]
        cover.append(
            [
                section.get("number", ""),
                neutralise_text(section["title"]),
                neutralise_text(section.get("detail", "")),
                neutralise_text(", ".join(names)),
            ]
        )
    cover.column_dimensions["B"].width = 50
    cover.column_dimensions["C"].width = 40
    cover.column_dimensions["D"].width = 50
    for name, chart in sheets:
        _chart_sheet(workbook.create_sheet(name), chart, bold=bold)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _chart_sheet(sheet: Any, chart: dict[str, Any], *, bold: Any) -> None:
    """One chart's table on its own sheet: title, header, rows typed as numbers and dates."""
    import openpyxl

    sheet.append([neutralise_text(chart["title"])])
    sheet["A1"].font = bold
    # A panel (a list such as the overdue variances) has items instead of a table: one row each.
    items = [] if chart["columns"] else chart.get("items", [])
    sheet.append([neutralise_text(c) for c in chart["columns"] or (["Item", "Detail"] if items else [])])
    for cell in sheet[2]:
        cell.font = bold
    for item in items:
        sheet.append([neutralise_text(item["text"]), neutralise_text(item.get("detail", ""))])
    for row in chart["rows"]:
        sheet.append([_xlsx_value(text, kind) for text, kind in zip(row, chart["kinds"], strict=True)])
        for cell, kind in zip(sheet[sheet.max_row], chart["kinds"], strict=True):
            if kind == "number":
                cell.number_format = "#,##0.00########"
            elif kind == "date":
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A3"
    for index in range(1, len(chart["columns"]) + 1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = 18
