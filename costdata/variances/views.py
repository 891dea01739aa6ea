"""Pages for budgets and variances. Thin: validate, call one service or selector, render."""

from __future__ import annotations

import csv
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from costdata import permissions
from costdata.models import Budget, BudgetLine, BudgetVersion, Variance
from costdata.planning import budget_files
from costdata.planning import services as budget_services
from costdata.variances import selectors as variance_selectors
from costdata.variances import services as sop
from costdata.variances.forms import (
    BudgetCreateForm,
    BudgetImportForm,
    ExplanationForm,
    ReassignForm,
    ReviewForm,
    VersionCreateForm,
)


def _errors(error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [
            f"{field}: {m}" if field != "__all__" else m
            for field, ms in error.message_dict.items()
            for m in ms
        ]
    return list(error.messages)


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "message_dict"):
        for field, field_messages in error.message_dict.items():
            for message in field_messages:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


# --- variances --------------------------------------------------------------------------------------

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


def _variance_csv(request: HttpRequest, variances: Any) -> StreamingHttpResponse:
    class _Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(_Echo())
    # One reverse for the whole file (a reverse per row was a third of the export's time).
    placeholder = 987654321
    before, _, after = request.build_absolute_uri(reverse("variance-detail", args=[placeholder])).partition(
        str(placeholder)
    )

    def lines() -> Any:
        yield "\ufeff"  # UTF-8 byte-order mark: Excel then reads names with accents right
        for row in variance_selectors.variance_csv_rows(variances, link=lambda v: f"{before}{v.pk}{after}"):
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="variances-{stamp}.csv"'
    return response


@login_required
def variance_index(request: HttpRequest) -> HttpResponse:
    _require(permissions.may(request.user, "variances.read"))
    visible = permissions.visible_variances(request.user, variance_selectors.variance_list())
    query = request.GET
    filterset = variance_selectors.VarianceFilter(query, queryset=visible)
    context: dict[str, Any] = {
        "filter": filterset,
        "may_detect": permissions.may_run_detection(request.user),
        "clear_url": reverse("variance-list"),
    }
    problems = [f"{name}: {m}" for name, ms in filterset.errors.items() for m in ms]
    try:
        page_number = _whole_number(request, "page", 1)
        requested_size = _whole_number(request, "size", VARIANCE_PAGE_SIZE)
        sort = query.get("sort", variance_selectors.DEFAULT_VARIANCE_SORT)
        if not variance_selectors.variance_sort_valid(sort):
            choices = ", ".join(variance_selectors.VARIANCE_SORTS)
            raise _BadParameter("sort", f"choose one of {choices} (a leading - reverses all but queue).")
        export = query.get("export")
        if export not in (None, "csv"):
            raise _BadParameter("export", "the list exports as csv.")
    except _BadParameter as error:
        problems.append(str(error))
    if problems:
        context["problems"] = problems
        return render(request, "costdata/variances/list.html", context, status=400)

    now = timezone.now()
    ordered = variance_selectors.variance_sorted(filterset.qs, sort=sort, now=now)
    if export == "csv":
        return _variance_csv(request, ordered)

    # The tabs count every status under the other filters, in one query; the list's own total
    # is the sum of the chosen statuses' counts, so the page needs no separate COUNT.
    without_status = query.copy()
    without_status.pop("status", None)
    facets = variance_selectors.variance_status_facets(
        variance_selectors.VarianceFilter(without_status, queryset=visible).qs, now=now
    )
    chosen = filterset.form.cleaned_data.get("status") or []
    size = min(requested_size, VARIANCE_PAGE_SIZE_MAX)
    window = variance_selectors.page_window(total=facets.total_for(chosen), page=page_number, size=size)
    variances = list(ordered[window.offset : window.offset + window.size]) if window.total else []
    overdue_chosen = filterset.form.cleaned_data.get("overdue") is True
    context.update(
        {
            "variances": variances,
            "window": window,
            # The filter form keeps the order and the page size (and starts again at page 1).
            "list_parameters": {name: query[name] for name in ("sort", "size") if query.get(name)},
            "size_clamped": requested_size > VARIANCE_PAGE_SIZE_MAX,
            "page_size_max": VARIANCE_PAGE_SIZE_MAX,
            "sort": sort,
            "sort_label": variance_selectors.VARIANCE_SORTS[sort.removeprefix("-")],
            "headers": _sort_headers(query, sort),
            "tabs": [
                {
                    "label": "All",
                    "status": "all",
                    "count": facets.total,
                    "url": _list_url(query, status=None),
                    "current": not chosen,
                }
            ]
            + [
                {
                    "label": label,
                    "status": status,
                    "count": facets.counts[status],
                    "url": _list_url(query, status=status),
                    "current": list(chosen) == [status],
                }
                for status, label in Variance.Status.choices
            ],
            "overdue_tab": {
                "count": facets.overdue,
                "url": _list_url(query, overdue=None if overdue_chosen else "true"),
                "current": overdue_chosen,
            },
            "pages": [
                {"number": n, "url": _list_url(query, page=str(n)) if n else None} for n in window.numbers()
            ],
            "previous_url": _list_url(query, page=str(window.number - 1)) if window.has_previous else None,
            "next_url": _list_url(query, page=str(window.number + 1)) if window.has_next else None,
            "sizes": [
                {"size": n, "url": _list_url(query, size=str(n)), "current": n == size}
                for n in VARIANCE_PAGE_SIZES
            ],
            "csv_url": _list_url(query, export="csv", page=None, size=None),
        }
    )
    return render(request, "costdata/variances/list.html", context)


def _require(allowed: bool, message: str = "Your role does not give access to this page.") -> None:
    if not allowed:
        raise PermissionDenied(message)


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
            _add_errors(form, error)
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
        for message in _errors(error):
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
        for message in _errors(error):
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
            for message in _errors(error):
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


