"""A third party's access follows its engagement's dates: before it starts and from its end (exclusive)
on, the party has no role at all, on pages, through the API with its token, and in what it may see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework.test import APIClient

from common.services import api_token_create
from costdata.permissions import NOTHING, cost_filter
from stakeholders.roles import Role, forget, role_of
from tests.security.conftest import PLATFORM, World

COSTS = "/api/v1/costs/?start=2026-10-01&end=2026-11-01&group_by=account"


def _token_client(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user, name='tool').key}")
    return client


def _dates(world: World, *, starts: int, ends: int | None) -> Any:
    today = timezone.localdate()
    engagement = world.objects["engagement"]
    engagement.starts_on = today + timedelta(days=starts)
    engagement.ends_on = None if ends is None else today + timedelta(days=ends)
    engagement.save(update_fields=["starts_on", "ends_on"])
    user = world.users["thirdparty"]
    forget(user)
    return user


def test_a_third_party_in_its_engagement_reads_the_scopes_it_manages(world: World) -> None:
    user = _dates(world, starts=-30, ends=30)
    assert role_of(user) is Role.THIRD_PARTY
    rows = _token_client(user).get(COSTS).json()["results"]
    assert {row["account"] for row in rows} == {PLATFORM}


def test_on_the_day_its_engagement_ends_a_third_party_has_no_role_and_its_token_reads_nothing(
    world: World,
) -> None:
    user = _dates(world, starts=-300, ends=0)  # ends_on is exclusive: today is the first day without it
    assert role_of(user) is Role.NONE
    assert _token_client(user).get(COSTS).status_code == 403
    assert cost_filter(user).facts == NOTHING, "no cost row is visible"


def test_before_its_engagement_starts_a_third_party_has_no_role(world: World) -> None:
    user = _dates(world, starts=1, ends=None)
    assert role_of(user) is Role.NONE
    assert _token_client(user).get(COSTS).status_code == 403


def test_a_third_partys_calendar_feed_closes_with_its_engagement(world: World) -> None:
    from django.test import Client

    from meetings import services as meeting_services

    _, token = meeting_services.calendar_feed_create(stakeholder=world.people["thirdparty"])
    _dates(world, starts=-30, ends=30)
    assert Client().get(f"/calendar/{token}.ics").status_code == 200
    _dates(world, starts=-300, ends=0)
    assert Client().get(f"/calendar/{token}.ics").status_code == 404
