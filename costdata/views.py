from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from costdata import selectors
from costdata.models import CostSource


@login_required
def source_index(request: HttpRequest) -> HttpResponse:
    sources = [(source, selectors.source_freshness(source=source)) for source in selectors.source_list()]
    return render(request, "costdata/source_list.html", {"sources": sources})


@login_required
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_object_or_404(CostSource, pk=pk)
    requests, request_cost = selectors.source_requests_this_month(source=source)
    context = {
        "source": source,
        "freshness": selectors.source_freshness(source=source),
        "runs": selectors.source_runs(source=source)[:50],
        "requests_this_month": requests,
        "request_cost_this_month": request_cost,
    }
    return render(request, "costdata/source_detail.html", context)
