"""A scope page freezes its view into a meeting's review pack; the workbook lists a panel's items."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import review_packs
from meetings.models import Meeting, ReviewPack
from tests.costdata.dashboards.test_dashboards import build_costs, build_organisation
from tests.meetings.test_review_packs import PASSWORD, make_user

pytestmark = pytest.mark.usefixtures("no_dashboard_providers")


@pytest.fixture
def teams(db):
    build_costs()
    return build_organisation()


@pytest.fixture
def upcoming(db) -> Meeting:
    return Meeting.objects.create(
        title="Monthly cost review", starts_at=timezone.now() + timedelta(days=5), timezone="Europe/London"
    )


def signed_in(client, kind: str):
    make_user(kind)
    client.login(username=kind, password=PASSWORD)
    return client


def test_the_scope_page_offers_finance_a_pack_for_each_upcoming_meeting(client, teams, upcoming):
    Meeting.objects.create(title="Last month", starts_at=timezone.now() - timedelta(days=20))
    page = signed_in(client, "finance").get(reverse("dashboard-scope", args=["team", teams["payments"].pk]))
    html = page.content.decode()
    assert 'id="scope-pack"' in html
    assert f'formaction="{reverse("review-pack-create", args=[upcoming.pk])}"' in html
    assert "Last month" not in html, "only meetings still to come are offered"
    assert f'<input type="hidden" name="team" value="{teams["payments"].pk}">' in html


def test_an_engineer_is_not_offered_a_pack(client, teams, upcoming):
    page = signed_in(client, "engineer").get(reverse("dashboard-scope", args=["team", teams["payments"].pk]))
    assert 'id="scope-pack"' not in page.content.decode()


def test_the_pack_freezes_the_scope_it_was_generated_from(client, teams, upcoming):
    payments = teams["payments"]
    scope_page = signed_in(client, "finance").get(reverse("dashboard-scope", args=["team", payments.pk]))
    scope_actual = scope_page.context["view"].summary[0].actual
    response = client.post(reverse("review-pack-create", args=[upcoming.pk]), {"team": str(payments.pk)})
    pack = ReviewPack.objects.get(meeting=upcoming)
    assert response.status_code == 302 and response["Location"] == pack.get_absolute_url()
    assert pack.content["scope"]["label"] == "Organisation (team Payments)"
    assert Decimal(pack.content["summary"][0]["actual"]) == scope_actual
    cover = openpyxl.load_workbook(io.BytesIO(review_packs.review_pack_xlsx(pack)))["Pack"]
    assert [cover["A4"].value, cover["B4"].value] == ["Scope", "Organisation (team Payments)"]


def test_a_pack_without_filters_is_labelled_with_its_scope_alone(teams, upcoming):
    pack = review_packs.review_pack_generate(meeting=upcoming, user=make_user("finance"))
    assert pack.content["scope"]["label"] == "Organisation"


def test_the_workbook_lists_a_panels_items_as_the_page_does(teams, upcoming):
    pack = review_packs.review_pack_generate(meeting=upcoming, user=make_user("finance"))
    pack.content["charts"]["variances-overdue"] = {
        "key": "variances-overdue",
        "title": "Overdue variances",
        "note": "",
        "term": "variance",
        "figure": None,
        "columns": [],
        "kinds": [],
        "rows": [],
        "items": [
            {
                "text": "Spike: account 111111111111 2026-10",
                "url": "/x/",
                "overdue": True,
                "detail": "due 21 Nov",
            },
            {"text": "=cmd|' /C calc'!A0", "url": "/y/", "overdue": True, "detail": ""},
        ],
    }
    pack.content["overview"].append("variances-overdue")
    pack.save()
    workbook = openpyxl.load_workbook(io.BytesIO(review_packs.review_pack_xlsx(pack)))
    sheet = workbook[next(name for name in workbook.sheetnames if "Overdue" in name)]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Overdue variances"
    assert rows[1] == ("Item", "Detail")
    assert rows[2] == ("Spike: account 111111111111 2026-10", "due 21 Nov")
    assert not str(rows[3][0]).startswith("="), "item text is neutralised against formula injection"
