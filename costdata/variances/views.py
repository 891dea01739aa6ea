"""Pages for variances and their procedure. Thin: validate, call one service or selector, render.

The budget pages are costdata.planning.views.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from common.page_errors import add_form_errors, error_messages, require
from costdata import permissions
from costdata.models import Variance
from costdata.variances import selectors as variance_selectors
from costdata.variances import services as sop
from costdata.variances.forms import (
    ExplanationForm,
    ReassignForm,
    ReviewForm,
)

# The list is a paged work queue: `?page=` (from 1) and `?size=` (rows a page) beside the filters and
# `?sort=`. A page or size that is not a whole number of at least 1, or an unknown sort, is a 400
# naming the parameter; a size above VARIANCE_PAGE_SIZE_MAX is clamped to it (the page says so) and a
# page past the end shows the last page (the queue shrinks as variances close, so old links stay useful).
# `?export=csv` downloads every variance the filters leave (all pages), in the same order.
VARIANCE_PAGE_SIZE = 50
VARIANCE_PAGE_SIZE_MAX = 200
VARIANCE_PAGE_SIZES = (25, 50, 100, 200)
# The column headers' sort: the first click's direction (the one people usually want), then the other.
_SORT_COLUMNS = {"month": "-month", "amount": "-amount", "status": "status", "due": "due"}


class _BadParameter(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def _whole_number(request: HttpRequest, name: str, default: int) -> int:
    raw = request.GET.get(name, "").strip()
    if raw == "":
        return default
    digits = raw.lstrip("0")
    if not (raw.isascii() and raw.isdigit()) or not digits:
        raise _BadParameter(name, f"must be a whole number of at least 1, not {raw[:40]!r}.")
    # Past nine digits the number is only "very large" (int() refuses thousands of digits): a page
    # past the end shows the last page and a size is clamped anyway.
    return int(digits) if len(digits) <= 9 else 10**9


def _list_url(query: QueryDict, **changes: str | list[str] | None) -> str:
    """The list's URL with `changes` applied to the current query (None drops a parameter). Every
    change but a page change goes back to page 1: new filters or a new order start from the top."""
    params = query.copy()
    if "page" not in changes:
        params.pop("page", None)
    params.pop("export", None)
    for name, value in changes.items():
        params.pop(name, None)
        if value is None:
            continue
        params.setlist(name, value if isinstance(value, list) else [value])
    encoded = params.urlencode()
    return reverse("variance-list") + (f"?{encoded}" if encoded else "")


def _sort_headers(query: QueryDict, sort: str) -> dict[str, dict[str, str]]:
    """Each sortable column's link and its aria-sort state."""
    headers = {}
    for column, first in _SORT_COLUMNS.items():
        if sort.removeprefix("-") == column:
            target = column if sort.startswith("-") else f"-{column}"
            state = "descending" if sort.startswith("-") else "ascending"
        else:
            target, state = first, "none"
        headers[column] = {"url": _list_url(query, sort=target), "aria": state}
    return headers


def _variance_csv(request: HttpRequest, variances: QuerySet[Variance]) -> StreamingHttpResponse:
    class _Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(_Echo())
    # One reverse for the whole file (a reverse per row was a third of the export's time).
    placeholder = 987654321
    before, _, after = request.build_absolute_uri(reverse("variance-detail", args=[placeholder])).partition(
        str(placeholder)
    )

    def lines() -> Iterator[str]:
        yield "\ufeff"  # UTF-8 byte-order mark: Excel then reads names with accents right
        for row in variance_selectors.variance_csv_rows(variances, link=lambda v: f"{before}{v.pk}{after}"):
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="variances-{stamp}.csv"'
    return response


@dataclass(frozen=True)
class _ListParameters:
    page: int
    size: int  # as asked; the page shows at most VARIANCE_PAGE_SIZE_MAX
    sort: str
    export: str | None


def _list_parameters(request: HttpRequest) -> _ListParameters:
    """The list's own parameters beside the filters; _BadParameter names the first one that is wrong."""
    page = _whole_number(request, "page", 1)
    size = _whole_number(request, "size", VARIANCE_PAGE_SIZE)
    sort = request.GET.get("sort", variance_selectors.DEFAULT_VARIANCE_SORT)
    if not variance_selectors.variance_sort_valid(sort):
        choices = ", ".join(variance_selectors.VARIANCE_SORTS)
        raise _BadParameter("sort", f"choose one of {choices} (a leading - reverses all but queue).")
    export = request.GET.get("export")
    if export not in (None, "csv"):
        raise _BadParameter("export", "the list exports as csv.")
    return _ListParameters(page=page, size=size, sort=sort, export=export)


