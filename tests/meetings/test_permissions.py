import pytest

from meetings import permissions
from meetings.services import action_item_create

MANAGERS = {"admin", "finance", "techlead"}
EVERYONE = ["admin", "finance", "techlead", "buowner", "engineer", "engineer2", "consultant", "outsider"]


@pytest.mark.parametrize("role", EVERYONE)
def test_the_organisation_reads_and_outsiders_do_not(people, role):
    assert permissions.can_read(people[role].user) == (role not in {"consultant", "outsider"})


def test_anonymous_users_read_nothing():
    from django.contrib.auth.models import AnonymousUser

    assert not permissions.can_read(AnonymousUser())
    assert not permissions.can_manage_programme(AnonymousUser())


@pytest.mark.parametrize("role", EVERYONE)
def test_only_admins_and_finance_and_technology_leads_manage_the_programme(people, role):
    assert permissions.can_manage_programme(people[role].user) == (role in MANAGERS)


@pytest.mark.parametrize("role", EVERYONE)
def test_an_action_item_is_edited_by_managers_and_its_owner(people, role):
    item = action_item_create(title="x", owner=people["engineer"].stakeholder, notify=False)
    assert permissions.can_edit_action_item(people[role].user, item) == (role in MANAGERS | {"engineer"})


@pytest.mark.parametrize("role", EVERYONE)
def test_only_managers_reassign_action_items(people, role):
    assert permissions.can_reassign_action_item(people[role].user) == (role in MANAGERS)


def test_an_inactive_stakeholder_loses_their_lead_rights(people):
    finance = people["finance"]
    finance.stakeholder.active = False
    finance.stakeholder.save(update_fields=["active"])
    finance.user.refresh_from_db()
    assert not permissions.can_manage_programme(finance.user)


@pytest.mark.parametrize("role", EVERYONE)
def test_a_stakeholder_feed_is_managed_by_managers_and_that_stakeholder(people, role):
    subject = people["engineer"].stakeholder
    assert permissions.can_manage_feed(people[role].user, subject) == (role in MANAGERS | {"engineer"})
