"""The demo source speaks Cost Explorer: its answers validate against the real service model."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from costdata.demo_source import DEMO_ACCOUNTS, GROUPS_PER_PAGE, DemoCostExplorer
from tests.costdata.conftest import SERVICE, ce_client, request, tag

TODAY = date(2026, 11, 20)


def all_pages(demo: DemoCostExplorer, params: dict) -> list[dict]:
    pages, token = [], None
    while True:
        answer = demo.get_cost_and_usage(**params, **({"NextPageToken": token} if token else {}))
        pages.append((dict(params, **({"NextPageToken": token} if token else {})), answer))
        token = answer.get("NextPageToken")
        if not token:
            return pages


@pytest.mark.parametrize("second", [SERVICE, tag("team"), tag("cost-centre")])
def test_every_demo_page_and_request_validates_against_the_service_model(second):
    demo = DemoCostExplorer(today=TODAY)
    params = request(date(2026, 10, 1), TODAY, second=second)
    pages = all_pages(demo, params)
    assert len(pages) > 1, "a month of demo data spans several pages"
    client = ce_client()
    with Stubber(client) as stubber:
        for sent, answer in pages:
            stubber.add_response("get_cost_and_usage", answer, sent)
        for sent, answer in pages:
            assert client.get_cost_and_usage(**sent)["ResultsByTime"] == answer["ResultsByTime"]
        stubber.assert_no_pending_responses()


def test_one_days_groups_straddle_two_pages():
    demo = DemoCostExplorer(today=TODAY)
    pages = all_pages(demo, request(date(2026, 10, 1), TODAY))
    first_last_day = pages[0][1]["ResultsByTime"][-1]["TimePeriod"]["Start"]
    second_first_day = pages[1][1]["ResultsByTime"][0]["TimePeriod"]["Start"]
    assert first_last_day == second_first_day
    assert sum(len(r["Groups"]) for r in pages[0][1]["ResultsByTime"]) == GROUPS_PER_PAGE


def test_the_same_seed_and_day_give_identical_answers_and_another_seed_does_not():
    params = request(date(2026, 10, 1), TODAY)
    assert all_pages(DemoCostExplorer(today=TODAY), params) == all_pages(
        DemoCostExplorer(today=TODAY), params
    )
    assert all_pages(DemoCostExplorer(seed=1, today=TODAY), params) != all_pages(
        DemoCostExplorer(today=TODAY), params
    )


def test_recent_days_are_estimated_low_and_restate_upwards_later():
    account = DEMO_ACCOUNTS[0]
    service = next(iter(account.services))
    day = TODAY - timedelta(days=1)
    early, later = DemoCostExplorer(today=TODAY), DemoCostExplorer(today=TODAY + timedelta(days=10))
    assert early.is_estimated(day) and not later.is_estimated(day)
    assert early.amount(account, service, day) < later.amount(account, service, day)
    assert later.amount(account, service, day) == later.final_amount(account, service, day)


def test_the_tag_query_total_equals_the_service_query_total():
    demo = DemoCostExplorer(today=TODAY)

    def total(second):
        return sum(
            Decimal(g["Metrics"]["UnblendedCost"]["Amount"])
            for _, answer in all_pages(demo, request(date(2026, 11, 1), TODAY, second=second))
            for r in answer["ResultsByTime"]
            for g in r["Groups"]
        )

    assert total(SERVICE) == total(tag("team"))


def test_a_future_end_or_a_foreign_token_is_refused_as_cost_explorer_does():
    demo = DemoCostExplorer(today=TODAY)
    with pytest.raises(ClientError, match="ValidationException"):
        demo.get_cost_and_usage(**request(TODAY, TODAY + timedelta(days=1)))
    token = demo.get_cost_and_usage(**request(date(2026, 10, 1), TODAY))["NextPageToken"]
    with pytest.raises(ClientError, match="RequestChangedException"):
        demo.get_cost_and_usage(**request(date(2026, 10, 2), TODAY, token=token))
    with pytest.raises(ClientError, match="InvalidNextTokenException"):
        demo.get_cost_and_usage(**request(date(2026, 10, 1), TODAY, token="garbage!"))