@login_required
def variance_index(request: HttpRequest) -> HttpResponseBase:
    require(permissions.may(request.user, "variances.read"))
    visible = permissions.visible_variances(request.user, variance_selectors.variance_list())
    filterset = variance_selectors.VarianceFilter(request.GET, queryset=visible)
    context: dict[str, Any] = {
        "filter": filterset,
        "may_detect": permissions.may_run_detection(request.user),
        "clear_url": reverse("variance-list"),
    }
    problems = [f"{name}: {m}" for name, ms in filterset.errors.items() for m in ms]
    parameters: _ListParameters | None = None
    try:
        parameters = _list_parameters(request)
    except _BadParameter as error:
        problems.append(str(error))
    if problems or parameters is None:
        context["problems"] = problems
        return render(request, "costdata/variances/list.html", context, status=400)

    now = timezone.now()
    ordered = variance_selectors.variance_sorted(filterset.qs, sort=parameters.sort, now=now)
    if parameters.export == "csv":
        return _variance_csv(request, ordered)
    # The tabs count every status under the other filters, in one query; the list's own total
    # is the sum of the chosen statuses' counts, so the page needs no separate COUNT.
    without_status = request.GET.copy()
    without_status.pop("status", None)
    facets = variance_selectors.variance_status_facets(
        variance_selectors.VarianceFilter(without_status, queryset=visible).qs, now=now
    )
    context.update(_queue_page(request.GET, filterset.form.cleaned_data, facets, ordered, parameters))
    return render(request, "costdata/variances/list.html", context)


def _queue_page(
    query: QueryDict,
    filters: dict[str, Any],
    facets: variance_selectors.StatusFacets,
    ordered: QuerySet[Variance],
    parameters: _ListParameters,
) -> dict[str, Any]:
    """The page of the work queue the parameters ask for, with its tabs, order and page links."""
    chosen = filters.get("status") or []
    size = min(parameters.size, VARIANCE_PAGE_SIZE_MAX)
    window = variance_selectors.page_window(total=facets.total_for(chosen), page=parameters.page, size=size)
    sort = parameters.sort
    return {
        "variances": list(ordered[window.offset : window.offset + window.size]) if window.total else [],
        "window": window,
        # The filter form keeps the order and the page size (and starts again at page 1).
        "list_parameters": {name: query[name] for name in ("sort", "size") if query.get(name)},
        "size_clamped": parameters.size > VARIANCE_PAGE_SIZE_MAX,
        "page_size_max": VARIANCE_PAGE_SIZE_MAX,
        "sort": sort,
        "sort_label": variance_selectors.VARIANCE_SORTS[sort.removeprefix("-")],
        "headers": _sort_headers(query, sort),
        **_status_tabs(query, facets, chosen=list(chosen), overdue_chosen=filters.get("overdue") is True),
        **_page_links(query, window),
        "sizes": [
            {"size": n, "url": _list_url(query, size=str(n)), "current": n == size}
            for n in VARIANCE_PAGE_SIZES
        ],
        "csv_url": _list_url(query, export="csv", page=None, size=None),
    }


def _status_tabs(
    query: QueryDict, facets: variance_selectors.StatusFacets, *, chosen: list[str], overdue_chosen: bool
) -> dict[str, Any]:
    """A tab for all variances, one per status and one for the overdue, each with its count."""
    all_tab = {
        "label": "All",
        "status": "all",
        "count": facets.total,
        "url": _list_url(query, status=None),
        "current": not chosen,
    }
    status_tabs = [
        {
            "label": label,
            "status": status,
            "count": facets.counts[status],
            "url": _list_url(query, status=status),
            "current": chosen == [status],
        }
        for status, label in Variance.Status.choices
    ]
    return {
        "tabs": [all_tab, *status_tabs],
        "overdue_tab": {
            "count": facets.overdue,
            "url": _list_url(query, overdue=None if overdue_chosen else "true"),
            "current": overdue_chosen,
        },
    }


