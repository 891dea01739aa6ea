"""Reads: who owns a cost row, engagement returns, programme readiness."""

from datetime import date
from decimal import Decimal

import pytest

from stakeholders import selectors, services
from stakeholders.known_accounts import KnownAccount
from stakeholders.models import Engagement, Group, Ownership, Role, Team

pytestmark = pytest.mark.django_db

ACCOUNT = "210987654321"


@pytest.fixture
def owners(db):
    names = ["Tag team", "Category team", "Account team", "Service team"]
    return {name: Team.objects.create(name=name) for name in names}


@pytest.fixture
def claimed(owners):
    services.ownership_create(
        scope_kind="tag", scope_key="team", scope_value="payments", owner_team=owners["Tag team"]
    )
    services.ownership_create(
        scope_kind="cost_category",
        scope_key="Product",
        scope_value="Checkout",
        owner_team=owners["Category team"],
    )
    services.ownership_create(scope_kind="account", scope_value=ACCOUNT, owner_team=owners["Account team"])
    services.ownership_create(
        scope_kind="service", scope_value="AWS Config", owner_team=owners["Service team"]
    )
    return owners


def owner_name(**row):
    match = selectors.cost_owner_for(**row)
    return match.owner.name if match else None


def test_a_claimed_tag_beats_category_account_and_service(claimed):
    row = dict(
        account_id=ACCOUNT,
        service="AWS Config",
        tags={"team": "payments"},
        cost_categories={"Product": "Checkout"},
    )
    assert owner_name(**row) == "Tag team"


def test_a_cost_category_beats_account_and_service(claimed):
    row = dict(
        account_id=ACCOUNT,
        service="AWS Config",
        tags={"team": "unclaimed"},
        cost_categories={"Product": "Checkout"},
    )
    assert owner_name(**row) == "Category team"


def test_the_account_beats_the_service(claimed):
    assert owner_name(account_id=ACCOUNT, service="AWS Config", tags={}) == "Account team"


def test_the_service_is_the_last_resort(claimed):
    assert owner_name(account_id="999999999999", service="AWS Config") == "Service team"


def test_nobody_owns_a_row_outside_every_claim(claimed):
    assert (
        selectors.cost_owner_for(account_id="999999999999", service="Amazon S3", tags={"team": "x"}) is None
    )


def test_within_a_scope_the_primary_claim_decides(owners):
    first = services.ownership_create(
        scope_kind="account", scope_value=ACCOUNT, owner_team=owners["Account team"]
    )
    second = services.ownership_create(
        scope_kind="account", scope_value=ACCOUNT, owner_team=owners["Service team"]
    )
    assert owner_name(account_id=ACCOUNT) == "Account team"
    services.ownership_make_primary(ownership=second)
    assert owner_name(account_id=ACCOUNT) == "Service team"
    assert selectors.cost_owner_for(account_id=ACCOUNT).ownership.pk == second.pk != first.pk


def test_among_several_claimed_tags_the_key_that_sorts_first_decides(owners):
    services.ownership_create(
        scope_kind="tag", scope_key="team", scope_value="payments", owner_team=owners["Tag team"]
    )
    services.ownership_create(
        scope_kind="tag", scope_key="app", scope_value="checkout", owner_team=owners["Account team"]
    )
    assert owner_name(account_id=ACCOUNT, tags={"team": "payments", "app": "checkout"}) == "Account team"


def test_a_stakeholder_can_be_the_owner(person):
    someone = person(group=Group.TECHNOLOGY, role=Role.PRODUCT_OWNER, name="Pat")
    services.ownership_create(scope_kind="account", scope_value=ACCOUNT, owner_stakeholder=someone)
    match = selectors.cost_owner_for(account_id=ACCOUNT, service="x")
    assert match.owner_stakeholder == someone and match.owner_team is None
    assert match.reason == f"primary owner of account {ACCOUNT}"


def test_the_index_answers_many_rows_without_further_queries(claimed, django_assert_num_queries):
    index = selectors.ownership_index()
    with django_assert_num_queries(0):
        for _ in range(50):
            index.owner_for(account_id=ACCOUNT, service="AWS Config", tags={"team": "payments"})


def test_a_scope_claimed_without_a_primary_falls_back_to_the_oldest_claim(owners):
    Ownership.objects.create(scope_kind="account", scope_value=ACCOUNT, owner_team=owners["Account team"])
    assert owner_name(account_id=ACCOUNT) == "Account team"


def test_stakeholder_ownerships_include_their_teams_and_units_teams(person):
    unit = services.team_create(name="Digital", kind=Team.Kind.BUSINESS_UNIT)
    web = services.team_create(name="Web", parent=unit)
    owner = person(group=Group.BUSINESS_UNIT, role=Role.BUSINESS_UNIT_OWNER)
    unit.members.add(owner)
    services.ownership_create(scope_kind="account", scope_value="510987654321", owner_team=web)
    services.ownership_create(scope_kind="service", scope_value="AWS Config", owner_stakeholder=owner)
    assert sorted(o.scope_label for o in selectors.stakeholder_ownerships(owner)) == [
        "account 510987654321",
        "service AWS Config",
    ]


# --- engagement returns -------------------------------------------------------------------------


@pytest.fixture
def consultant(person):
    return person(group=Group.THIRD_PARTY, role=Role.CONSULTANT, name="Cloudwise")


