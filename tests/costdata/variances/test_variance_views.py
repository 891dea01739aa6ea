"""The budget and variance pages: lists with URL filters, overdue in red, the forms of the procedure."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from costdata.models import Variance
from costdata.planning import services as budgets
from costdata.variances import services as sop
from tests.costdata.variance_fixtures import ACCOUNT, facts

NOV = date(2026, 11, 1)


@pytest.fixture
def variance(cost_source, org) -> Variance:
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={date(2026, 11, 10): "400"})
    sop.variances_detect(months=[NOV], now=datetime(2026, 11, 16, 9, tzinfo=UTC))
    return Variance.objects.get(scope_type="account", scope_value=ACCOUNT, kind="spike")


def test_the_list_filters_by_url_and_shows_overdue_in_red(client, variance, org):
    Variance.objects.update(due_at=datetime(2099, 1, 1, tzinfo=UTC))
    Variance.objects.filter(pk=variance.pk).update(due_at=datetime(2026, 11, 1, tzinfo=UTC))
    client.force_login(org["engineer"])
    page = client.get("/costs/variances/", {"overdue": "true"}).content.decode()
    assert page.count('class="overdue"') == 1
    assert f"/costs/variances/{variance.pk}/" in page
    assert "No variance matches" in client.get("/costs/variances/", {"status": "closed"}).content.decode()


def test_the_variance_page_shows_figures_owner_and_timeline(client, variance, org):
    client.force_login(org["engineer"])
    page = client.get(f"/costs/variances/{variance.pk}/").content.decode()
    assert "Payments" in page
    assert 'id="timeline"' in page and "Detected" in page and "Assigned" in page
    assert 'id="explain-link"' in page


def test_an_engineer_files_an_explanation_through_the_form(client, variance, org):
    client.force_login(org["engineer"])
    response = client.post(
        f"/costs/variances/{variance.pk}/explain/",
        {"category": "incident", "narrative": "Runaway job", "expected_duration": "one_off"},
    )
    assert response.status_code == 302
    variance.refresh_from_db()
    assert variance.status == "explained"


def test_the_explanation_form_is_refused_to_someone_outside_the_team(client, variance, org):
    client.force_login(org["outsider"])  # another team's engineer: the variance is invisible
    assert client.get(f"/costs/variances/{variance.pk}/explain/").status_code == 404
    client.force_login(org["searchlead"])  # another team's lead: sees it, may not explain it
    assert client.get(f"/costs/variances/{variance.pk}/explain/").status_code == 403


def test_finance_accepts_and_sees_the_author_rule(client, variance, org):
    sop.variance_explain(
        variance=variance,
        actor=org["engineer"],
        category="incident",
        narrative="x",
        expected_duration="one_off",
    )
    client.force_login(org["finance"])
    page = client.get(f"/costs/variances/{variance.pk}/").content.decode()
    assert 'id="review-form"' in page
    client.post(f"/costs/variances/{variance.pk}/review/", {"decision": "accept", "comment": ""})
    variance.refresh_from_db()
    assert variance.status == "accepted"


def test_sending_back_without_a_comment_shows_the_error_and_changes_nothing(client, variance, org):
    sop.variance_explain(
        variance=variance,
        actor=org["engineer"],
        category="incident",
        narrative="x",
        expected_duration="one_off",
    )
    client.force_login(org["finance"])
    response = client.post(
        f"/costs/variances/{variance.pk}/review/", {"decision": "send_back", "comment": ""}, follow=True
    )
    assert "Say what the explanation is missing" in response.content.decode()
    variance.refresh_from_db()
    assert variance.status == "explained"


def test_a_bad_budget_upload_lists_each_row_and_imports_nothing(client, org):
    version = budgets.budget_version_create(
        budget=budgets.budget_create(name="B", fiscal_year=2026), name="v"
    )
    client.force_login(org["finance"])
    bad = b"scope_type,scope_value,month,amount,currency\naccount,123,2026-11,1,USD\norganisation,,2026-11,x,USD\n"
    response = client.post(
        f"/costs/budgets/versions/{version.pk}/import/", {"file": SimpleUploadedFile("b.csv", bad)}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "row 2, scope_value" in page and "row 3, amount" in page
    assert not version.lines.exists()


def test_a_locked_version_page_offers_no_import_and_the_import_is_refused(client, org):
    version = budgets.budget_version_create(
        budget=budgets.budget_create(name="B", fiscal_year=2026), name="v"
    )
    good = b"scope_type,scope_value,month,amount,currency\norganisation,,2026-11,5,USD\n"
    budgets.budget_version_import(version=version, data=good, filename="b.csv")
    budgets.budget_version_lock(version=version)
    client.force_login(org["finance"])
    page = client.get(f"/costs/budgets/versions/{version.pk}/").content.decode()
    assert 'id="locked"' in page and "Import lines" not in page
    response = client.post(
        f"/costs/budgets/versions/{version.pk}/import/", {"file": SimpleUploadedFile("b.csv", good)}
    )
    assert response.status_code == 400
    assert "is locked" in response.content.decode()


def test_an_engineer_may_not_create_budgets(client, org):
    client.force_login(org["engineer"])
    assert (
        client.post("/costs/budgets/", {"name": "x", "fiscal_year": 2026, "currency": "USD"}).status_code
        == 403
    )


def test_finance_creates_a_budget_and_a_version_and_exports_it(client, org):
    client.force_login(org["finance"])
    response = client.post("/costs/budgets/", {"name": "FY2027", "fiscal_year": 2027, "currency": "USD"})
    assert response.status_code == 302
    budget_url = response["Location"]
    response = client.post(budget_url, {"name": "Original"})
    version_url = response["Location"]
    assert client.get(version_url).status_code == 200
    download = client.get(version_url + "export.csv")
    assert download["Content-Type"].startswith("text/csv")


def test_a_reforecast_is_compared_with_the_locked_original(client, org):
    from decimal import Decimal

    budget = budgets.budget_create(name="B", fiscal_year=2026)
    original = budgets.budget_version_create(budget=budget, name="Original")
    good = b"scope_type,scope_value,month,amount,currency\norganisation,,2026-11,100,USD\norganisation,,2026-12,100,USD\n"
    budgets.budget_version_import(version=original, data=good, filename="b.csv")
    budgets.budget_version_lock(version=original)
    reforecast = budgets.budget_version_create(budget=budget, name="Reforecast", copy_from=original)
    budgets.budget_line_set(
        version=reforecast,
        scope_type="organisation",
        scope_value="",
        month=date(2026, 12, 1),
        amount=Decimal(150),
    )
    client.force_login(org["finance"])
    page = client.get(f"/costs/budgets/versions/{reforecast.pk}/", {"compare": original.pk}).content.decode()
    assert 'id="comparison"' in page
    assert ">250.00<" in page and ">200.00<" in page and ">50.00<" in page