# --- budgets ----------------------------------------------------------------------------------------


@login_required
def budget_index(request: HttpRequest) -> HttpResponse:
    _require(permissions.may_read_budgets(request.user), "Budgets are not part of your role.")
    may_manage = permissions.may_manage_budgets(request.user)
    form = BudgetCreateForm(request.POST or None)
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied("Only finance and administrators create budgets.")
        if form.is_valid():
            try:
                budget = budget_services.budget_create(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                return redirect("budget-detail", pk=budget.pk)
    context = {"budgets": variance_selectors.budget_list(), "form": form, "may_manage": may_manage}
    return render(request, "costdata/budgets/list.html", context)


@login_required
def budget_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(permissions.may_read_budgets(request.user), "Budgets are not part of your role.")
    budget = get_object_or_404(variance_selectors.budget_list(), pk=pk)
    may_manage = permissions.may_manage_budgets(request.user)
    form = VersionCreateForm(request.POST or None, budget=budget)
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied("Only finance and administrators add budget versions.")
        if form.is_valid():
            try:
                version = budget_services.budget_version_create(
                    budget=budget, actor=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                return redirect("budget-version-detail", pk=version.pk)
    first, _ = budget_services.fiscal_year_bounds(budget.fiscal_year)
    context = {"budget": budget, "form": form, "may_manage": may_manage, "first_month": first}
    return render(request, "costdata/budgets/detail.html", context)


def _fiscal_months(budget: Budget) -> list[date]:
    first, _ = budget_services.fiscal_year_bounds(budget.fiscal_year)
    return budget_files.fiscal_year_months(first)


@login_required
def budget_version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(permissions.may_read_budgets(request.user), "Budgets are not part of your role.")
    version = get_object_or_404(BudgetVersion.objects.select_related("budget", "locked_by"), pk=pk)
    months = _fiscal_months(version.budget)
    lines = permissions.visible_budget_lines(request.user, BudgetLine.objects.all())
    context = {
        "version": version,
        "budget": version.budget,
        "months": months,
        "rows": variance_selectors.budget_version_grid(version, months, lines=lines),
        "effective": variance_selectors.budget_version_effective(version),
        "may_manage": permissions.may_manage_budgets(request.user),
        "import_form": BudgetImportForm(),
        "import_errors": None,
        "others": version.budget.versions.exclude(pk=version.pk).order_by("number"),
    }
    other_id = request.GET.get("compare", "")
    other = (
        version.budget.versions.exclude(pk=version.pk).filter(pk=other_id).first()
        if other_id.isdigit()
        else None
    )
    if other is not None:
        context["compare_with"] = other
        context["comparison"] = variance_selectors.budget_version_comparison(version, other, lines=lines)
    return render(request, "costdata/budgets/version.html", context)


@login_required
@require_POST
def budget_version_import(request: HttpRequest, pk: int) -> HttpResponse:
    if not permissions.may_manage_budgets(request.user):
        raise PermissionDenied("Only finance and administrators import budgets.")
    version = get_object_or_404(BudgetVersion.objects.select_related("budget"), pk=pk)
    form = BudgetImportForm(request.POST, request.FILES)
    problems: list[str] = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            count = budget_services.budget_version_import(
                version=version, data=upload.read(), filename=upload.name, actor=request.user
            )
        except budget_files.BudgetFileError as error:
            problems = [str(e) for e in error.errors]
            if error.total > len(error.errors):
                problems.append(f"... and {error.total - len(error.errors)} more problems.")
        except ValidationError as error:
            problems = _errors(error)
        else:
            messages.success(request, f"Imported {count} budget lines into {version.name}.")
            return redirect("budget-version-detail", pk=version.pk)
    else:
        problems = ["Choose a CSV or XLSX file."]
    months = _fiscal_months(version.budget)
    context = {
        "version": version,
        "budget": version.budget,
        "months": months,
        "rows": variance_selectors.budget_version_grid(version, months),
        "effective": variance_selectors.budget_version_effective(version),
        "may_manage": True,
        "import_form": form,
        "import_errors": problems,
    }
    return render(request, "costdata/budgets/version.html", context, status=400)


@login_required
def budget_version_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    _require(permissions.may_read_budgets(request.user), "Budgets are not part of your role.")
    version = get_object_or_404(BudgetVersion.objects.select_related("budget"), pk=pk)
    try:
        content, content_type, filename = budget_services.budget_version_export(
            version=version,
            kind=fmt,
            lines=permissions.visible_budget_lines(request.user, BudgetLine.objects.all()),
        )
    except ValidationError as error:
        raise Http404("Export as csv or xlsx.") from error
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def budget_version_lock(request: HttpRequest, pk: int) -> HttpResponse:
    if not permissions.may_manage_budgets(request.user):
        raise PermissionDenied("Only finance and administrators lock budget versions.")
    version = get_object_or_404(BudgetVersion, pk=pk)
    try:
        budget_services.budget_version_lock(version=version, actor=request.user)
    except ValidationError as error:
        for message in _errors(error):
            messages.error(request, message)
    else:
        messages.success(request, f"{version.name} is locked.")
    return redirect(reverse("budget-version-detail", args=[pk]))


@login_required
@require_POST
def budget_version_activate(request: HttpRequest, pk: int) -> HttpResponse:
    if not permissions.may_manage_budgets(request.user):
        raise PermissionDenied("Only finance and administrators choose the active budget version.")
    version = get_object_or_404(BudgetVersion, pk=pk)
    budget_services.budget_version_activate(version=version, actor=request.user)
    messages.success(request, f"Variances are now judged against {version.name}.")
    return redirect(reverse("budget-version-detail", args=[pk]))
