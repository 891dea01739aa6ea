"""Nothing tells a restricted reader what exists beyond what it may see: a team it may not see and a team
no one has answer alike, an unknown source filter is an empty answer, the home page names no source."""

from __future__ import annotations

from django.test import Client
from rest_framework.test import APIClient

from tests.security.conftest import World

COSTS = "/api/v1/costs/?start=2026-10-01&end=2026-11-01&group_by=account"


def _browser(world: World, role: str) -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


def _api(world: World, role: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(world.users[role])
    return client


def test_a_team_filter_for_a_team_one_may_not_see_answers_as_for_no_team(world: World) -> None:
    engineer = _browser(world, "engineer")
    hidden, missing = world.teams["search"].pk, 999_999
    answers = [engineer.get(f"/dashboards/?team={team}") for team in (hidden, missing)]
    assert [a.status_code for a in answers] == [404, 404]
    assert "Search" not in answers[0].content.decode()
    units = [
        engineer.get(f"/dashboards/?business_unit={unit}") for unit in (world.teams["south"].pk, 999_998)
    ]
    assert [a.status_code for a in units] == [404, 404]
    assert engineer.get(f"/dashboards/?team={world.teams['payments'].pk}").status_code == 200


def test_a_team_scope_page_for_no_team_is_a_404_like_one_not_visible(world: World) -> None:
    engineer = _browser(world, "engineer")
    assert engineer.get("/dashboards/team/999999/").status_code == 404
    assert engineer.get(f"/dashboards/team/{world.teams['search'].pk}/").status_code == 404


def test_an_unknown_source_is_an_empty_answer_for_readers_who_may_not_list_sources(world: World) -> None:
    engineer = _api(world, "engineer")
    unknown = engineer.get(COSTS + "&source=Nope")
    known = engineer.get(COSTS + "&source=Demo")
    assert unknown.status_code == 200 and unknown.json()["results"] == []
    assert known.status_code == 200
    finance = _api(world, "finance").get(COSTS + "&source=Nope")
    assert finance.status_code == 400 and "no source named" in str(finance.json()["source"])


def test_the_home_page_names_the_last_pull_source_only_to_those_who_read_sources(world: World) -> None:
    from datetime import date

    from django.utils import timezone

    from costdata.models import IngestionRun

    IngestionRun.objects.create(
        source=world.objects["source"],
        status=IngestionRun.Status.SUCCEEDED,
        rows_written=4242,
        window_start=date(2026, 10, 1),
        window_end=date(2026, 11, 1),
        finished_at=timezone.now(),
    )
    engineer = _browser(world, "engineer").get("/").content.decode()
    link = f'href="/costs/sources/{world.objects["source"].pk}/"'
    assert "4242 rows" not in engineer and link not in engineer
    assert "Cost data last refreshed" in engineer
    finance = _browser(world, "finance").get("/").content.decode()
    assert "4242 rows" in finance and link in finance


def test_budget_line_counts_count_only_the_lines_the_reader_may_see(world: World) -> None:
    from costdata.models import BudgetLine

    budget, version = world.objects["budget"], world.objects["version"]
    every = BudgetLine.objects.filter(version=version).count()

    def count(role: str) -> int:
        body = _api(world, role).get(f"/api/v1/budgets/{budget.pk}/").json()
        return {v["id"]: v["line_count"] for v in body["versions"]}[version.pk]

    assert count("finance") == every
    engineer = count("engineer")
    assert 0 < engineer < every, "the engineer's team's lines only"
    assert (
        _api(world, "engineer").get(f"/api/v1/budget-versions/{version.pk}/").json()["line_count"] == engineer
    )
    page = _browser(world, "engineer").get(f"/costs/budgets/{budget.pk}/").content.decode()
    assert f"<td>{engineer}</td>" in page and f"<td>{every}</td>" not in page
