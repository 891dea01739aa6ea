"""apply_changes: the one way services set a model's fields and learn which changed."""

from __future__ import annotations

import pytest

from common.updates import apply_changes
from stakeholders.models import Team


def team() -> Team:
    return Team(name="Payments", kind=Team.Kind.TEAM, description="Cards and wallets")  # never saved


def test_it_sets_the_fields_that_differ_and_names_them_in_order():
    row = team()
    changed = apply_changes(instance=row, changes={"description": "Cards", "name": "Payments Core"})
    assert changed == ["description", "name"]
    assert (row.name, row.description) == ("Payments Core", "Cards")


def test_a_value_equal_to_the_current_one_is_not_a_change():
    row = team()
    assert apply_changes(instance=row, changes={"name": "Payments", "kind": Team.Kind.TEAM}) == []


def test_it_refuses_a_field_outside_those_allowed_and_sets_nothing():
    row = team()
    with pytest.raises(TypeError, match="unknown fields: parent"):
        apply_changes(instance=row, changes={"name": "Other", "parent": None}, fields=("name", "description"))
    assert row.name == "Payments"


def test_allowed_fields_need_not_all_be_given():
    row = team()
    assert apply_changes(instance=row, changes={"name": "Other"}, fields=("name", "description")) == ["name"]
