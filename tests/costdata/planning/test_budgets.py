"""Budgets: versions, fiscal years, locking, all-or-nothing imports and lossless exports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from costdata.models import BudgetLine, BudgetVersion
from costdata.planning import services as budgets
from costdata.planning.budget_files import BudgetFileError
from costdata.planning.services import BudgetLocked

GOOD_CSV = (
    b"scope_type,scope_value,month,amount,currency\n"
    b"organisation,,2027-01,50000,USD\n"
    b"account,111111111111,2027-01,1200.50,USD\n"
    b"team,Payments,2027-02,9000,USD\n"
    b"tag,team=payments,2027-03,300.1234,USD\n"
)
BAD_CSV = (
    b"scope_type,scope_value,month,amount,currency\n"
    b"account,111111111111,2027-01,1200,USD\n"
    b"account,11111,2027-01,-5,USD\n"
    b"planet,Mars,2027-13,1,USD\n"
)


@pytest.fixture
def version(db):
    budget = budgets.budget_create(name="FY2027 budget", fiscal_year=2027)
    return budgets.budget_version_create(budget=budget, name="Original")


def test_a_clean_file_imports_every_line(version):
    assert budgets.budget_version_import(version=version, data=GOOD_CSV, filename="b.csv") == 4
    line = version.lines.get(scope_type="tag")
    assert (line.scope_value, line.month, line.amount) == (
        "team=payments",
        date(2027, 3, 1),
        Decimal("300.1234"),
    )


def test_a_file_with_bad_rows_imports_nothing_and_names_each_row(version):
    budgets.budget_version_import(version=version, data=GOOD_CSV, filename="b.csv")
    with pytest.raises(BudgetFileError) as caught:
        budgets.budget_version_import(version=version, data=BAD_CSV, filename="b.csv")
    problems = {(e.row, e.column) for e in caught.value.errors}
    assert {(3, "scope_value"), (3, "amount"), (4, "scope_type"), (4, "month")} <= problems
    assert version.lines.count() == 4  # the previous lines are untouched


def test_lines_outside_the_fiscal_year_are_refused(version, settings):
    settings.FISCAL_YEAR_START_MONTH = 4  # FY2027 = April 2026 to March 2027
    data = b"scope_type,scope_value,month,amount,currency\norganisation,,2027-04,1,USD\n"
    with pytest.raises(BudgetFileError, match="outside the fiscal year"):
        budgets.budget_version_import(version=version, data=data, filename="b.csv")


def test_the_fiscal_year_follows_the_start_month_setting(settings):
    settings.FISCAL_YEAR_START_MONTH = 4
    assert budgets.fiscal_year_for(date(2026, 4, 1)) == 2027
    assert budgets.fiscal_year_for(date(2026, 3, 1)) == 2026
    settings.FISCAL_YEAR_START_MONTH = 1
    assert budgets.fiscal_year_for(date(2026, 3, 1)) == 2026


def test_a_locked_version_refuses_imports_and_line_changes(version):
    budgets.budget_version_import(version=version, data=GOOD_CSV, filename="b.csv")
    budgets.budget_version_lock(version=version)
    version.refresh_from_db()
    with pytest.raises(BudgetLocked):
        budgets.budget_version_import(version=version, data=GOOD_CSV, filename="b.csv")
    with pytest.raises(BudgetLocked):
        budgets.budget_line_set(
            version=version,
            scope_type="organisation",
            scope_value="",
            month=date(2027, 1, 1),
            amount=Decimal(1),
        )
    with pytest.raises(BudgetLocked):
        budgets.budget_line_delete(line=version.lines.first())
    assert version.lines.get(scope_type="organisation").amount == Decimal(50000)


def test_a_line_read_before_its_version_was_locked_is_not_deleted_after(version):
    budgets.budget_version_import(version=version, data=GOOD_CSV, filename="b.csv")
    line = BudgetLine.objects.select_related("version").get(version=version, scope_type="organisation")
    budgets.budget_version_lock(version=BudgetVersion.objects.get(pk=version.pk))  # meanwhile, elsewhere
    with CaptureQueriesContext(connection) as queries, pytest.raises(BudgetLocked):
        budgets.budget_line_delete(line=line)
    assert BudgetLine.objects.filter(pk=line.pk).exists()
    assert any("FOR UPDATE" in q["sql"] and "costdata_budgetversion" in q["sql"] for q in queries)


def test_an_empty_version_cannot_be_locked_and_a_locked_one_not_twice(version):
    with pytest.raises(ValidationError, match="empty version"):
        budgets.budget_version_lock(version=version)
    budgets.budget_version_import(version=version, data=GOOD_CSV, filename="b.csv")
    budgets.budget_version_lock(version=version)
    with pytest.raises(BudgetLocked, match="already locked"):
        budgets.budget_version_lock(version=version)


def test_a_reforecast_starts_from_the_locked_original_and_both_stay_comparable(version):
    budgets.budget_version_import(version=version, data=GOOD_CSV, filename="b.csv")
    budgets.budget_version_lock(version=version)
    reforecast = budgets.budget_version_create(budget=version.budget, name="Q2 reforecast", copy_from=version)
    budgets.budget_line_set(
        version=reforecast,
        scope_type="organisation",
        scope_value="",
        month=date(2027, 1, 1),
        amount=Decimal(60000),
    )
    assert reforecast.number == 2
    assert BudgetLine.objects.get(version=version, scope_type="organisation").amount == Decimal(50000)
    assert BudgetLine.objects.get(version=reforecast, scope_type="organisation").amount == Decimal(60000)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_then_import_gives_the_same_lines(version, kind):
    budgets.budget_version_import(version=version, data=GOOD_CSV, filename="b.csv")
    content, _, filename = budgets.budget_version_export(version=version, kind=kind)
    assert filename.endswith(f".{kind}")
    copy = budgets.budget_version_create(budget=version.budget, name="Copy")
    budgets.budget_version_import(version=copy, data=content, filename=filename)
    assert budgets.budget_version_lines(copy) == budgets.budget_version_lines(version)


def test_one_budget_per_fiscal_year_and_a_known_currency(version):
    with pytest.raises(ValidationError) as caught:
        budgets.budget_create(name="Again", fiscal_year=2027, currency="XXX")
    assert set(caught.value.message_dict) == {"fiscal_year", "currency"}


def test_a_negative_line_amount_is_refused(version):
    with pytest.raises(ValidationError, match="negative"):
        budgets.budget_line_set(
            version=version,
            scope_type="organisation",
            scope_value="",
            month=date(2027, 1, 1),
            amount=Decimal(-1),
        )
