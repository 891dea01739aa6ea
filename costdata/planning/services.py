"""Budgets: fiscal-year plans, their versions and monthly lines; locking; CSV/XLSX import and export.

A locked version is read-only: every write here refuses it with BudgetLocked, so the API, the pages and
the admin all keep the rule in one place. Imports are all or nothing (budget_files.parse_budget_file
refuses the whole file on any bad row; the lines are then replaced in one transaction).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audit.recording import acting_as_actor, log_bulk_created
from common.types import User
from costdata.planning import budget_exports, budget_files
from costdata.planning.models import Budget, BudgetLine, BudgetVersion
from costdata.variances.rules import ScopeKey, ScopeType


class BudgetLocked(ValidationError):
    """The version is locked: it stays as finance approved it."""


def fiscal_year_start_month() -> int:
    return int(getattr(settings, "FISCAL_YEAR_START_MONTH", 1))


def fiscal_year_for(month: date) -> int:
    """The fiscal year (named by the calendar year in which it ends) that `month` belongs to."""
    start = fiscal_year_start_month()
    if start == 1:
        return month.year
    return month.year + 1 if month.month >= start else month.year


def fiscal_year_bounds(fiscal_year: int) -> tuple[date, date]:
    """[first month, first month of the next fiscal year)."""
    first = budget_files.fiscal_year_start(fiscal_year, fiscal_year_start_month())
    return first, budget_files.fiscal_year_start(fiscal_year + 1, fiscal_year_start_month())


def _refuse_locked(version: BudgetVersion) -> None:
    if version.is_locked:
        raise BudgetLocked(
            {"version": f"{version.name} (v{version.number}) is locked; create a new version to change it."}
        )


@acting_as_actor
@transaction.atomic
def budget_create(*, name: str, fiscal_year: int, currency: str = "USD", actor: User | None = None) -> Budget:
    currency = currency.upper()
    errors = {}
    if not name.strip():
        errors["name"] = "Name the budget."
    if currency not in budget_files.ISO_4217:
        errors["currency"] = f"{currency!r} is not an ISO 4217 currency code."
    if not 2000 <= fiscal_year <= 2100:
        errors["fiscal_year"] = "Give a fiscal year between 2000 and 2100."
    if Budget.objects.filter(fiscal_year=fiscal_year).exists():
        errors["fiscal_year"] = f"FY{fiscal_year} already has a budget; add a version to it instead."
    if errors:
        raise ValidationError(errors)
    return Budget.objects.create(
        name=name.strip(), fiscal_year=fiscal_year, currency=currency, created_by=actor
    )


@acting_as_actor
@transaction.atomic
def budget_version_create(
    *,
    budget: Budget,
    name: str,
    note: str = "",
    copy_from: BudgetVersion | None = None,
    actor: User | None = None,
) -> BudgetVersion:
    """A new version, optionally starting from another's lines (a reforecast starts from the original)."""
    if not name.strip():
        raise ValidationError({"name": "Name the version, e.g. Q2 reforecast."})
    if copy_from is not None and copy_from.budget_id != budget.pk:
        raise ValidationError({"copy_from": "Copy from a version of the same budget."})
    Budget.objects.select_for_update().filter(pk=budget.pk).first()
    number = (budget.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = BudgetVersion.objects.create(
        budget=budget, number=number, name=name.strip(), note=note.strip(), created_by=actor
    )
    if copy_from is not None:
        copied = BudgetLine.objects.bulk_create(
            BudgetLine(
                version=version,
                scope_type=line.scope_type,
                scope_value=line.scope_value,
                month=line.month,
                amount=line.amount,
                currency=line.currency,
            )
            for line in copy_from.lines.all()
        )
        log_bulk_created(copied)
    return version


@acting_as_actor
@transaction.atomic
def budget_version_activate(*, version: BudgetVersion, actor: User | None = None) -> Budget:
    """Judge variances against this version from now on (locked or not)."""
    budget = version.budget
    budget.active_version = version
    budget.save(update_fields=["active_version"])
    return budget


@acting_as_actor
@transaction.atomic
def budget_version_lock(*, version: BudgetVersion, actor: User | None = None) -> BudgetVersion:
    version = BudgetVersion.objects.select_for_update().get(pk=version.pk)
    if version.is_locked:
        raise BudgetLocked({"version": f"{version.name} (v{version.number}) is already locked."})
    if not version.lines.exists():
        raise ValidationError({"version": "An empty version cannot be locked: import its lines first."})
    version.locked_at = timezone.now()
    version.locked_by = actor
    version.save(update_fields=["locked_at", "locked_by"])
    return version


def _check_lines(version: BudgetVersion, lines: Iterable[budget_files.BudgetLine]) -> list[BudgetLine]:
    first, end = fiscal_year_bounds(version.budget.fiscal_year)
    rows = []
    for line in lines:
        if line.currency != version.budget.currency:
            raise ValidationError(
                {"currency": f"{line.currency} is not this budget's {version.budget.currency}."}
            )
        if not first <= line.month < end:
            raise ValidationError({"month": f"{line.month:%Y-%m} is outside FY{version.budget.fiscal_year}."})
        rows.append(
            BudgetLine(
                version=version,
                scope_type=line.scope.scope_type.value,
                scope_value=line.scope.value,
                month=line.month,
                amount=line.amount,
                currency=line.currency,
            )
        )
    return rows


@acting_as_actor
@transaction.atomic
def budget_version_import(
    *, version: BudgetVersion, data: bytes, filename: str, actor: User | None = None
) -> int:
    """Replace the version's lines with the file's. BudgetFileError (every bad row) or nothing changes."""
    version = BudgetVersion.objects.select_for_update().select_related("budget").get(pk=version.pk)
    _refuse_locked(version)
    first, _ = fiscal_year_bounds(version.budget.fiscal_year)
    parsed = budget_files.parse_budget_file(
        data, filename=filename, fiscal_year_start=first, currency=version.budget.currency
    )
    rows = _check_lines(version, parsed)
    version.lines.all().delete()  # deleted one by one, so each line's removal is audited
    log_bulk_created(BudgetLine.objects.bulk_create(rows))
    return len(rows)


@acting_as_actor
@transaction.atomic
def budget_line_set(
    *,
    version: BudgetVersion,
    scope_type: str,
    scope_value: str,
    month: date,
    amount: Decimal,
    actor: User | None = None,
) -> BudgetLine:
    """Add or change one line of an unlocked version."""
    version = BudgetVersion.objects.select_for_update().select_related("budget").get(pk=version.pk)
    _refuse_locked(version)
    if amount < 0:
        raise ValidationError({"amount": "A budget amount must not be negative."})
    try:
        scope = ScopeKey(ScopeType(scope_type), scope_value)
    except ValueError as error:
        raise ValidationError({"scope_type": f"{scope_type!r} is not a scope type."}) from error
    month = month.replace(day=1)
    [row] = _check_lines(version, [budget_files.BudgetLine(scope, month, amount, version.budget.currency)])
    line, _ = BudgetLine.objects.update_or_create(
        version=version,
        scope_type=row.scope_type,
        scope_value=row.scope_value,
        month=month,
        defaults={"amount": amount, "currency": row.currency},
    )
    return line


@acting_as_actor
@transaction.atomic
def budget_line_delete(*, line: BudgetLine, actor: User | None = None) -> None:
    """Remove one line of an unlocked version: its version row is locked first, as every budget write
    does, so a lock or an activation running at the same moment waits and then sees the line gone."""
    version = BudgetVersion.objects.select_for_update().get(pk=line.version_id)
    _refuse_locked(version)
    line.delete()


def budget_version_lines(version: BudgetVersion, lines: Any = None) -> list[budget_files.BudgetLine]:
    """The version's lines (or those of `lines`, a filtered queryset of them) in the file layout."""
    lines = version.lines.all() if lines is None else lines.filter(version=version)
    return [
        budget_files.BudgetLine(
            ScopeKey(ScopeType(line.scope_type), line.scope_value), line.month, line.amount, line.currency
        )
        for line in lines.order_by("scope_type", "scope_value", "month")
    ]


def budget_version_export(*, version: BudgetVersion, kind: str, lines: Any = None) -> tuple[bytes, str, str]:
    """(content, content type, file name) in the upload layout, so export-then-import is lossless.
    `lines` narrows the export to what the reader may see (a filtered BudgetLine queryset)."""
    lines = budget_version_lines(version, lines)
    stem = f"budget-FY{version.budget.fiscal_year}-v{version.number}"
    if kind == "xlsx":
        return (
            budget_exports.export_budget_xlsx(
                lines, sheet_title=f"FY{version.budget.fiscal_year} v{version.number}"
            ),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            f"{stem}.xlsx",
        )
    if kind == "csv":
        return budget_exports.export_budget_csv(lines), "text/csv; charset=utf-8", f"{stem}.csv"
    raise ValidationError({"format": "Export as csv or xlsx."})
