"""The pages: lists with filters, forms that show the services' errors, detail pages, readiness."""

from datetime import date
from decimal import Decimal

import pytest

from stakeholders import known_accounts, sections, services
from stakeholders.known_accounts import KnownAccount
from stakeholders.models import Group, Ownership, Role, Stakeholder, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance_client(client, user_for):
    client.force_login(user_for("finance"))
    return client


def test_pages_need_a_login(client):
    for url in ["/people/", "/teams/", "/ownership/", "/engagements/", "/readiness/"]:
        assert client.get(url).status_code == 302


def test_the_people_list_searches_and_filters(finance_client, person, team):
    person(group=Group.FINANCE, role=Role.CFO, name="Margaret Osei")
    eng = person(group=Group.ENGINEERING, role=Role.ENGINEER, name="Erik Nakamura")
    team.members.add(eng)
    page = finance_client.get("/people/?q=osei").content.decode()
    assert "Margaret Osei" in page and "Erik Nakamura" not in page
    page = finance_client.get(f"/people/?team={team.pk}").content.decode()
    assert "Erik Nakamura" in page and "Margaret Osei" not in page
    page = finance_client.get("/people/?role=cfo").content.decode()
    assert "Margaret Osei" in page and "Erik Nakamura" not in page


def test_deactivated_people_leave_the_default_list(finance_client, person):
    gone = person(name="Gone Person")
    finance_client.post(f"/people/{gone.pk}/active/", {"active": "false"}, follow=True)  # shows the message
    assert "Gone Person" not in finance_client.get("/people/").content.decode()
    assert "Gone Person" in finance_client.get("/people/?active=false").content.decode()


def test_creating_a_person_with_a_role_outside_the_group_shows_the_error(finance_client):
    response = finance_client.post(
        "/people/new/",
        {"name": "Ann", "email": "ann@example.com", "group": "finance", "role": "engineer", "active": "on"},
    )
    assert response.status_code == 200
    assert "not a role in the Finance group" in response.content.decode()
    assert not Stakeholder.objects.filter(email="ann@example.com").exists()


def test_creating_and_editing_a_person(finance_client, team):
    response = finance_client.post(
        "/people/new/",
        {
            "name": "Ann",
            "email": "ann@example.com",
            "group": "finance",
            "role": "cfo",
            "active": "on",
            "teams": [team.pk],
        },
    )
    ann = Stakeholder.objects.get(email="ann@example.com")
    assert response.url == f"/people/{ann.pk}/"
    finance_client.post(
        f"/people/{ann.pk}/edit/",
        {"name": "Ann Lee", "email": "ann@example.com", "group": "finance", "role": "cfo", "active": "on"},
    )
    ann.refresh_from_db()
    assert ann.name == "Ann Lee" and not ann.teams.exists()


def test_a_thirteen_digit_account_on_the_claim_form_is_shown_and_nothing_saved(finance_client, team):
    response = finance_client.post(
        "/ownership/new/", {"owner_team": team.pk, "scope_kind": "account", "scope_value": "2109876543210"}
    )
    assert response.status_code == 200
    assert "An AWS account id is exactly 12 digits" in response.content.decode()
    assert not Ownership.objects.exists()


def test_a_second_primary_on_the_claim_form_is_shown(finance_client, team, other_team):
    services.ownership_create(scope_kind="account", scope_value="210987654321", owner_team=team)
    response = finance_client.post(
        "/ownership/new/",
        {
            "owner_team": other_team.pk,
            "scope_kind": "account",
            "scope_value": "210987654321",
            "is_primary": "on",
        },
    )
    assert "already has a primary owner" in response.content.decode()
    assert Ownership.objects.count() == 1


def test_a_claim_goes_back_to_the_owners_page_and_shows_there(finance_client, team):
    response = finance_client.post(
        "/ownership/new/",
        {"owner_team": team.pk, "scope_kind": "tag", "scope_key": "team", "scope_value": "payments"},
    )
    assert response.url == f"/teams/{team.pk}/"
    assert "team=payments" in finance_client.get(response.url).content.decode()


def test_a_persons_page_shows_teams_scopes_and_engagements(finance_client, person, team):
    party = person(group=Group.THIRD_PARTY, role=Role.CONSULTANT, name="Chloé")
    team.members.add(party)
    services.ownership_create(scope_kind="account", scope_value="210987654321", owner_team=team)
    engagement = services.engagement_create(
        party=party,
        name="Rightsizing",
        model="retainer",
        fee=Decimal("4000"),
        currency="USD",
        period="monthly",
        starts_on=date(2026, 5, 1),
    )
    page = finance_client.get(f"/people/{party.pk}/").content.decode()
    assert "Payments" in page and "210987654321" in page and "Rightsizing" in page
    assert "no stated ROI" in page
    services.saving_record(engagement=engagement, period_start=date(2026, 5, 1), amount=Decimal("5200"))
    assert "30.0%" in finance_client.get(f"/people/{party.pk}/").content.decode()


