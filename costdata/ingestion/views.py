from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from costdata.facts import selectors
from costdata.ingestion import services
from costdata.ingestion.focus import FocusFileRefused
from costdata.ingestion.forms import FocusUploadForm
from costdata.ingestion.models import CostSource
from costdata.permissions import may_manage_sources, may_read_sources


def _require_sources(request: HttpRequest) -> None:
    if not may_read_sources(request.user):
        raise PermissionDenied("Cost sources are for admins, finance and technology leads.")


@login_required
def source_index(request: HttpRequest) -> HttpResponse:
    _require_sources(request)
    sources = [(source, selectors.source_freshness(source=source)) for source in selectors.source_list()]
    return render(request, "costdata/source_list.html", {"sources": sources})


@login_required
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_sources(request)
    source = get_object_or_404(CostSource, pk=pk)
    requests, request_cost = selectors.source_requests_this_month(source=source)
    context = {
        "source": source,
        "freshness": selectors.source_freshness(source=source),
        "runs": selectors.source_runs(source=source)[:50],
        "requests_this_month": requests,
        "request_cost_this_month": request_cost,
        "may_manage": may_manage_sources(request.user),
        "insights": selectors.source_insights(source=source),
    }
    return render(request, "costdata/source_detail.html", context)


@login_required
def source_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The freshness line and the run history alone, which the source page polls while a pull runs."""
    _require_sources(request)
    source = get_object_or_404(CostSource, pk=pk)
    context = {
        "source": source,
        "freshness": selectors.source_freshness(source=source),
        "runs": selectors.source_runs(source=source)[:50],
    }
    response = render(request, "costdata/source_progress.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def source_pull_now(request: HttpRequest, pk: int) -> HttpResponse:
    if not may_manage_sources(request.user):
        raise PermissionDenied("Only administrators may trigger pulls.")
    source = get_object_or_404(CostSource, pk=pk)
    try:
        run = services.source_pull_enqueue(source=source)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Pull queued (run {run.pk}); the run history below shows its progress.")
    return redirect("source-detail", pk=source.pk)


@login_required
def focus_upload(request: HttpRequest, pk: int) -> HttpResponse:
    if not may_manage_sources(request.user):
        raise PermissionDenied("Only administrators may import files.")
    source = get_object_or_404(CostSource, pk=pk, kind=CostSource.Kind.FOCUS_FILE)
    problems: list[str] = []
    more = False
    if request.method == "POST":
        form = FocusUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            suffix = "".join(Path(upload.name).suffixes[-2:]) or ".csv"
            with tempfile.NamedTemporaryFile(suffix=suffix) as spool:
                for chunk in upload.chunks():
                    spool.write(chunk)
                spool.flush()
                try:
                    run = services.focus_import(source=source, path=Path(spool.name), filename=upload.name)
                except FocusFileRefused as exc:
                    # Re-rendered with the problems, as a form with errors is (status 200, as Django does).
                    problems, more = exc.problems, exc.more
                except (services.SourceBusy, services.FocusImportFailed) as exc:
                    form.add_error("file", str(exc))
                else:
                    messages.success(
                        request,
                        f"Imported {upload.name}: {run.rows_written} daily rows for {run.window_start} to "
                        f"{run.window_end} (end exclusive), replacing what the source held for those days.",
                    )
                    return redirect("source-detail", pk=source.pk)
    else:
        form = FocusUploadForm()
    context = {"source": source, "form": form, "problems": problems, "more": more}
    return render(request, "costdata/focus_upload.html", context)
