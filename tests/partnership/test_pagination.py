"""Keyset (cursor) pagination of the large lists: no COUNT, no OFFSET, every row exactly once."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from costdata.facts.services import daily_rollup_rebuild
from costdata.models import CostSource, DailyCost, IngestionRun, Variance

pytestmark = pytest.mark.django_db

DAYS = [date(2026, 10, 1) + timedelta(days=d) for d in range(4)]
ACCOUNTS = [f"{100000000000 + a:012d}" for a in range(9)]


@pytest.fixture
def api() -> APIClient:
    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_superuser("admin", password="x"))
    return client


@pytest.fixture
def source() -> CostSource:
    return CostSource.objects.create(name="Paged", kind=CostSource.Kind.DEMO)


@pytest.fixture
def costs(source) -> list[tuple[str, str, str]]:
    """4 days x 9 accounts, one account billed in two currencies: (day, account, currency) keys in order."""
    rows, keys = [], []
    for day in DAYS:
        for account in ACCOUNTS:
            for currency in ("EUR", "USD") if account == ACCOUNTS[3] else ("USD",):
                rows.append(
                    DailyCost(
                        source=source,
                        day=day,
                        account_id=account,
                        service="Amazon S3",
                        unblended=Decimal("1.5"),
                        amortized=Decimal("1.5"),
                        currency=currency,
                    )
                )
                keys.append((day.isoformat(), account, currency))
    DailyCost.objects.bulk_create(rows)
    rollups_rebuilt(source)  # the costs API reads the daily rollups
    return keys


def walk(api: APIClient, url: str, params: dict) -> tuple[list[dict], list[dict]]:
    """Every row following `next` from the first page, then every row following `previous` back from the last."""
    forwards, response = [], api.get(url, params)
    while True:
        assert response.status_code == 200, response.json()
        body = response.json()
        forwards.extend(body["results"])
        if body["next"] is None:
            break
        response = api.get(body["next"])
    backwards = list(reversed(body["results"]))
    while body["previous"] is not None:
        body = api.get(body["previous"]).json()
        backwards.extend(reversed(body["results"]))
    return forwards, list(reversed(backwards))


def counts(queries: CaptureQueriesContext) -> list[str]:
    """Statements that count rows, as a page-number paginator's `count` does (also over a subquery)."""
    return [
        q["sql"] for q in queries.captured_queries if q["sql"].upper().lstrip().startswith("SELECT COUNT(")
    ]


FACT_TABLES = re.compile(r"costdata_(daily|dailyaccount|dailyservice|monthly)cost")


