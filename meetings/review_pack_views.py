"""Review-pack pages: the meetings with their packs, generating one, a pack and its exports.

A pack freezes the organisation's figures for a meeting, so it is for those who read every cost
(costdata.permissions.may_read_review_packs); generating one is for admins, finance and technology
leads (meetings.review_packs.may_generate_review_pack). A generate request takes the dashboards'
filters (from a scope page's offer, see costdata.dashboards.registries).
"""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from costdata import permissions
from costdata.dashboards.filters import FilterErrors, parse_filters
from costdata.dashboards.views import bad_request
from costdata.planning.spreadsheets import csv_cell
from meetings import review_packs
from meetings.models import Meeting, ReviewPack


def _require_packs(request: HttpRequest) -> None:
    if not permissions.may_read_review_packs(request.user):
        raise PermissionDenied("Review packs are for admins, finance and technology leads.")


@login_required
def review_pack_index(request: HttpRequest) -> HttpResponse:
    _require_packs(request)
    meetings = (
        Meeting.objects.exclude(status=Meeting.Status.CANCELLED)
        .select_related("cadence")
        .prefetch_related("review_packs")
        .order_by("-starts_at")[:40]
    )
    context = {"meetings": meetings, "may_generate": review_packs.may_generate_review_pack(request.user)}
    return render(request, "meetings/review_packs/review_pack_list.html", context)


@login_required
@require_POST
def review_pack_create(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    if not review_packs.may_generate_review_pack(request.user):
        raise PermissionDenied("Only admins, finance and technology leads generate review packs.")
    meeting = get_object_or_404(Meeting, pk=meeting_pk)
    try:
        filters = parse_filters(request.POST)
        pack = review_packs.review_pack_generate(meeting=meeting, user=request.user, filters=filters)
    except FilterErrors as exc:
        return bad_request(request, exc.errors, title="Review pack")
    messages.success(request, f"Review pack version {pack.version} generated; its figures are now frozen.")
    return redirect(pack)


@login_required
def review_pack_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_packs(request)
    pack = get_object_or_404(ReviewPack.objects.select_related("meeting", "generated_by"), pk=pk)
    sections = review_packs.pack_sections(pack)
    for section in sections:
        for chart in section["charts"]:
            # The dashboards' chart card links its table's CSV here (it does not know pack URLs).
            chart["csv_url"] = reverse("review-pack-csv", args=[pack.pk, chart["pack_key"]])
    context = {
        "pack": pack,
        "sections": sections,
        "versions": review_packs.review_pack_list(meeting=pack.meeting),
        "may_generate": review_packs.may_generate_review_pack(request.user),
    }
    return render(request, "meetings/review_packs/review_pack.html", context)


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
