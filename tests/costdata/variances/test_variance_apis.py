"""The budgets, forecasts, variances and explanations API: every action, every role's answer."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.test import Client
from rest_framework.test import APIClient

from costdata.models import BudgetVersion, Variance
from costdata.planning import services as budgets
from costdata.variances import services as sop
from tests.costdata.variance_fixtures import ACCOUNT, facts

NOV = date(2026, 11, 1)
CSV = b"scope_type,scope_value,month,amount,currency\naccount,111111111111,2026-11,1000,USD\n"


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def variance(cost_source, org) -> Variance:
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={date(2026, 11, 10): "400"})
    sop.variances_detect(months=[NOV], now=datetime(2026, 11, 16, 9, tzinfo=UTC))
    return Variance.objects.get(scope_type="account", scope_value=ACCOUNT, kind="spike")


def explanation_body(variance) -> dict:
    return {
        "variance": variance.pk,
        "category": "incident",
        "narrative": "Runaway batch job.",
        "expected_duration": "one_off",
    }


def test_variances_filter_by_status_scope_month_owner_and_overdue(variance, org):
    api = as_user(org["engineer"])
    url = "/api/v1/variances/"
    assert (
        len(api.get(url, {"status": "assigned", "scope_type": "account", "month": "2026-11"}).data["results"])
        == 1
    )
    assert len(api.get(url, {"status": "explained"}).data["results"]) == 0
    assert len(api.get(url, {"owner": org["team"].pk, "kind": "spike"}).data["results"]) >= 1
    assert len(api.get(url, {"month": "2026-10"}).data["results"]) == 0
    Variance.objects.update(due_at=datetime(2099, 1, 1, tzinfo=UTC))
    assert len(api.get(url, {"overdue": "true"}).data["results"]) == 0
    Variance.objects.filter(pk=variance.pk).update(due_at=datetime(2026, 11, 1, tzinfo=UTC))
    overdue = api.get(url, {"overdue": "true"}).data
    assert [row["id"] for row in overdue["results"]] == [variance.pk]
    assert overdue["results"][0]["is_overdue"] is True


def test_a_variance_shows_its_figures_as_decimal_strings_and_its_timeline(variance, org):
    data = as_user(org["engineer"]).get(f"/api/v1/variances/{variance.pk}/").data
    assert data["observed"].startswith("400.")
    assert [t["action"] for t in data["transitions"]] == ["detect", "assign"]


def test_an_engineer_files_an_explanation_and_finance_accepts_it(variance, org):
    response = as_user(org["engineer"]).post(
        "/api/v1/explanations/", explanation_body(variance), format="json"
    )
    assert response.status_code == 201, response.data
    assert response.data["author"] == "engineer"
    accepted = as_user(org["finance"]).post(
        f"/api/v1/variances/{variance.pk}/accept/", {"comment": "ok"}, format="json"
    )
    assert accepted.status_code == 200
    assert accepted.data["status"] == "accepted"
    closed = as_user(org["finance"]).post(f"/api/v1/variances/{variance.pk}/close/", {}, format="json")
    assert closed.data["status"] == "closed"


def test_the_action_item_made_from_an_explanation_is_named_by_every_read_of_it(variance, org):
    engineer = as_user(org["engineer"])
    body = {**explanation_body(variance), "action_item_title": "Cap the batch job"}
    created = engineer.post("/api/v1/explanations/", body, format="json")
    assert created.status_code == 201, created.data
    item = created.data["action_item"]
    assert isinstance(item, int)
    listed = engineer.get("/api/v1/explanations/", {"variance": variance.pk}).data["results"]
    assert [e["action_item"] for e in listed] == [item]
    detail = engineer.get(f"/api/v1/variances/{variance.pk}/").data
    assert [e["action_item"] for e in detail["explanations"]] == [item]
    page = Client()
    page.force_login(org["engineer"])
    html = page.get(f"/costs/variances/{variance.pk}/").content.decode()
    assert f'href="/action-items/{item}/"' in html and "Cap the batch job" in html


def test_an_explanation_without_an_action_item_says_so(variance, org):
    created = as_user(org["engineer"]).post(
        "/api/v1/explanations/", explanation_body(variance), format="json"
    )
    assert created.status_code == 201 and created.data["action_item"] is None


def test_someone_outside_the_team_may_not_file_an_explanation(variance, org):
    # Another team's engineer does not even see the variance: to them its id does not exist.
    response = as_user(org["outsider"]).post(
        "/api/v1/explanations/", explanation_body(variance), format="json"
    )
    assert response.status_code == 400 and "variance" in response.json()
    # Another team's technology lead sees it (leads read every variance) but may not explain it.
    response = as_user(org["searchlead"]).post(
        "/api/v1/explanations/", explanation_body(variance), format="json"
    )
    assert response.status_code == 403


def test_an_author_may_not_accept_their_own_explanation(variance, org):
    as_user(org["admin"]).post("/api/v1/explanations/", explanation_body(variance), format="json")
    response = as_user(org["admin"]).post(f"/api/v1/variances/{variance.pk}/accept/", {}, format="json")
    assert response.status_code == 400
    assert "actor" in response.data


def test_an_engineer_may_not_accept(variance, org):
    as_user(org["techlead"]).post("/api/v1/explanations/", explanation_body(variance), format="json")
    assert as_user(org["engineer"]).post(f"/api/v1/variances/{variance.pk}/accept/", {}).status_code == 403


def test_send_back_needs_a_comment_and_returns_the_variance_to_its_owner(variance, org):
    as_user(org["engineer"]).post("/api/v1/explanations/", explanation_body(variance), format="json")
    finance = as_user(org["finance"])
    assert finance.post(f"/api/v1/variances/{variance.pk}/send-back/", {}, format="json").status_code == 400
    response = finance.post(
        f"/api/v1/variances/{variance.pk}/send-back/", {"comment": "Which job?"}, format="json"
    )
    assert response.data["status"] == "assigned"
    assert response.data["explanations"][0]["outcome"] == "sent_back"


def test_accepting_an_unexplained_variance_is_a_400_naming_the_status(variance, org):
    response = as_user(org["finance"]).post(f"/api/v1/variances/{variance.pk}/accept/", {}, format="json")
    assert response.status_code == 400
    assert "status" in response.data


def test_a_technology_lead_reassigns_and_an_engineer_may_not(variance, org):
    body = {"team": org["other"].pk, "comment": "Search's job"}
    assert (
        as_user(org["engineer"])
        .post(f"/api/v1/variances/{variance.pk}/reassign/", body, format="json")
        .status_code
        == 403
    )
    response = as_user(org["techlead"]).post(
        f"/api/v1/variances/{variance.pk}/reassign/", body, format="json"
    )
    assert response.status_code == 200
    assert response.data["owner_team_name"] == "Search"


def test_detection_on_demand_is_for_finance_and_admins(cost_source, org):
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={date(2026, 11, 10): "400"})
    assert as_user(org["engineer"]).post("/api/v1/variances/detect/", {}, format="json").status_code == 403
    response = as_user(org["finance"]).post(
        "/api/v1/variances/detect/", {"months": ["2026-11"]}, format="json"
    )
    assert response.status_code == 200
    assert response.data["created"] >= 1


def test_finance_creates_a_budget_imports_and_locks_a_version(org):
    finance = as_user(org["finance"])
    budget = finance.post(
        "/api/v1/budgets/", {"name": "FY2026", "fiscal_year": 2026, "currency": "USD"}, format="json"
    )
    assert budget.status_code == 201, budget.data
    version = finance.post(
        "/api/v1/budget-versions/", {"budget": budget.data["id"], "name": "Original"}, format="json"
    )
    assert version.status_code == 201, version.data
    url = f"/api/v1/budget-versions/{version.data['id']}/"
    from django.core.files.uploadedfile import SimpleUploadedFile

    imported = finance.post(url + "import/", {"file": SimpleUploadedFile("b.csv", CSV)}, format="multipart")
    assert imported.status_code == 200, imported.data
    assert imported.data == {"lines": 1}
    assert finance.post(url + "lock/").data["is_locked"] is True
    exported = finance.get(url + "export/", {"kind": "xlsx"})
    assert exported.status_code == 200
    assert exported["Content-Disposition"].endswith('.xlsx"')


def test_an_engineer_may_read_budgets_but_not_create_them(org):
    engineer = as_user(org["engineer"])
    assert engineer.get("/api/v1/budgets/").status_code == 200
    response = engineer.post("/api/v1/budgets/", {"name": "x", "fiscal_year": 2026}, format="json")
    assert response.status_code == 403


def test_a_bad_import_is_a_400_listing_rows_and_imports_nothing(org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    version = budgets.budget_version_create(
        budget=budgets.budget_create(name="B", fiscal_year=2026), name="v"
    )
    bad = b"scope_type,scope_value,month,amount,currency\naccount,123,2026-11,abc,USD\n"
    response = as_user(org["finance"]).post(
        f"/api/v1/budget-versions/{version.pk}/import/",
        {"file": SimpleUploadedFile("b.csv", bad)},
        format="multipart",
    )
    assert response.status_code == 400
    assert any("row 2" in problem for problem in response.data["file"])
    assert not version.lines.exists()


def test_writes_to_a_locked_version_are_refused(org):
    version = budgets.budget_version_create(
        budget=budgets.budget_create(name="B", fiscal_year=2026), name="v"
    )
    budgets.budget_version_import(version=version, data=CSV, filename="b.csv")
    budgets.budget_version_lock(version=version)
    finance = as_user(org["finance"])
    line = version.lines.get()
    assert (
        finance.put(
            f"/api/v1/budget-lines/{line.pk}/",
            {
                "version": version.pk,
                "scope_type": "account",
                "scope_value": ACCOUNT,
                "month": "2026-11-01",
                "amount": "5",
            },
            format="json",
        ).status_code
        == 400
    )
    assert finance.delete(f"/api/v1/budget-lines/{line.pk}/").status_code == 400
    body = {
        "version": version.pk,
        "scope_type": "organisation",
        "scope_value": "",
        "month": "2026-11-01",
        "amount": "5",
    }
    assert finance.post("/api/v1/budget-lines/", body, format="json").status_code == 400
    assert BudgetVersion.objects.get(pk=version.pk).lines.count() == 1


def test_the_forecast_of_a_scope_has_a_range_and_its_budget(cost_source, org):
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16))
    version = budgets.budget_version_create(
        budget=budgets.budget_create(name="B", fiscal_year=2026), name="v"
    )
    budgets.budget_version_import(version=version, data=CSV, filename="b.csv")
    response = as_user(org["engineer"]).get(
        "/api/v1/forecasts/", {"scope_type": "account", "scope_value": ACCOUNT, "month": "2026-11"}
    )
    assert response.status_code == 200, response.data
    assert response.data["basis"] == "run_rate"
    assert response.data["projected"].startswith("3000.")
    assert response.data["low"] <= response.data["projected"] <= response.data["high"]
    assert response.data["budget"] == "1000.0000"


@pytest.mark.parametrize("month", ["0001-01", "0000-12", "1999-12", "9999-01", "2026-13", "2026-1"])
def test_a_forecast_for_a_month_out_of_range_is_a_400_naming_the_month(cost_source, org, month):
    # The schema fuzz found 0001-01 answered with a 500 (stepping a year back from year 1).
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16))
    response = as_user(org["finance"]).get("/api/v1/forecasts/", {"month": month})
    assert response.status_code == 400, response.data
    assert "month" in response.data


def test_a_forecast_at_the_edges_of_the_range_answers(cost_source, org):
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16))
    for month in ("2000-01", "9998-12"):
        response = as_user(org["finance"]).get("/api/v1/forecasts/", {"month": month})
        assert response.status_code in (200, 404), (month, response.status_code)


def test_a_meeting_records_a_decision_against_a_variance_and_an_engineer_may_not(variance, org):
    from meetings.models import Meeting

    meeting = Meeting.objects.create(title="Monthly review", starts_at=datetime(2026, 11, 20, 10, tzinfo=UTC))
    body = {"meeting": meeting.pk, "text": "Cap the batch job."}
    url = f"/api/v1/variances/{variance.pk}/decisions/"
    assert as_user(org["engineer"]).post(url, body, format="json").status_code == 403
    response = as_user(org["finance"]).post(url, body, format="json")
    assert response.status_code == 201
    assert response.data["meeting"] == meeting.pk
    assert meeting.decisions.get().text == "Cap the batch job."