def fact_reads(queries: CaptureQueriesContext) -> list[str]:
    """Statements reading the facts or their rollups for rows (the version query only takes the ends of
    their indexes)."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if FACT_TABLES.search(q["sql"]) and "max(id)" not in q["sql"]
    ]


def rollups_rebuilt(source: CostSource) -> None:
    """What every writer of the facts does in the same transaction (costdata.facts.services)."""
    daily_rollup_rebuild(source=source, start=DAYS[0], end=DAYS[-1] + timedelta(days=1))


def cost_key(row: dict) -> tuple[str, str, str]:
    return (row["day"], row["account"], row["currency"])


def test_a_cost_list_page_issues_no_count_query(api, costs):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(
            "/api/v1/costs/", {"start": "2026-10-01", "end": "2026-10-05", "group_by": "day,account"}
        )
    assert response.status_code == 200 and len(response.json()["results"]) == len(costs)
    assert not counts(queries)
    assert len(fact_reads(queries)) == 1


def test_cursors_walk_every_cost_row_exactly_once_in_key_order(api, costs):
    forwards, backwards = walk(
        api,
        "/api/v1/costs/",
        {"start": "2026-10-01", "end": "2026-10-05", "group_by": "day,account", "page_size": 4},
    )
    assert [cost_key(row) for row in forwards] == costs  # 37 rows: the two-currency account straddles pages
    assert backwards == forwards


def test_a_later_cost_page_reads_only_the_rows_after_its_cursor(api, costs):
    first = api.get(
        "/api/v1/costs/",
        {"start": "2026-10-01", "end": "2026-10-05", "group_by": "day,account", "page_size": 10},
    ).json()
    with CaptureQueriesContext(connection) as queries:
        api.get(first["next"])
    facts = fact_reads(queries)
    assert len(facts) == 1 and "OFFSET" not in facts[0].upper() and not counts(queries)


def test_cursors_walk_every_run_once_when_start_times_tie(api, source):
    started = timezone.now()
    IngestionRun.objects.bulk_create(
        IngestionRun(
            source=source,
            status=IngestionRun.Status.SUCCEEDED,
            window_start=date(2026, 10, 1),
            window_end=date(2026, 10, 2),
            started_at=started - timedelta(hours=n // 5),  # five runs share each start time
        )
        for n in range(23)
    )
    expected = list(IngestionRun.objects.order_by("-started_at", "-id").values_list("pk", flat=True))
    for url in ("/api/v1/runs/", f"/api/v1/sources/{source.pk}/runs/"):
        with CaptureQueriesContext(connection) as queries:
            api.get(url, {"page_size": 4})
        assert not counts(queries)
        forwards, backwards = walk(api, url, {"page_size": 4})
        assert [row["id"] for row in forwards] == expected
        assert backwards == forwards


def make_variances() -> list[Variance]:
    """Eleven variances over two months; due dates tie, and three have none (NULLs in the sort key)."""
    due = datetime(2026, 12, 1, tzinfo=UTC)
    dues = [due, None, due, due + timedelta(days=1), None, due, None, due + timedelta(days=2), due, due, due]
    return [
        Variance.objects.create(
            natural_key=f"variance-{n}",
            scope_type="account",
            scope_value=ACCOUNTS[n % len(ACCOUNTS)],
            month=date(2026, 10 + n % 2, 1),
            kind=Variance.Kind.SPIKE,
            currency="USD",
            observed=Decimal(100 + n),
            reference=Decimal(100),
            difference=Decimal(n),
            actual_to_date=Decimal(100 + n),
            due_at=due_at,
        )
        for n, due_at in enumerate(dues)
    ]


@pytest.mark.parametrize("ordering", [None, "due_at", "-due_at", "month", "-detected_at"])
def test_cursors_walk_every_variance_once_whatever_the_ordering_even_through_nulls(api, ordering):
    variances = make_variances()
    params = {"page_size": 3} | ({"ordering": ordering} if ordering else {})
    with CaptureQueriesContext(connection) as queries:
        api.get("/api/v1/variances/", params)
    assert not counts(queries)
    forwards, backwards = walk(api, "/api/v1/variances/", params)
    ids = [row["id"] for row in forwards]
    assert sorted(ids) == sorted(v.pk for v in variances)  # every row, none twice
    assert backwards == forwards
    unpaged = api.get("/api/v1/variances/", params | {"page_size": 100}).json()["results"]
    assert ids == [row["id"] for row in unpaged]  # pages in the same order as one long page
    if ordering == "due_at":
        nulls = [row["due_at"] is None for row in forwards]
        assert nulls == sorted(nulls)  # NULLs last, whichever way the page was read


def test_a_tampered_cursor_is_a_400_naming_the_cursor(api, costs):
    params = {"start": "2026-10-01", "end": "2026-10-05", "group_by": "day,account"}
    for cursor in ("not-base64!", "eyJ4IjoxfQ", "W10"):
        response = api.get("/api/v1/costs/", params | {"cursor": cursor})
        assert response.status_code == 400 and "cursor" in response.json()


def test_a_forged_cursor_with_a_value_of_the_wrong_type_is_a_400(api, costs):
    params = {"start": "2026-10-01", "end": "2026-10-05", "group_by": "day,account"}
    for values in (["2026-13-45", ACCOUNTS[0], "USD"], [2**70, ACCOUNTS[0], "USD"], [1.5, "x", "USD"]):
        payload = json.dumps({"o": "k_day,k_account,currency", "v": values, "b": 0}).encode()
        cursor = base64.urlsafe_b64encode(payload).decode()
        response = api.get("/api/v1/costs/", params | {"cursor": cursor})
        assert response.status_code == 400 and response.json()["cursor"] == ["Invalid cursor."], values


def test_a_cursor_from_another_ordering_is_refused(api):
    make_variances()
    by_due = api.get("/api/v1/variances/", {"ordering": "due_at", "page_size": 2}).json()
    cursor = by_due["next"].split("cursor=")[1].split("&")[0]
    response = api.get("/api/v1/variances/", {"ordering": "month", "cursor": cursor})
    assert response.status_code == 400 and "another ordering" in response.json()["cursor"][0]


def test_page_size_is_capped_and_must_be_a_positive_number(api, costs):
    params = {"start": "2026-10-01", "end": "2026-10-05", "group_by": "day,account"}
    assert len(api.get("/api/v1/costs/", params | {"page_size": 100000}).json()["results"]) == len(costs)
    for bad in ("0", "-3", "ten"):
        response = api.get("/api/v1/costs/", params | {"page_size": bad})
        assert response.status_code == 400 and "page_size" in response.json()


def test_the_schema_documents_the_cursor_pages(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("/api/v1/costs/", "/api/v1/runs/", "/api/v1/variances/", "/api/v1/sources/{id}/runs/"):
        operation = schema["paths"][path]["get"]
        assert {"cursor", "page_size"} <= {p["name"] for p in operation["parameters"]}, path
        assert "page" not in {p["name"] for p in operation["parameters"]}, path
        page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        assert set(schema["components"]["schemas"][page]["properties"]) == {"next", "previous", "results"}, (
            path
        )


# --- the costs API's page cache (see common.pagination.KeysetPagination.fetch) ----------------------
COSTS = {"start": "2026-10-01", "end": "2026-10-05", "group_by": "day,account"}


def test_a_repeated_costs_page_comes_from_the_cache_until_the_facts_change(api, costs, source):
    first = api.get("/api/v1/costs/", COSTS).json()
    with CaptureQueriesContext(connection) as queries:
        again = api.get("/api/v1/costs/", COSTS).json()
    assert again == first and not fact_reads(queries)
    DailyCost.objects.create(
        source=source,
        day=DAYS[0],
        account_id="000000000001",
        service="Amazon S3",
        unblended=Decimal("7"),
        amortized=Decimal("7"),
        currency="USD",
    )
    rollups_rebuilt(source)
    with CaptureQueriesContext(connection) as queries:
        fresh = api.get("/api/v1/costs/", COSTS).json()
    assert fact_reads(queries)
    assert fresh["results"][0] | {"amount": None} == {
        "day": "2026-10-01",
        "account": "000000000001",
        "currency": "USD",
        "amount": None,
        "estimated": False,
    }


def test_cached_pages_never_cross_filters_or_a_renamed_source(api, costs, source):
    one = api.get("/api/v1/costs/", COSTS | {"account": ACCOUNTS[0]}).json()["results"]
    two = api.get("/api/v1/costs/", COSTS | {"account": ACCOUNTS[1]}).json()["results"]
    assert {r["account"] for r in one} == {ACCOUNTS[0]} and {r["account"] for r in two} == {ACCOUNTS[1]}
    by_source = {"start": "2026-10-01", "end": "2026-10-05", "group_by": "source"}
    assert [r["source"] for r in api.get("/api/v1/costs/", by_source).json()["results"]] == ["Paged", "Paged"]
    CostSource.objects.filter(pk=source.pk).update(name="Renamed")
    assert [r["source"] for r in api.get("/api/v1/costs/", by_source).json()["results"]] == [
        "Renamed",
        "Renamed",
    ]


def test_a_window_replaced_by_fewer_rows_is_not_served_from_the_cache(api, costs, source):
    assert {r["day"] for r in api.get("/api/v1/costs/", COSTS).json()["results"]} >= {"2026-10-01"}
    # A pull that finds nothing for a day deletes its rows and records its run (the facts' newest id stays).
    DailyCost.objects.filter(day=DAYS[0]).delete()
    rollups_rebuilt(source)
    IngestionRun.objects.create(
        source=source, status=IngestionRun.Status.SUCCEEDED, window_start=DAYS[0], window_end=DAYS[1]
    )
    assert "2026-10-01" not in {r["day"] for r in api.get("/api/v1/costs/", COSTS).json()["results"]}
