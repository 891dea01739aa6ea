"""The demo organisation `make run` creates: a user per role, and 13 months through the real pull."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model

from costdata.ingestion import windows
from costdata.models import DailyCost, DailyTagCost, IngestionRun
from costdata.money import as_decimal, exact_sum
from partnership.demo import DEMO_PEOPLE, demo_organisation_seed
from stakeholders.models import Group, Stakeholder

pytestmark = pytest.mark.django_db


def test_it_creates_an_admin_and_one_user_per_role(demo_organisation):
    users = get_user_model().objects
    assert users.get(username="admin").is_superuser
    expected = {
        "finance": Group.FINANCE,
        "techlead": Group.TECHNOLOGY,
        "buowner": Group.BUSINESS_UNIT,
        "engineer": Group.ENGINEERING,
        "consultant": Group.THIRD_PARTY,
    }
    for username, group in expected.items():
        user = users.get(username=username)
        assert user.check_password("correct-horse-battery-staple-42")
        assert Stakeholder.objects.get(user=user).group == group


def test_its_costs_arrive_through_the_ingestion_path_with_13_months(demo_organisation):
    run = demo_organisation.run
    assert run is not None and run.status == IngestionRun.Status.SUCCEEDED
    assert run.trigger == IngestionRun.Trigger.BACKFILL
    assert run.requests_made > 1, "the demo source paginates like Cost Explorer"
    facts = (
        DailyCost.objects.filter(source=run.source).count()
        + DailyTagCost.objects.filter(source=run.source).count()
    )
    assert run.rows_written == facts
    today = date.today()
    assert run.window_start == windows.earliest_history_day(today)
    assert run.window_end == today
    months = DailyCost.objects.dates("day", "month")
    assert len(months) == 13


def test_tag_rows_reconcile_to_service_rows_for_every_account(demo_organisation):
    source = demo_organisation.run.source
    by_service = {
        account: as_decimal(total)
        for account, total in DailyCost.objects.filter(source=source)
        .values_list("account_id")
        .annotate(exact_sum("unblended"))
    }
    by_tag = {
        account: as_decimal(total)
        for account, total in DailyTagCost.objects.filter(source=source, tag_key="team")
        .values_list("account_id")
        .annotate(exact_sum("unblended"))
    }
    assert by_service == by_tag


def test_seeding_twice_changes_nothing(demo_organisation):
    again = demo_organisation_seed()
    assert again.created_users == []
    assert again.run is None
    assert again.password is None
    assert IngestionRun.objects.count() == 1


def test_without_demo_password_it_generates_one_shows_it_once_and_keeps_it_private(settings, tmp_path):
    settings.DEMO_PASSWORD = ""
    settings.VAR_DIR = tmp_path
    first = demo_organisation_seed()
    assert first.password and len(first.password) >= 12
    stored = tmp_path / "demo_password"
    assert stored.read_text() == first.password
    assert oct(stored.stat().st_mode)[-3:] == "600"
    assert demo_organisation_seed().password is None
    assert get_user_model().objects.get(username="engineer").check_password(first.password)
    assert {p.username for p in DEMO_PEOPLE} == {"finance", "techlead", "buowner", "engineer", "consultant"}
