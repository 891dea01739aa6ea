"""Pages for budgets and their versions. Thin: validate, call one service or selector, render."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from common.page_errors import add_form_errors, error_messages, require
from costdata import permissions
from costdata.planning import budget_files
from costdata.planning import selectors as planning_selectors
from costdata.planning import services as budget_services
from costdata.planning.forms import BudgetCreateForm, BudgetImportForm, VersionCreateForm
from costdata.planning.models import Budget, BudgetLine, BudgetVersion


@login_required
def budget_index(request: HttpRequest) -> HttpResponse:
    require(permissions.may_read_budgets(request.user), "Budgets are not part of your role.")
    may_manage = permissions.may_manage_budgets(request.user)
    form = BudgetCreateForm(request.POST or None)
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied("Only finance and administrators create budgets.")
        if form.is_valid():
            try:
                budget = budget_services.budget_create(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_form_errors(form, error)
            else:
                return redirect("budget-detail", pk=budget.pk)
    budgets = planning_selectors.budget_list(visible_lines=permissions.budget_line_condition(request.user))
    context = {"budgets": budgets, "form": form, "may_manage": may_manage}
    return render(request, "costdata/budgets/list.html", context)


@login_required
def budget_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(permissions.may_read_budgets(request.user), "Budgets are not part of your role.")
    budgets = planning_selectors.budget_list(visible_lines=permissions.budget_line_condition(request.user))
    budget = get_object_or_404(budgets, pk=pk)
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
                add_form_errors(form, error)
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
    require(permissions.may_read_budgets(request.user), "Budgets are not part of your role.")
    version = get_object_or_404(BudgetVersion.objects.select_related("budget", "locked_by"), pk=pk)
    months = _fiscal_months(version.budget)
    lines = permissions.visible_budget_lines(request.user, BudgetLine.objects.all())
    context = {
        "version": version,
        "budget": version.budget,
        "months": months,
        "rows": planning_selectors.budget_version_grid(version, months, lines=lines),
        "effective": planning_selectors.budget_version_effective(version),
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
        context["comparison"] = planning_selectors.budget_version_comparison(version, other, lines=lines)
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
            problems = error_messages(error)
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
        "rows": planning_selectors.budget_version_grid(version, months),
        "effective": planning_selectors.budget_version_effective(version),
        "may_manage": True,
        "import_form": form,
        "import_errors": problems,
    }
    return render(request, "costdata/budgets/version.html", context, status=400)


@login_required
def budget_version_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    require(permissions.may_read_budgets(request.user), "Budgets are not part of your role.")
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
        for message in error_messages(error):
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
