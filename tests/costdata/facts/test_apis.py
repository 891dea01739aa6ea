"""GET /api/v1/costs/ (the contract integrations rely on) and the sources API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from costdata import tasks
from costdata.facts import selectors
from costdata.facts.serializers import CostQuerySerializer
from costdata.ingestion import services
from costdata.ingestion.cost_explorer import CostRow, NormalisedResult
from costdata.models import CostSource, IngestionRun, MonthlyCost
from tests.costdata.conftest import finance_reader

A1, A2 = "111111111111", "222222222222"


def load(source: CostSource, start: date, end: date, rows: list[tuple], tags: dict | None = None) -> None:
    """Write facts through the same window replace a pull uses: (day, account, service, unblended, amortized[, est])."""

    def result(items, estimated_days=()):
        return NormalisedResult(
            rows=[
                CostRow(r[0], (r[1], r[2]), "USD", Decimal(r[3]), Decimal(r[4]), r[0] in estimated_days)
                for r in items
            ]
        )

    estimated = {r[0] for r in rows if len(r) > 5 and r[5]}
    pulled = services.pull_result_from_rows(
        source_id=source.pk,
        start=start,
        end=end,
        service=result(rows, estimated),
        tags={key: result(items, estimated) for key, items in (tags or {}).items()},
    )
    services.cost_window_replace(source=source, start=start, end=end, result=pulled)
    pulled.close()


@pytest.fixture
def user(db):
    return finance_reader(password="x")


@pytest.fixture
def admin(db):
    return get_user_model().objects.create_user("boss", password="x", is_staff=True)


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def admin_api(admin) -> APIClient:
    client = APIClient()
    client.force_authenticate(admin)
    return client


@pytest.fixture
def costs(db):
    payer = services.source_create(name="Payer", kind=CostSource.Kind.AWS_COST_EXPLORER)
    other = services.source_create(name="Other", kind=CostSource.Kind.AWS_COST_EXPLORER)
    load(
        payer,
        date(2026, 10, 1),
        date(2026, 11, 20),
        [
            (date(2026, 10, 1), A1, "AWS Lambda", "1.000000000001", "0.5"),
            (date(2026, 10, 31), A1, "AWS Lambda", "2", "2"),
            (date(2026, 10, 31), A2, "Amazon S3", "-0.25", "-0.25"),
            (date(2026, 11, 1), A1, "AWS Lambda", "3.3333333333", "3"),
            (date(2026, 11, 19), A2, "Amazon S3", "4", "4", True),
        ],
        tags={
            "team": [
                (date(2026, 10, 1), A1, "payments", "1.000000000001", "0.5"),
                (date(2026, 10, 31), A1, "payments", "2", "2"),
                (date(2026, 10, 31), A2, "", "-0.25", "-0.25"),
            ]
        },
    )
    load(other, date(2026, 10, 1), date(2026, 10, 2), [(date(2026, 10, 1), A1, "AWS Lambda", "10", "10")])
    return payer, other


def get(api: APIClient, **params):
    return api.get("/api/v1/costs/", params)


def test_costs_by_month_and_service_are_exact_sorted_and_say_what_is_estimated(api, costs):
    response = get(api, start="2026-10-01", end="2026-12-01", group_by="month,service")
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "month": "2026-10-01",
            "service": "AWS Lambda",
            "amount": "13.000000000001",
            "currency": "USD",
            "estimated": False,
        },
        {
            "month": "2026-10-01",
            "service": "Amazon S3",
            "amount": "-0.250000000000",
            "currency": "USD",
            "estimated": False,
        },
        {
            "month": "2026-11-01",
            "service": "AWS Lambda",
            "amount": "3.333333333300",
            "currency": "USD",
            "estimated": False,
        },
        {
            "month": "2026-11-01",
            "service": "Amazon S3",
            "amount": "4.000000000000",
            "currency": "USD",
            "estimated": True,
        },
    ]


def test_whole_months_read_the_monthly_rollup_and_agree_with_the_daily_facts(costs):
    def rows(end):
        serializer = CostQuerySerializer(
            data={"start": "2026-10-01", "end": end, "group_by": "month,account"}
        )
        serializer.is_valid(raise_exception=True)
        query = serializer.to_query()
        return query, [dict(r) for r in selectors.cost_rows(query=query)]

    monthly_query, monthly = rows("2026-12-01")
    daily_query, daily = rows("2026-11-30")  # not a month boundary: the daily facts answer
    assert selectors._uses_monthly_rollup(monthly_query) and not selectors._uses_monthly_rollup(daily_query)
    assert MonthlyCost.objects.exists()
    assert monthly == daily  # nothing on 30 November


def test_end_is_exclusive_and_filters_by_account_and_service(api, costs):
    response = get(
        api, start="2026-10-31", end="2026-11-01", group_by="day,account", account=A1, service="AWS Lambda"
    )
    assert response.json()["results"] == [
        {
            "day": "2026-10-31",
            "account": A1,
            "amount": "2.000000000000",
            "currency": "USD",
            "estimated": False,
        }
    ]


def test_source_filter_takes_a_name_or_an_id_and_source_is_a_grouping(api, costs):
    payer, other = costs
    by_name = get(api, start="2026-10-01", end="2026-10-02", source="Other").json()["results"]
    by_id = get(api, start="2026-10-01", end="2026-10-02", source=str(other.pk)).json()["results"]
    assert by_name == by_id == [{"amount": "10.000000000000", "currency": "USD", "estimated": False}]
    grouped = get(api, start="2026-10-01", end="2026-10-02", group_by="source").json()["results"]
    assert [(r["source"], r["amount"]) for r in grouped] == [
        ("Other", "10.000000000000"),
        ("Payer", "1.000000000001"),
    ]


def test_amortized_basis(api, costs):
    rows = get(api, start="2026-10-01", end="2026-10-02", basis="amortized", source="Payer").json()["results"]
    assert rows[0]["amount"] == "0.500000000000"


def test_tag_grouping_reads_the_tag_breakdown_with_untagged_as_empty(api, costs):
    rows = get(api, start="2026-10-01", end="2026-11-01", group_by="tag:team").json()["results"]
    assert rows == [
        {"tag": "", "amount": "-0.250000000000", "currency": "USD", "estimated": False},
        {"tag": "payments", "amount": "3.000000000001", "currency": "USD", "estimated": False},
    ]


def test_provider_grouping(api, costs):
    rows = get(api, start="2026-10-01", end="2026-12-01", group_by="provider", source="Payer").json()[
        "results"
    ]
    assert rows == [{"provider": "AWS", "amount": "10.083333333301", "currency": "USD", "estimated": True}]


@pytest.mark.parametrize(
    ("params", "parameter", "message"),
    [
        ({"end": "2026-11-01"}, "start", "required"),
        ({"start": "2026-11-01", "end": "nope"}, "end", "Date has wrong format"),
        ({"start": "2026-11-01", "end": "2026-11-01"}, "end", "end must be after start"),
        (
            {"start": "2026-10-01", "end": "2026-11-01", "group_by": "day,account,service"},
            "group_by",
            "at most two",
        ),
        (
            {"start": "2026-10-01", "end": "2026-11-01", "group_by": "colour"},
            "group_by",
            "unknown grouping 'colour'",
        ),
        ({"start": "2026-10-01", "end": "2026-11-01", "group_by": "tag:"}, "group_by", "needs a tag key"),
        ({"start": "2026-10-01", "end": "2026-11-01", "group_by": "day,month"}, "group_by", "not both"),
        (
            {"start": "2026-10-01", "end": "2026-11-01", "group_by": "tag:team,service"},
            "group_by",
            "account grain",
        ),
        ({"start": "2026-10-01", "end": "2026-11-01", "basis": "blended"}, "basis", "not a valid choice"),
        ({"start": "2026-10-01", "end": "2026-11-01", "source": "Nope"}, "source", "no source named"),
        ({"start": "2020-10-01", "end": "2026-11-01"}, "end", "at most"),
    ],
)
def test_a_bad_query_is_a_400_naming_the_parameter(api, costs, params, parameter, message):
    response = get(api, **params)
    assert response.status_code == 400
    assert message in " ".join(response.json()[parameter])


def test_costs_are_paginated_by_cursor_in_key_order(api, db):
    source = services.source_create(name="Many", kind=CostSource.Kind.AWS_COST_EXPLORER)
    rows = [(date(2026, 10, 1), f"{i:012d}", "AWS Lambda", "1", "1") for i in range(130)]
    load(source, date(2026, 10, 1), date(2026, 10, 2), rows)
    first = get(api, start="2026-10-01", end="2026-10-02", group_by="account").json()
    assert set(first) == {"next", "previous", "results"}
    assert len(first["results"]) == 100 and first["next"] and first["previous"] is None
    second = api.get(first["next"]).json()
    assert [r["account"] for r in second["results"]] == [f"{i:012d}" for i in range(100, 130)]
    assert second["next"] is None
    back = api.get(second["previous"]).json()
    assert back["results"] == first["results"] and back["previous"] is None


def test_costs_need_a_signed_in_user(db):
    assert APIClient().get("/api/v1/costs/", {"start": "2026-10-01", "end": "2026-11-01"}).status_code in (
        401,
        403,
    )


def test_the_schema_documents_the_costs_contract(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/costs/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {
        "start",
        "end",
        "group_by",
        "account",
        "service",
        "source",
        "basis",
        "cursor",
        "page_size",
    }
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert set(schema["components"]["schemas"][page]["properties"]) == {"next", "previous", "results"}
    row = schema["components"]["schemas"]["CostRow"]["properties"]
    assert set(row) == {
        "day",
        "month",
        "account",
        "service",
        "provider",
        "source",
        "tag",
        "amount",
        "currency",
        "estimated",
    }


# --- sources ------------------------------------------------------------------------------------
def test_an_admin_adds_a_source_through_the_api(admin_api):
    response = admin_api.post(
        "/api/v1/sources/",
        {
            "name": "Payer 2",
            "kind": "aws_cost_explorer",
            "role_arn": "arn:aws:iam::123456789012:role/R",
            "tag_keys": ["team"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    source = CostSource.objects.get(name="Payer 2")
    assert source.schedule is not None and source.tag_keys == ["team"]


def test_a_bad_role_arn_is_a_400_naming_it(admin_api):
    response = admin_api.post(
        "/api/v1/sources/", {"name": "X", "kind": "aws_cost_explorer", "role_arn": "x"}, format="json"
    )
    assert response.status_code == 400 and "role_arn" in response.json()


def test_a_non_admin_may_not_add_a_source_or_pull(api, costs):
    payer, _ = costs
    assert api.post("/api/v1/sources/", {"name": "X", "kind": "demo"}, format="json").status_code == 403
    assert api.post(f"/api/v1/sources/{payer.pk}/pull/").status_code == 403
    assert not IngestionRun.objects.exists()


def test_an_admin_queues_a_pull_and_the_task_runs_that_run(admin_api, db, django_capture_on_commit_callbacks):
    demo = services.source_create(name="Demo", kind=CostSource.Kind.DEMO)
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_api.post(f"/api/v1/sources/{demo.pk}/pull/", {}, format="json")
    assert response.status_code == 202
    queued = response.json()
    assert (queued["status"], queued["trigger"]) == ("queued", "manual")
    assert len(callbacks) == 1, "the task is sent once the queued run is committed"

    tasks.pull_source.apply(args=[demo.pk, None, None, "manual", queued["id"]])

    run = IngestionRun.objects.get(pk=queued["id"])
    assert run.status == IngestionRun.Status.SUCCEEDED and run.rows_written > 0
    assert IngestionRun.objects.count() == 1
    listed = admin_api.get(f"/api/v1/sources/{demo.pk}/runs/").json()["results"]
    assert [r["id"] for r in listed] == [run.pk]
    assert admin_api.get("/api/v1/runs/", {"source": demo.pk}).json()["results"][0]["status"] == "succeeded"


def test_a_pull_window_cost_explorer_cannot_answer_is_a_400(admin_api, costs):
    payer, _ = costs
    response = admin_api.post(
        f"/api/v1/sources/{payer.pk}/pull/", {"start": "2020-01-01", "end": "2020-02-01"}, format="json"
    )
    assert response.status_code == 400 and "older than Cost Explorer keeps" in response.json()["start"][0]


def test_sources_show_freshness_and_the_last_failure(api, costs):
    payer, _ = costs
    IngestionRun.objects.create(source=payer, status=IngestionRun.Status.FAILED, error="Access denied: nope")
    body = api.get(f"/api/v1/sources/{payer.pk}/").json()
    assert body["data_up_to"] == "2026-11-19"
    assert body["estimated_days"] == 1
    assert body["last_run"]["error"] == "Access denied: nope"


def _facts_by_hand(query, visible=None) -> list[tuple]:
    """The query answered from the daily facts in Python, sorted by the keys: what any rollup must equal."""
    from decimal import Decimal as D

    from costdata.models import DailyCost

    facts = DailyCost.objects.filter(day__gte=query.start, day__lt=query.end).select_related("source")
    if visible is not None:
        facts = facts.filter(visible)
    totals: dict[tuple, list] = {}
    for fact in facts:
        if query.accounts and fact.account_id not in query.accounts:
            continue
        if query.services and fact.service not in query.services:
            continue
        if query.source_ids and fact.source_id not in query.source_ids:
            continue
        keys = {
            "day": fact.day,
            "month": fact.day.replace(day=1),
            "account": fact.account_id,
            "service": fact.service,
            "provider": fact.provider,
            "source": fact.source.name,
        }
        key = (*(keys[name] for name in query.group_by), fact.currency)
        total = totals.setdefault(key, [D(0), False])
        total[0] += getattr(fact, query.basis)
        total[1] = total[1] or fact.estimated
    return [(*key, amount, estimated) for key, (amount, estimated) in sorted(totals.items())]


def _read(query, visible=None) -> tuple[type, list[tuple]]:
    from costdata.money import as_decimal

    rows = selectors.cost_rows(query=query, visible=visible)
    names = [selectors.grouping_alias(name) for name in query.group_by]
    read = [
        (*(row[name] for name in names), row["currency"], as_decimal(row["amount"]), bool(row["estimated"]))
        for row in rows
    ]
    return rows.model, read


@pytest.mark.parametrize(
    ("group_by", "accounts", "services", "reads"),
    [
        (("month", "service"), (), (), "DailyServiceCost"),
        (("day", "account"), (), (), "DailyAccountCost"),
        (("service",), (), ("Amazon S3",), "DailyServiceCost"),
        (("day",), (A1,), (), "DailyAccountCost"),
        (("provider",), (), (), "DailyAccountCost"),
        (("source", "month"), (), (), "DailyAccountCost"),
        (("account",), (), ("AWS Lambda",), "DailyCost"),
        (("service", "account"), (), (), "DailyCost"),
    ],
)
def test_part_months_read_the_daily_rollup_that_answers_exactly_and_equal_the_facts(
    costs, group_by, accounts, services, reads
):
    query = selectors.CostQuery(
        start=date(2026, 10, 1),
        end=date(2026, 11, 20),
        group_by=group_by,
        accounts=accounts,
        services=services,
    )
    model, rows = _read(query)
    assert model.__name__ == reads
    assert rows == _facts_by_hand(query)
    assert rows, "the window holds costs"


def test_the_readers_visibility_decides_which_rollup_may_answer(costs):
    from django.db.models import Q

    by_month = selectors.CostQuery(start=date(2026, 10, 1), end=date(2026, 11, 20), group_by=("month",))
    by_service = selectors.CostQuery(start=date(2026, 10, 1), end=date(2026, 11, 20), group_by=("service",))
    own_accounts = Q(account_id__in=[A1])
    own_services = Q(service__in=["Amazon S3"])

    for query, visible, reads in [
        (by_month, own_accounts, "DailyAccountCost"),
        (by_month, own_services, "DailyServiceCost"),
        (by_service, own_accounts, "DailyCost"),  # the service rollup cannot tell whose accounts
        (by_service, own_services, "DailyServiceCost"),
        (by_month, own_accounts | own_services, "DailyCost"),
    ]:
        model, rows = _read(query, visible)
        assert model.__name__ == reads, (query.group_by, visible)
        assert rows == _facts_by_hand(query, visible), (query.group_by, visible)
