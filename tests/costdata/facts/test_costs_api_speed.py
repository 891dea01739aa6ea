"""The costs API's cached pages (costdata.facts.data_cache.response_cached): a repeated page is answered with
the bytes rendered before, for a reader with the same visibility, at the same facts version, and is
still authenticated, permitted and throttled like any other request.

The world is tests/security/conftest.py's: finance, admins and technology leads read the three accounts
(111 100.00, 222 200.00, 333 50.00 in October 2026); the engineer and the business-unit owner read 111
(Payments, in North); the third party reads 333 (its engagement); a login without a stakeholder
record reads nothing.
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.throttling import UserRateThrottle

from common.models import ApiToken
from common.services import api_token_create
from costdata.facts import data_cache
from costdata.models import CostSource, IngestionRun, MonthlyCost
from stakeholders.models import Group, Role, Stakeholder
from tests.security.conftest import MONTH, PAY, PLATFORM, SEARCH, World, build_world

pytestmark = [pytest.mark.django_db]

URL = "/api/v1/costs/?start=2026-10-01&end=2026-11-01&group_by=month,account"
EVERY_ACCOUNT = {PAY: "100.000000000000", SEARCH: "200.000000000000", PLATFORM: "50.000000000000"}
SEES = {
    "admin": EVERY_ACCOUNT,
    "finance": EVERY_ACCOUNT,
    "techlead": EVERY_ACCOUNT,
    "buowner": {PAY: "100.000000000000"},
    "engineer": {PAY: "100.000000000000"},
    "thirdparty": {PLATFORM: "50.000000000000"},
}


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.fixture
def tokens(world: World) -> dict[str, str]:
    return {role: api_token_create(user=user, name="speed").key for role, user in world.users.items()}


def get(client, token: str, url: str = URL, **headers: str):
    return client.get(url, HTTP_AUTHORIZATION=f"Token {token}", **headers)


def amounts(response) -> dict[str, str]:
    assert response.status_code == 200, response.content[:300]
    return {row["account"]: row["amount"] for row in response.json()["results"]}


def fact_reads(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if "costdata_monthlycost" in q["sql"] and "max(id)" not in q["sql"]
    ]


def test_a_repeated_page_is_the_same_response_byte_for_byte(client, tokens):
    first = get(client, tokens["finance"])
    with CaptureQueriesContext(connection) as queries:
        again = get(client, tokens["finance"])
    assert not fact_reads(queries), "served from the cache"
    assert again.content == first.content
    for header in ("Content-Type", "Vary", "Allow"):
        assert again[header] == first[header]
    assert again["Content-Type"] == "application/json"


def test_a_cached_page_costs_the_token_lookup_and_the_facts_version_only(
    client, tokens, django_assert_max_num_queries
):
    get(client, tokens["finance"])  # renders the page and stamps the token's last use
    # Two statements, plus the savepoint (and its release) a read gets inside the test's transaction.
    with django_assert_max_num_queries(4) as queries:
        assert amounts(get(client, tokens["finance"])) == EVERY_ACCOUNT
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 2
    assert '"partnership_apitoken"' in statements[0] and "max(id)" in statements[1]


@pytest.mark.parametrize("restricted", ["buowner", "engineer", "thirdparty", "nobody"])
@pytest.mark.parametrize("restricted_first", [True, False], ids=["restricted first", "finance first"])
def test_two_readers_with_different_visibility_never_share_a_page(
    client, tokens, restricted, restricted_first
):
    order = [restricted, "finance"] if restricted_first else ["finance", restricted]
    for _ in range(2):  # the second round is served from the cache
        for role in order:
            if role == "nobody":
                assert get(client, tokens[role]).status_code == 403
            else:
                assert amounts(get(client, tokens[role])) == SEES[role]


def test_readers_with_the_same_visibility_share_one_rendering(client, tokens):
    """Admins, finance and technology leads read every row: one rendering serves the three."""
    amounts(get(client, tokens["admin"]))
    for role in ("finance", "techlead"):
        with CaptureQueriesContext(connection) as queries:
            assert amounts(get(client, tokens[role])) == EVERY_ACCOUNT
        assert not fact_reads(queries)


def test_each_role_reads_its_rows_from_a_warm_cache(client, tokens):
    for _ in range(2):
        for role, expected in SEES.items():
            assert amounts(get(client, tokens[role])) == expected, role


def pull(world: World, account: str, amount: str) -> None:
    """What a pull's commit leaves: the month's rollup rows replaced (new ids) and a finished run."""
    source = world.objects["source"]
    MonthlyCost.objects.filter(month=MONTH, account_id=account).delete()
    MonthlyCost.objects.create(
        source=source,
        month=MONTH,
        account_id=account,
        service="Amazon EC2",
        unblended=Decimal(amount),
        amortized=Decimal(amount),
        currency="USD",
    )
    IngestionRun.objects.create(
        source=source, status=IngestionRun.Status.SUCCEEDED, finished_at=timezone.now()
    )


def test_a_new_pull_shows_at_once(client, world, tokens):
    assert amounts(get(client, tokens["finance"]))[PAY] == "100.000000000000"
    assert amounts(get(client, tokens["engineer"])) == {PAY: "100.000000000000"}
    pull(world, PAY, "123.45")
    assert amounts(get(client, tokens["finance"]))[PAY] == "123.450000000000"
    assert amounts(get(client, tokens["engineer"])) == {PAY: "123.450000000000"}


def test_the_processes_own_copy_is_never_served_after_new_facts(client, world, tokens):
    """The in-process level alone (the shared cache emptied, as another process would not see it)."""
    from django.core.cache import cache

    amounts(get(client, tokens["finance"]))
    cache.clear()
    pull(world, SEARCH, "7")
    assert amounts(get(client, tokens["finance"]))[SEARCH] == "7.000000000000"


def test_another_process_reads_the_page_from_the_shared_cache(client, tokens):
    amounts(get(client, tokens["finance"]))
    data_cache.clear_local()  # a process that has not rendered the page itself
    with CaptureQueriesContext(connection) as queries:
        assert amounts(get(client, tokens["finance"])) == EVERY_ACCOUNT
    assert not fact_reads(queries)


def test_a_renamed_source_shows_at_once(client, world, tokens):
    url = "/api/v1/costs/?start=2026-10-01&end=2026-11-01&group_by=source"
    assert [r["source"] for r in get(client, tokens["finance"], url).json()["results"]] == ["Demo"]
    CostSource.objects.filter(pk=world.objects["source"].pk).update(name="Renamed")
    assert [r["source"] for r in get(client, tokens["finance"], url).json()["results"]] == ["Renamed"]


def test_a_role_changed_between_two_requests_reads_its_new_rows_at_once(client, world, tokens):
    assert amounts(get(client, tokens["finance"])) == EVERY_ACCOUNT
    Stakeholder.objects.filter(user=world.users["finance"]).update(
        group=Group.ENGINEERING, role=Role.ENGINEER
    )
    # An engineer outside every team, with no claim: no rows (and no page rendered for finance).
    assert amounts(get(client, tokens["finance"])) == {}


def test_a_deleted_token_is_refused_on_a_cached_page(client, world, tokens):
    amounts(get(client, tokens["finance"]))
    ApiToken.objects.filter(user=world.users["finance"]).delete()
    assert get(client, tokens["finance"]).status_code == 401


def test_a_deactivated_user_is_refused_on_a_cached_page(client, world, tokens):
    amounts(get(client, tokens["finance"]))
    world.users["finance"].__class__.objects.filter(pk=world.users["finance"].pk).update(is_active=False)
    assert get(client, tokens["finance"]).status_code == 401


def test_a_cached_page_is_still_throttled(client, tokens, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "3/minute"})
    statuses = [get(client, tokens["finance"]).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("start=2026-10-01&end=2026-09-01&group_by=month", "end"),
        ("start=2026-10-01&end=2026-11-01&group_by=week", "group_by"),
        ("start=2026-10-01&end=2026-11-01&source=nowhere", "source"),
        ("start=2026-10-01&end=2026-11-01&cursor=garbage", "cursor"),
    ],
)
def test_a_bad_parameter_is_refused_every_time_naming_it(client, tokens, query, parameter):
    amounts(get(client, tokens["finance"]))
    for _ in range(2):
        response = get(client, tokens["finance"], f"/api/v1/costs/?{query}")
        assert response.status_code == 400
        assert parameter in response.json()


def test_a_source_deleted_after_a_page_was_cached_is_refused_by_name(client, world, tokens):
    url = "/api/v1/costs/?start=2026-10-01&end=2026-11-01&source=FOCUS"
    assert amounts(get(client, tokens["finance"], url)) == {}
    world.objects["focus_source"].delete()
    response = get(client, tokens["finance"], url)
    assert response.status_code == 400 and "source" in response.json()


def test_links_follow_the_host_each_request_came_to(client, tokens):
    url = "/api/v1/costs/?start=2026-10-01&end=2026-11-01&group_by=account&page_size=1"
    one = get(client, tokens["finance"], url, HTTP_HOST="localhost").json()["next"]
    two = get(client, tokens["finance"], url, HTTP_HOST="127.0.0.1").json()["next"]
    assert one.startswith("http://localhost/") and two.startswith("http://127.0.0.1/")


def test_the_browsable_api_is_not_answered_with_cached_json(client, tokens):
    amounts(get(client, tokens["finance"]))
    response = get(client, tokens["finance"], HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")


def test_an_indented_json_request_gets_its_own_rendering(client, tokens):
    compact = get(client, tokens["finance"])
    indented = get(client, tokens["finance"], HTTP_ACCEPT="application/json; indent=2")
    assert b"\n  " in indented.content and b"\n" not in compact.content
    assert indented.json() == compact.json()


def test_pages_are_not_kept_when_the_page_cache_is_off(client, tokens, settings):
    settings.API_PAGE_CACHE_SECONDS = 0
    amounts(get(client, tokens["finance"]))
    with CaptureQueriesContext(connection) as queries:
        amounts(get(client, tokens["finance"]))
    assert fact_reads(queries)


def renderings(monkeypatch) -> list[int]:
    """Counts the pages the costs API validates, aggregates and serializes (cache misses)."""
    from costdata.facts.apis import CostViewSet

    made: list[int] = []
    page = CostViewSet._page

    def counted(self, request, visible):
        made.append(1)
        return page(self, request, visible)

    monkeypatch.setattr(CostViewSet, "_page", counted)
    return made


def test_a_page_older_than_the_cache_seconds_is_rendered_again(client, tokens, settings, monkeypatch):
    settings.API_PAGE_CACHE_SECONDS = 30
    made = renderings(monkeypatch)
    amounts(get(client, tokens["finance"]))
    amounts(get(client, tokens["finance"]))
    assert len(made) == 1
    later = time.time() + 31
    monkeypatch.setattr(data_cache.time, "time", lambda: later)
    amounts(get(client, tokens["finance"]))
    assert len(made) == 2


def test_an_unkeyable_visibility_is_answered_uncached(monkeypatch):
    from django.db.models import OuterRef, Q, Subquery

    from costdata.models import DailyCost

    calls = []
    condition = Q(account_id__in=Subquery(DailyCost.objects.filter(pk=OuterRef("pk")).values("account_id")))
    for _ in range(2):
        data_cache.response_cached(
            "t", (condition,), lambda: calls.append(1) or b"x", version="v", seconds=60
        )
    assert len(calls) == 2


def test_the_month_rows_are_unchanged_by_the_cache(client, tokens):
    """The contract (issue 4): one field per grouping, the amount as a decimal string, currency, estimated."""
    for _ in range(2):
        body = get(client, tokens["finance"]).json()
        assert body["next"] is None and body["previous"] is None
        assert body["results"][0] == {
            "month": date(2026, 10, 1).isoformat(),
            "account": PAY,
            "amount": "100.000000000000",
            "currency": "USD",
            "estimated": False,
        }


def test_an_engineer_in_no_team_reads_an_empty_page_twice(client, django_user_model):
    """Nothing visible is a condition Django cannot write as SQL; the page is empty, not an error."""
    build_world()
    user = django_user_model.objects.create_user("loner", password="a-long-test-password-1")
    Stakeholder.objects.create(
        name="Lone", email="lone@example.com", group=Group.ENGINEERING, role=Role.ENGINEER, user=user
    )
    key = api_token_create(user=user, name="speed").key
    for _ in range(2):
        body = get(client, key).json()
        assert body == {"next": None, "previous": None, "results": []}


def test_a_kept_page_is_what_drf_renders_without_the_cache(client, tokens, settings):
    settings.API_PAGE_CACHE_SECONDS = 0
    plain = get(client, tokens["finance"])
    settings.API_PAGE_CACHE_SECONDS = 600
    rendered, kept = get(client, tokens["finance"]), get(client, tokens["finance"])
    for response in (rendered, kept):
        assert response.content == plain.content
        for header in ("Content-Type", "Vary", "Allow", "Content-Length", "X-Frame-Options"):
            assert response.get(header) == plain.get(header), header