def _page_links(query: QueryDict, window: variance_selectors.PageWindow) -> dict[str, Any]:
    return {
        "pages": [
            {"number": n, "url": _list_url(query, page=str(n)) if n else None} for n in window.numbers()
        ],
        "previous_url": _list_url(query, page=str(window.number - 1)) if window.has_previous else None,
        "next_url": _list_url(query, page=str(window.number + 1)) if window.has_next else None,
    }


def _get_variance(request: HttpRequest, pk: int) -> Variance:
    """The variance if the user may see it; 404 otherwise (never a 403 that confirms it exists)."""
    try:
        variance = variance_selectors.variance_detail(pk=pk)
    except Variance.DoesNotExist as error:
        raise Http404("No such variance.") from error
    if not permissions.variance_visible(request.user, variance):
        raise Http404("No such variance.")
    return variance


@login_required
def variance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    variance = _get_variance(request, pk)
    user = request.user
    pending = next((e for e in variance.explanations.all() if e.outcome == "pending"), None)
    timeline = variance_selectors.variance_timeline(variance=variance)
    context = {
        "variance": variance,
        "pending": pending,
        "may_explain": variance.status == Variance.Status.ASSIGNED
        and permissions.may_explain_variance(user, variance),
        "may_review": variance.status in (Variance.Status.EXPLAINED, Variance.Status.ACCEPTED)
        and permissions.may_review_variances(user),
        "wrote_pending": pending is not None and pending.author_id == user.pk,
        "may_comment": permissions.may_comment_on_variance(user, variance),
        "may_reassign": variance.status in Variance.AWAITING_OWNER
        and permissions.may_reassign_variance(user, variance),
        "review_form": ReviewForm(),
        "reassign_form": ReassignForm(),
        "timeline": timeline,
        "decisions": [entry.decision for entry in timeline if entry.kind == "decision"],
    }
    return render(request, "costdata/variances/detail.html", context)


@login_required
def variance_explain(request: HttpRequest, pk: int) -> HttpResponse:
    variance = _get_variance(request, pk)
    if not permissions.may_explain_variance(request.user, variance):
        raise PermissionDenied("Only engineers and leads of the owning team explain this variance.")
    form = ExplanationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sop.variance_explain(variance=variance, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, "Explanation filed; finance will review it.")
            return redirect(variance.get_absolute_url())
    return render(request, "costdata/variances/explain.html", {"variance": variance, "form": form})


@login_required
@require_POST
def variance_review(request: HttpRequest, pk: int) -> HttpResponse:
    variance = _get_variance(request, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose accept, send back or close.")
        return redirect(variance.get_absolute_url())
    decision, comment = form.cleaned_data["decision"], form.cleaned_data["comment"]
    step = {"accept": sop.variance_accept, "send_back": sop.variance_send_back, "close": sop.variance_close}[
        decision
    ]
    try:
        step(variance=variance, actor=request.user, comment=comment)
    except ValidationError as error:
        for message in error_messages(error):
            messages.error(request, message)
    else:
        done = {
            "accept": "Explanation accepted.",
            "send_back": "Sent back to the owner.",
            "close": "Variance closed.",
        }
        messages.success(request, done[decision])
    return redirect(variance.get_absolute_url())


@login_required
@require_POST
def variance_comment(request: HttpRequest, pk: int) -> HttpResponse:
    variance = _get_variance(request, pk)
    try:
        sop.variance_comment(variance=variance, actor=request.user, comment=request.POST.get("comment", ""))
    except ValidationError as error:
        for message in error_messages(error):
            messages.error(request, message)
    else:
        messages.success(request, "Comment added to the timeline.")
    return redirect(variance.get_absolute_url() + "#timeline")


@login_required
@require_POST
def variance_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    variance = _get_variance(request, pk)
    form = ReassignForm(request.POST)
    if form.is_valid():
        try:
            sop.variance_reassign(variance=variance, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in error_messages(error):
                messages.error(request, message)
        else:
            messages.success(request, "Variance reassigned.")
    else:
        messages.error(request, "Choose a team or a person.")
    return redirect(variance.get_absolute_url())


@login_required
@require_POST
def variance_detect_now(request: HttpRequest) -> HttpResponse:
    if not permissions.may_run_detection(request.user):
        raise PermissionDenied("Only finance and administrators run variance detection.")
    result = sop.variances_detect(actor=request.user)
    messages.success(
        request,
        f"Detection checked {result.scopes} scope-months: {result.created} new, {result.updated} updated.",
    )
    return redirect("variance-list")
