"""A finance lead claims a cost scope for a team in the browser and sees it on the team's and a member's page."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from stakeholders.models import Group, Ownership, Role, Stakeholder, Team
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-password-7"


@pytest.fixture
def finance_lead(db):
    user = get_user_model().objects.create_user("fiona", "fiona@example.com", PASSWORD, first_name="Fiona")
    Stakeholder.objects.create(
        name="Fiona Patel",
        email="fiona@example.com",
        group=Group.FINANCE,
        role=Role.FINANCIAL_CONTROLLER,
        user=user,
    )
    return user


@pytest.fixture
def payments(db):
    unit = Team.objects.create(name="Digital products", kind=Team.Kind.BUSINESS_UNIT)
    team = Team.objects.create(name="Payments", kind=Team.Kind.TEAM, parent=unit)
    engineer = Stakeholder.objects.create(
        name="Erik Nakamura", email="erik@example.com", group=Group.ENGINEERING, role=Role.ENGINEER
    )
    team.members.add(engineer)
    return team


def test_a_finance_lead_claims_a_tag_for_a_team_and_sees_it_on_the_pages(page, finance_lead, payments):
    log_in(page, "fiona", PASSWORD)
    page.goto(f"/teams/{payments.pk}/")
    page.click("[data-testid=add-ownership]")
    page.wait_for_selector("#ownership-form")

    # An account claim has no key: the page hides the key field until a keyed scope is chosen.
    page.select_option("#id_scope_kind", "account")
    assert not page.is_visible("#id_scope_key")
    page.select_option("#id_scope_kind", "tag")
    assert page.is_visible("#id_scope_key")

    page.fill("#id_scope_key", "team")
    page.fill("#id_scope_value", "payments")
    page.fill("#id_note", "Everything the payments services tag")
    page.click("#ownership-form button[type=submit]")
    page.wait_for_url(f"**/teams/{payments.pk}/")

    table = page.locator("#scopes [data-testid=ownerships]")
    assert "team=payments" in table.inner_text()
    assert "primary" in table.inner_text()
    assert "now owns tag team=payments as primary owner" in page.inner_text(".messages")
    screenshot(page, "stakeholders-team-claim")

    # A bad account id is refused on the page, naming the problem, and nothing is saved.
    page.goto(f"/ownership/new/?owner_team={payments.pk}")
    page.select_option("#id_scope_kind", "service")
    page.fill("#id_scope_value", "21098765432x")
    page.select_option("#id_scope_kind", "account")
    page.click("#ownership-form button[type=submit]")
    page.wait_for_selector(".errorlist")
    assert "An AWS account id is exactly 12 digits" in page.inner_text("#ownership-form")
    assert Ownership.objects.count() == 1

    # The team's member sees the claim on their own page, through the team.
    engineer = payments.members.get()
    page.goto(f"/people/{engineer.pk}/")
    assert "team=payments" in page.inner_text("#scopes")
    assert "Payments" in page.inner_text("#teams")

    # The owner lookup answers with the new claim.
    page.goto("/ownership/")
    page.fill("#id_account_id", "210987654321")
    page.fill("#id_tags", "team=payments")
    page.click("#owner-lookup button[type=submit]")
    page.wait_for_selector("[data-testid=owner-answer]")
    assert "Payments" in page.inner_text("[data-testid=owner-answer]")
    assert "tag team=payments" in page.inner_text("[data-testid=owner-answer]")
