"""The write rules: role in group, account ids, one primary per scope, engagements and savings."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from audit.models import AuditLogEntry
from stakeholders import services
from stakeholders.models import (
    AttributedSaving,
    Engagement,
    Group,
    Ownership,
    Role,
    Stakeholder,
    Team,
)

pytestmark = pytest.mark.django_db


# --- stakeholders -------------------------------------------------------------------------------


def test_a_role_outside_the_group_is_refused_naming_the_role_and_nothing_is_saved():
    with pytest.raises(ValidationError) as caught:
        services.stakeholder_create(
            name="Ann", email="ann@example.com", group=Group.FINANCE, role=Role.ENGINEER
        )
    assert "role" in caught.value.message_dict
    assert "not a role in the Finance group" in caught.value.message_dict["role"][0]
    assert not Stakeholder.objects.exists()


def test_the_database_refuses_a_role_outside_the_group_too():
    with pytest.raises(IntegrityError), transaction.atomic():
        Stakeholder.objects.create(
            name="Ann", email="ann@example.com", group=Group.FINANCE, role=Role.CONSULTANT
        )


def test_changing_group_without_role_is_refused(person):
    someone = person(group=Group.FINANCE, role=Role.CFO)
    with pytest.raises(ValidationError) as caught:
        services.stakeholder_update(stakeholder=someone, group=Group.ENGINEERING)
    assert "role" in caught.value.message_dict
    someone.refresh_from_db()
    assert someone.group == Group.FINANCE


def test_stakeholder_create_sets_teams_and_records_an_audit_row(team):
    ann = services.stakeholder_create(
        name="Ann", email="Ann@Example.com", group=Group.FINANCE, role=Role.CFO, teams=[team]
    )
    assert ann.email == "ann@example.com"
    assert list(ann.teams.all()) == [team]
    assert AuditLogEntry.objects.get_for_object(ann).filter(action=AuditLogEntry.Action.CREATE).exists()


def test_stakeholder_update_records_only_what_changed(person, team):
    someone = person(group=Group.ENGINEERING, role=Role.ENGINEER)
    services.stakeholder_update(stakeholder=someone, title="Staff engineer", role=Role.ENGINEER, teams=[team])
    entries = AuditLogEntry.objects.get_for_object(someone).filter(action=AuditLogEntry.Action.UPDATE)
    changed = [field for entry in entries for field in entry.changes]
    assert sorted(changed) == ["members", "title"]  # the new team membership is logged as an m2m change


def test_deactivating_keeps_the_person_and_is_idempotent(person):
    someone = person()
    services.stakeholder_set_active(stakeholder=someone, active=False)
    services.stakeholder_set_active(stakeholder=someone, active=False)
    someone.refresh_from_db()
    assert someone.active is False
    updates = AuditLogEntry.objects.get_for_object(someone).filter(action=AuditLogEntry.Action.UPDATE)
    assert [entry.changes for entry in updates] == [{"active": ["True", "False"]}]


# --- teams --------------------------------------------------------------------------------------


def test_a_team_belongs_only_to_a_business_unit(team, other_team):
    with pytest.raises(ValidationError) as caught:
        services.team_create(name="Checkout", parent=team)
    assert "parent" in caught.value.message_dict
    assert not Team.objects.filter(name="Checkout").exists()


def test_a_business_unit_with_teams_cannot_be_deleted():
    unit = services.team_create(name="Digital", kind=Team.Kind.BUSINESS_UNIT)
    services.team_create(name="Web", parent=unit)
    with pytest.raises(ValidationError):
        services.team_delete(team=unit)
    assert Team.objects.filter(pk=unit.pk).exists()


# --- ownership ----------------------------------------------------------------------------------


def test_a_thirteen_digit_account_id_is_refused_naming_the_field_and_nothing_is_saved(team):
    audit_rows = AuditLogEntry.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.ownership_create(scope_kind="account", scope_value="2109876543210", owner_team=team)
    assert list(caught.value.message_dict) == ["scope_value"]
    assert "12 digits" in caught.value.message_dict["scope_value"][0]
    assert not Ownership.objects.exists()
    assert AuditLogEntry.objects.count() == audit_rows


def test_the_database_refuses_a_malformed_account_id_too(team):
    with pytest.raises(IntegrityError), transaction.atomic():
        Ownership.objects.create(scope_kind="account", scope_value="12345", owner_team=team, is_primary=True)


def test_a_tag_scope_needs_a_key(team):
    with pytest.raises(ValidationError) as caught:
        services.ownership_create(scope_kind="tag", scope_value="payments", owner_team=team)
    assert "scope_key" in caught.value.message_dict


def test_an_ownership_needs_exactly_one_owner(team, person):
    with pytest.raises(ValidationError):
        services.ownership_create(scope_kind="service", scope_value="AWS Config")
    with pytest.raises(ValidationError):
        services.ownership_create(
            scope_kind="service", scope_value="AWS Config", owner_team=team, owner_stakeholder=person()
        )
    assert not Ownership.objects.exists()


def test_the_first_claim_on_a_scope_is_primary_even_when_not_asked(team):
    claim = services.ownership_create(
        scope_kind="account", scope_value="210987654321", owner_team=team, is_primary=False
    )
    assert claim.is_primary


def test_overlapping_claims_are_allowed_as_secondary(team, other_team):
    services.ownership_create(scope_kind="account", scope_value="210987654321", owner_team=team)
    second = services.ownership_create(
        scope_kind="account", scope_value="210987654321", owner_team=other_team
    )
    assert second.is_primary is False
    assert Ownership.objects.filter(scope_value="210987654321").count() == 2


def test_a_second_primary_on_a_scope_is_refused_and_nothing_is_saved(team, other_team):
    services.ownership_create(scope_kind="tag", scope_key="team", scope_value="payments", owner_team=team)
    with pytest.raises(ValidationError) as caught:
        services.ownership_create(
            scope_kind="tag", scope_key="team", scope_value="payments", owner_team=other_team, is_primary=True
        )
    assert "is_primary" in caught.value.message_dict
    assert "already has a primary owner (Payments)" in caught.value.message_dict["is_primary"][0]
    assert Ownership.objects.count() == 1


def test_the_database_allows_only_one_primary_per_scope(team, other_team):
    Ownership.objects.create(scope_kind="service", scope_value="AWS Config", owner_team=team, is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ownership.objects.create(
            scope_kind="service", scope_value="AWS Config", owner_team=other_team, is_primary=True
        )


def test_the_same_owner_cannot_claim_a_scope_twice(team):
    services.ownership_create(scope_kind="service", scope_value="AWS Config", owner_team=team)
    with pytest.raises(ValidationError):
        services.ownership_create(scope_kind="service", scope_value="AWS Config", owner_team=team)


def test_make_primary_hands_the_scope_over_and_keeps_one_primary(team, other_team):
    first = services.ownership_create(scope_kind="account", scope_value="210987654321", owner_team=team)
    second = services.ownership_create(
        scope_kind="account", scope_value="210987654321", owner_team=other_team
    )
    services.ownership_make_primary(ownership=second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_primary, second.is_primary) == (False, True)
    assert Ownership.objects.filter(scope_value="210987654321", is_primary=True).count() == 1


def test_the_primary_claim_cannot_be_released_while_others_claim_the_scope(team, other_team):
    first = services.ownership_create(scope_kind="account", scope_value="210987654321", owner_team=team)
    second = services.ownership_create(
        scope_kind="account", scope_value="210987654321", owner_team=other_team
    )
    with pytest.raises(ValidationError) as caught:
        services.ownership_delete(ownership=first)
    assert "Search" in caught.value.message_dict["is_primary"][0]
    services.ownership_delete(ownership=second)
    services.ownership_delete(ownership=first)
    assert not Ownership.objects.exists()


# --- engagements --------------------------------------------------------------------------------


@pytest.fixture
def consultant(person):
    return person(group=Group.THIRD_PARTY, role=Role.CONSULTANT, name="Cloudwise")


def _engagement(party, **overrides):
    terms = dict(
        party=party,
        name="Rightsizing",
        model=Engagement.Model.RETAINER,
        fee=Decimal("4000.00"),
        currency="usd",
        period=Engagement.Period.MONTHLY,
        starts_on=date(2026, 5, 1),
    )
    terms.update(overrides)
    return services.engagement_create(**terms)


def test_an_engagement_party_must_be_a_third_party(person):
    with pytest.raises(ValidationError) as caught:
        _engagement(person(group=Group.FINANCE, role=Role.CFO))
    assert "party" in caught.value.message_dict
    assert not Engagement.objects.exists()


def test_share_of_savings_needs_a_share_and_others_must_not_have_one(consultant):
    with pytest.raises(ValidationError) as caught:
        _engagement(consultant, model=Engagement.Model.SHARE_OF_SAVINGS, fee=Decimal("0"))
    assert "savings_share" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        _engagement(consultant, savings_share=Decimal("0.2"))
    assert "savings_share" in caught.value.message_dict


def test_engagement_scopes_are_validated_naming_the_row(consultant):
    with pytest.raises(ValidationError) as caught:
        _engagement(consultant, scopes=[{"scope_kind": "account", "scope_value": "2109876543210"}])
    assert "scopes[0].scope_value" in caught.value.message_dict
    assert not Engagement.objects.exists()


def test_engagement_create_keeps_scopes_and_upper_cases_currency(consultant):
    engagement = _engagement(
        consultant,
        scopes=[
            {"scope_kind": "account", "scope_value": "210987654321"},
            {"scope_kind": "tag", "scope_key": "team", "scope_value": "payments"},
        ],
    )
    assert engagement.currency == "USD"
    assert sorted(str(s) for s in engagement.scopes.all()) == ["account 210987654321", "tag team=payments"]


def test_savings_for_a_misaligned_period_are_refused(consultant):
    engagement = _engagement(consultant, period=Engagement.Period.QUARTERLY, starts_on=date(2026, 4, 1))
    with pytest.raises(ValidationError) as caught:
        services.saving_record(engagement=engagement, period_start=date(2026, 5, 1), amount=Decimal("10"))
    assert "period_start" in caught.value.message_dict
    assert not AttributedSaving.objects.exists()


def test_savings_before_the_engagement_started_are_refused(consultant):
    engagement = _engagement(consultant)
    with pytest.raises(ValidationError):
        services.saving_record(engagement=engagement, period_start=date(2026, 3, 1), amount=Decimal("10"))


def test_recording_a_period_again_replaces_its_figure(consultant):
    engagement = _engagement(consultant)
    services.saving_record(engagement=engagement, period_start=date(2026, 6, 1), amount=Decimal("5000.00"))
    services.saving_record(engagement=engagement, period_start=date(2026, 6, 1), amount=Decimal("5200.50"))
    assert list(engagement.savings.values_list("amount", flat=True)) == [Decimal("5200.50")]


def test_changing_the_period_is_refused_when_recorded_savings_would_not_fit(consultant):
    engagement = _engagement(consultant)
    services.saving_record(engagement=engagement, period_start=date(2026, 6, 1), amount=Decimal("5000"))
    with pytest.raises(ValidationError) as caught:
        services.engagement_update(engagement=engagement, period=Engagement.Period.QUARTERLY)
    assert "period" in caught.value.message_dict
    engagement.refresh_from_db()
    assert engagement.period == Engagement.Period.MONTHLY