def test_roi_per_period_is_savings_minus_fee_over_fee_in_decimal(consultant):
    engagement = services.engagement_create(
        party=consultant,
        name="Retainer",
        model=Engagement.Model.RETAINER,
        fee=Decimal("4000.00"),
        currency="USD",
        period=Engagement.Period.MONTHLY,
        starts_on=date(2026, 5, 1),
    )
    services.saving_record(engagement=engagement, period_start=date(2026, 5, 1), amount=Decimal("5200.00"))
    services.saving_record(engagement=engagement, period_start=date(2026, 6, 1), amount=Decimal("3000.00"))
    result = selectors.engagement_return(engagement)
    assert [(p.label, p.roi) for p in result.periods] == [
        ("May 2026", Decimal("0.3")),
        ("Jun 2026", Decimal("-0.25")),
    ]
    assert result.savings == Decimal("8200.00") and result.fee == Decimal("8000.00")
    assert result.roi == Decimal("0.025")
    assert result.periods[0].period_end == date(2026, 6, 1)


def test_share_of_savings_fee_grows_with_the_savings(consultant):
    engagement = services.engagement_create(
        party=consultant,
        name="Gainshare",
        model=Engagement.Model.SHARE_OF_SAVINGS,
        fee=Decimal("500.00"),
        savings_share=Decimal("0.2500"),
        currency="EUR",
        period=Engagement.Period.QUARTERLY,
        starts_on=date(2026, 1, 1),
    )
    services.saving_record(engagement=engagement, period_start=date(2026, 4, 1), amount=Decimal("10000.00"))
    (period,) = selectors.engagement_return(engagement).periods
    assert period.fee == Decimal("3000.0000")  # 500 + 25% of 10,000
    assert period.roi == (Decimal("10000.00") - Decimal("3000")) / Decimal("3000")
    assert period.label == "2026 Q2"


def test_an_engagement_without_savings_has_no_stated_roi(consultant):
    engagement = services.engagement_create(
        party=consultant,
        name="Tool",
        model=Engagement.Model.TOOL_SUBSCRIPTION,
        fee=Decimal("12000"),
        currency="USD",
        period=Engagement.Period.YEARLY,
        starts_on=date(2026, 1, 1),
    )
    result = selectors.engagement_return(engagement)
    assert result.roi is None and not result.stated and result.roi_display == "no stated ROI"


# --- readiness ----------------------------------------------------------------------------------


def codes(accounts=()):
    return {check.code for check in selectors.programme_readiness(accounts=accounts).findings}


EVERYTHING = {
    "no_finance_lead",
    "no_technology_lead",
    "no_business_unit_owner",
    "no_engineering_team",
    "accounts_without_owner",
    "third_parties_without_roi",
}


def test_an_empty_programme_misses_every_key_member():
    # Third parties are optional: with none engaged there is no ROI to miss.
    assert codes([KnownAccount(ACCOUNT, "payments-prod")]) == EVERYTHING - {"third_parties_without_roi"}


def test_a_programme_with_a_bare_consultant_misses_everything(consultant):
    assert codes([KnownAccount(ACCOUNT, "payments-prod")]) == EVERYTHING


def test_people_findings_disappear_as_the_groups_are_staffed(person, team):
    person(group=Group.FINANCE, role=Role.CFO)
    assert "no_finance_lead" not in codes()
    person(group=Group.TECHNOLOGY, role=Role.PRODUCT_OWNER)
    assert "no_technology_lead" not in codes()
    person(group=Group.BUSINESS_UNIT, role=Role.BUSINESS_UNIT_OWNER)
    assert "no_business_unit_owner" not in codes()
    engineer = person(group=Group.ENGINEERING, role=Role.ENGINEER)
    assert "no_engineering_team" in codes()  # an engineer outside any team is not a team
    team.members.add(engineer)
    assert "no_engineering_team" not in codes()
    services.stakeholder_set_active(stakeholder=engineer, active=False)
    assert "no_engineering_team" in codes()


def test_an_unowned_account_is_listed_until_someone_claims_it(team):
    accounts = [KnownAccount(ACCOUNT, "payments-prod"), KnownAccount("310987654321", "search-prod")]
    check = next(
        c
        for c in selectors.programme_readiness(accounts=accounts).checks
        if c.code == "accounts_without_owner"
    )
    assert check.missing == ["payments-prod (210987654321)", "search-prod (310987654321)"]
    services.ownership_create(scope_kind="account", scope_value=ACCOUNT, owner_team=team)
    services.ownership_create(scope_kind="account", scope_value="310987654321", owner_team=team)
    assert "accounts_without_owner" not in codes(accounts)


def test_a_tag_claim_does_not_stand_in_for_an_account_owner(team):
    services.ownership_create(scope_kind="tag", scope_key="team", scope_value="payments", owner_team=team)
    assert "accounts_without_owner" in codes([KnownAccount(ACCOUNT)])


def test_a_third_party_without_a_stated_roi_is_listed_until_savings_are_attributed(consultant):
    assert "third_parties_without_roi" in codes()
    engagement = services.engagement_create(
        party=consultant,
        name="Retainer",
        model=Engagement.Model.RETAINER,
        fee=Decimal("4000"),
        currency="USD",
        period=Engagement.Period.MONTHLY,
        starts_on=date(2026, 5, 1),
    )
    check = next(
        c for c in selectors.programme_readiness(accounts=[]).checks if c.code == "third_parties_without_roi"
    )
    assert check.missing == ["Cloudwise, Retainer: no savings attributed"]
    services.saving_record(engagement=engagement, period_start=date(2026, 5, 1), amount=Decimal("4500"))
    assert "third_parties_without_roi" not in codes()