def test_the_sections_registry_still_renders_other_apps_panels(finance_client, person):
    someone = person(name="Sam")
    sections.register(
        sections.Section(
            key="test-panel",
            title="Open action items",
            template="stakeholders/_audit.html",
            context=lambda stakeholder, request: {"audit": []},
        )
    )
    try:
        page = finance_client.get(f"/people/{someone.pk}/").content.decode()
        assert 'id="section-test-panel"' in page and "Open action items" in page
    finally:
        sections._sections.pop("test-panel")


def test_the_engagement_page_records_savings_and_shows_roi(finance_client, person):
    party = person(group=Group.THIRD_PARTY, role=Role.CONSULTANT)
    engagement = services.engagement_create(
        party=party,
        name="Rightsizing",
        model="retainer",
        fee=Decimal("4000"),
        currency="USD",
        period="monthly",
        starts_on=date(2026, 5, 1),
    )
    bad = finance_client.post(
        f"/engagements/{engagement.pk}/", {"period_start": "2026-05-15", "amount": "5200"}
    )
    assert "starts on the first day of a month" in bad.content.decode()
    finance_client.post(f"/engagements/{engagement.pk}/", {"period_start": "2026-05-01", "amount": "5200"})
    page = finance_client.get(f"/engagements/{engagement.pk}/").content.decode()
    assert "May 2026" in page and "30.0%" in page


def test_the_engagement_form_refuses_a_bad_scope_line(finance_client, person):
    party = person(group=Group.THIRD_PARTY, role=Role.CONSULTANT)
    response = finance_client.post(
        "/engagements/new/",
        {
            "party": party.pk,
            "name": "X",
            "model": "retainer",
            "fee": "10",
            "currency": "USD",
            "period": "monthly",
            "starts_on": "2026-05-01",
            "active": "on",
            "scopes_text": "account 2109876543210",
        },
    )
    assert "Line 1: An AWS account id is exactly 12 digits" in response.content.decode()


def test_the_owner_lookup_on_the_ownership_page(finance_client, team):
    services.ownership_create(scope_kind="account", scope_value="210987654321", owner_team=team)
    page = finance_client.get(
        "/ownership/?account_id=210987654321&service=AWS+Config&tags=team%3Dweb"
    ).content.decode()
    assert "primary owner of account 210987654321" in page


def test_the_team_page_lists_members_and_unit_claims(finance_client, person):
    unit = services.team_create(name="Digital", kind=Team.Kind.BUSINESS_UNIT)
    web = services.team_create(name="Web", parent=unit)
    services.ownership_create(scope_kind="account", scope_value="510987654321", owner_team=web)
    page = finance_client.get(f"/teams/{unit.pk}/").content.decode()
    assert "510987654321" in page and "Web" in page


def test_the_readiness_page_lists_what_is_missing(finance_client):
    known_accounts.register("test", lambda: [KnownAccount("210987654321", "payments-prod")])
    try:
        page = finance_client.get("/readiness/").content.decode()
    finally:
        known_accounts.unregister("test")
    assert "payments-prod (210987654321)" in page
    assert "/ownership/new/?scope_kind=account&amp;scope_value=210987654321" in page
    assert "No business unit has an owner" in page


def test_my_page_goes_to_the_users_own_record(client, user_for):
    user = user_for("finance")
    client.force_login(user)
    assert client.get("/people/me/").url == f"/people/{user.stakeholder.pk}/"
    client.force_login(user_for("nobody"))
    assert client.get("/people/me/").url == "/account/"  # no record: no directory either


def test_page_url_names_are_not_shadowed_by_api_routes():
    from django.urls import reverse

    assert reverse("stakeholder-list") == "/people/"
    assert reverse("stakeholder-detail", args=[1]) == "/people/1/"
    assert reverse("team-detail", args=[1]) == "/teams/1/"
    assert reverse("api:api-stakeholder-detail", args=[1]) == "/api/v1/stakeholders/1/"


def test_a_reader_sees_every_page_without_edit_controls(client, user_for):
    from stakeholders.demo import demo_programme_people_seed
    from stakeholders.models import Engagement

    demo_programme_people_seed(today=date(2026, 11, 27))
    client.force_login(user_for("engineer"))
    team = Team.objects.get(name="Payments")
    person = Stakeholder.objects.get(email="cfo@example.com")
    engagement = Engagement.objects.get(name="Spendlens anomaly detection")
    for url in [
        "/people/",
        f"/people/{person.pk}/",
        "/teams/",
        f"/teams/{team.pk}/",
        "/ownership/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert page.count("csrfmiddlewaretoken") == 1, url  # the log-out form only
        assert "/ownership/new/" not in page and "/edit/" not in page, url
    # Engagements (fees, ROI) and the readiness check are for admins, finance and technology leads.
    for url in ["/engagements/", f"/engagements/{engagement.pk}/", "/readiness/"]:
        assert client.get(url).status_code == 403, url
