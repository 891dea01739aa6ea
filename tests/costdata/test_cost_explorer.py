"""The pure page normaliser."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from costdata.cost_explorer import MalformedResponse, normalise_pages, tag_value_from_key
from tests.costdata.conftest import day_result, group, page

D1 = date(2026, 11, 1)


def test_amounts_are_read_as_exact_decimals_never_floats():
    result = normalise_pages([page([day_result(D1, [group(["1", "S"], "0.1000000001", "-0.2")])])])
    (row,) = result.rows
    assert (row.unblended, row.amortized) == (Decimal("0.1000000001"), Decimal("-0.2"))


def test_the_same_group_arriving_twice_is_refused_rather_than_double_counted():
    pages = [
        page([day_result(D1, [group(["1", "S"], "1")])], token="2"),
        page([day_result(D1, [group(["1", "S"], "1")])]),
    ]
    with pytest.raises(MalformedResponse, match="arrived twice"):
        normalise_pages(pages)


def test_groups_in_two_currencies_are_kept_apart():
    result = normalise_pages(
        [page([day_result(D1, [group(["1", "S"], "1", unit="USD"), group(["1", "S"], "2", unit="EUR")])])]
    )
    assert sorted((r.currency, r.unblended) for r in result.rows) == [
        ("EUR", Decimal("2")),
        ("USD", Decimal("1")),
    ]


def test_a_non_numeric_amount_names_the_page_day_and_group():
    with pytest.raises(MalformedResponse, match=r"page 1, 2026-11-01, group 1/S: UnblendedCost amount 'x'"):
        normalise_pages([page([day_result(D1, [group(["1", "S"], "x")])])])


def test_estimated_days_and_account_names_are_recorded():
    result = normalise_pages(
        [page([day_result(D1, [group(["1", "S"], "1")], estimated=True)], names={"1": "prod"})]
    )
    assert result.estimated_days == {D1}
    assert result.account_names == {"1": "prod"}


def test_untagged_key_reads_as_empty_value():
    assert tag_value_from_key("team$") == ""
    assert tag_value_from_key("cost-centre$CC-1$x") == "CC-1$x"
    with pytest.raises(MalformedResponse):
        tag_value_from_key("team")


def test_a_day_coming_back_after_a_later_day_is_refused():
    from datetime import timedelta

    pages = [
        page([day_result(D1, [group(["1", "S"], "1")]), day_result(D1 + timedelta(days=1), [])], token="2"),
        page([day_result(D1, [group(["2", "S"], "1")])]),
    ]
    with pytest.raises(MalformedResponse, match="arrived again after later days"):
        normalise_pages(pages)


def test_a_days_groups_continuing_on_the_next_page_are_kept():
    pages = [
        page([day_result(D1, [group(["1", "S"], "1")])], token="2"),
        page([day_result(D1, [group(["2", "S"], "2")])]),
    ]
    assert sorted(r.keys for r in normalise_pages(pages).rows) == [("1", "S"), ("2", "S")]
