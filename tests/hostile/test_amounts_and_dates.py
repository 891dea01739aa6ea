"""Negative or absurd amounts and dates out of range through the API: a 400 naming the field, nothing written.

Per field, as a serious product decides: a budget (a plan of spend) is never negative; an engagement's
fee is never negative; cost facts may be negative (credits and refunds are legitimate data, and the
fact table is only written by pulls and imports, never through this API).
"""

from __future__ import annotations

import pytest

from costdata.models import BudgetLine
from costdata.planning import services as budgets
from stakeholders.models import Engagement, Group, Role, Stakeholder


@pytest.fixture
def version(db):
    return budgets.budget_version_create(
        budget=budgets.budget_create(name="FY2027", fiscal_year=2027), name="v1"
    )


def line(version, **overrides):
    payload = {
        "version": version.pk,
        "scope_type": "organisation",
        "scope_value": "",
        "month": "2027-01-01",
        "amount": "100.00",
    }
    return {**payload, **overrides}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "-0.01"}, "amount"),
        ({"amount": "1e30"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "Infinity"}, "amount"),
        ({"amount": "12.345678901234567"}, "amount"),
        ({"month": "2027-13-01"}, "month"),
        ({"month": "0000-01-01"}, "month"),
        ({"month": "10000-01-01"}, "month"),
        ({"month": "2027-02-30"}, "month"),
        ({"month": "1999-01-01"}, "month"),
    ],
)
def test_a_bad_budget_line_is_a_400_naming_the_field(finance_api, version, overrides, field):
    response = finance_api.post("/api/v1/budget-lines/", line(version, **overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not BudgetLine.objects.exists()


def test_a_zero_budget_line_is_accepted(finance_api, version):
    response = finance_api.post("/api/v1/budget-lines/", line(version, amount="0"), format="json")
    assert response.status_code == 201, response.content


@pytest.fixture
def party(db):
    return Stakeholder.objects.create(
        name="Cloudwise", email="cw@example.com", group=Group.THIRD_PARTY, role=Role.CONSULTANT
    )


def engagement(party, **overrides):
    payload = {
        "party": party.pk,
        "name": "FinOps review",
        "model": "fixed_fee",
        "fee": "1000.00",
        "currency": "USD",
        "period": "monthly",
        "starts_on": "2027-01-01",
    }
    return {**payload, **overrides}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_on": "2026-12-31"}, "ends_on"),
        ({"ends_on": "2027-01-01"}, "ends_on"),
        ({"starts_on": "0000-01-01"}, "starts_on"),
        ({"starts_on": "10000-01-01"}, "starts_on"),
        ({"starts_on": "2027-13-01"}, "starts_on"),
        ({"fee": "-1"}, "fee"),
        ({"fee": "1e40"}, "fee"),
    ],
)
def test_a_bad_engagement_is_a_400_naming_the_field(admin_api, party, overrides, field):
    response = admin_api.post("/api/v1/engagements/", engagement(party, **overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in str(response.json()), response.json()
    assert not Engagement.objects.exists()
