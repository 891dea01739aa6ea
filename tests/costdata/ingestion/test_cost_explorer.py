"""The pure page normaliser."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from costdata.ingestion.cost_explorer import (
    MalformedResponse,
    PageNormaliser,
    normalise_pages,
    tag_value_from_key,
)
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


def test_an_amount_in_exponent_notation_is_read_exactly():
    result = normalise_pages([page([day_result(D1, [group(["1", "S"], "1.5E-7", "-2E+3")])])])
    (row,) = result.rows
    assert (row.unblended, row.amortized) == (Decimal("0.00000015"), Decimal("-2000"))


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-inf", "", "1.2.3", "1,5", "0x10"])
def test_an_amount_that_is_not_a_finite_decimal_is_refused(amount):
    with pytest.raises(MalformedResponse, match=r"page 1, 2026-11-01, group 1/S: UnblendedCost amount"):
        normalise_pages([page([day_result(D1, [group(["1", "S"], amount)])])])


@pytest.mark.parametrize(
    "amount",
    ["0.0000000000001", "1.1234567890123", "-5E-13", "1234567890123456789", "1E+19"],
)
def test_an_amount_the_fact_tables_cannot_hold_exactly_is_refused_not_rounded(amount):
    """Twelve decimal places and eighteen digits before the point are stored; anything finer or larger
    would be rounded or overflow, and the stored sums would no longer equal the source's."""
    with pytest.raises(
        MalformedResponse, match=r"UnblendedCost amount .* cannot be stored exactly"
    ) as refused:
        normalise_pages([page([day_result(D1, [group(["1", "S"], amount)])])])
    assert "refused rather than rounded" in str(refused.value)


@pytest.mark.parametrize(
    ("amount", "stored"),
    [
        ("0.000000000001", "0.000000000001"),
        ("123456789012345678.123456789012", "123456789012345678.123456789012"),
        ("1.50000000000000000", "1.5"),
        ("-0.0000000000000", "0"),
        ("2.5E+3", "2500"),
        ("1E-12", "0.000000000001"),
    ],
)
def test_amounts_within_twelve_places_are_kept_exactly_whatever_their_spelling(amount, stored):
    normaliser = PageNormaliser()
    (line,) = normaliser.feed_csv(
        page([day_result(D1, [group(["1", "S"], amount)])]),
        line_start="7,",
        after_day=",AWS,",
        after_first="",
    )
    assert line.split(",")[5:7] == [stored, stored]


def test_the_amount_limits_are_the_fact_tables_own():
    from costdata.ingestion.cost_explorer import AMOUNT_DECIMAL_PLACES, AMOUNT_INTEGER_DIGITS
    from costdata.models import DailyCost, DailyTagCost

    for model in (DailyCost, DailyTagCost):
        for name in ("unblended", "amortized"):
            field = model._meta.get_field(name)
            assert field.decimal_places == AMOUNT_DECIMAL_PLACES
            assert field.max_digits - field.decimal_places == AMOUNT_INTEGER_DIGITS


@pytest.mark.parametrize("amount", [0.1, 1, None])
def test_an_amount_sent_as_a_json_number_is_refused_not_rounded_through_a_float(amount):
    bad = group(["1", "S"], "1")
    bad["Metrics"]["UnblendedCost"]["Amount"] = amount
    with pytest.raises(MalformedResponse, match="is not a number"):
        normalise_pages([page([day_result(D1, [bad])])])


def test_groups_with_a_missing_metric_or_wrong_keys_are_refused_naming_the_group():
    missing = group(["1", "S"], "1")
    del missing["Metrics"]["AmortizedCost"]
    with pytest.raises(MalformedResponse, match="group 1/S: metric AmortizedCost is missing"):
        normalise_pages([page([day_result(D1, [missing])])])
    three = group(["1", "S", "x"], "1")
    with pytest.raises(MalformedResponse, match="expected two keys"):
        normalise_pages([page([day_result(D1, [three])])])
    two_units = group(["1", "S"], "1")
    two_units["Metrics"]["AmortizedCost"]["Unit"] = "EUR"
    with pytest.raises(MalformedResponse, match=r"two currencies \(USD, EUR\)"):
        normalise_pages([page([day_result(D1, [two_units])])])


def csv_rows(lines: list[str]) -> list[list[str]]:
    import csv
    import io

    return list(csv.reader(io.StringIO("".join(lines))))


def test_csv_lines_carry_the_exact_amount_text_and_quote_awkward_names():
    normaliser = PageNormaliser()
    lines = normaliser.feed_csv(
        page(
            [
                day_result(D1, [group(["1", 'Amazon "Simple", Storage\nService'], "0.1000000001", "-2E-12")]),
                day_result(D1 + timedelta(days=1), [group(["1", "S"], "3")], estimated=True),
            ]
        ),
        line_start="7,",
        after_day=",AWS,",
        after_first="",
    )
    assert csv_rows(lines) == [
        [
            "7",
            "2026-11-01",
            "AWS",
            "1",
            'Amazon "Simple", Storage\nService',
            "0.1000000001",
            "-0.000000000002",
            "USD",
            "f",
        ],
        ["7", "2026-11-02", "AWS", "1", "S", "3", "3", "USD", "t"],
    ]


def test_csv_lines_of_a_tag_query_hold_the_tag_key_and_value_untagged_as_empty():
    normaliser = PageNormaliser(tag_grouping=True)
    lines = normaliser.feed_csv(
        page([day_result(D1, [group(["1", "team$payments"], "1"), group(["1", "team$"], "2")])]),
        line_start="7,",
        after_day=",AWS,",
        after_first=",team",
    )
    assert csv_rows(lines) == [
        ["7", "2026-11-01", "AWS", "1", "team", "payments", "1", "1", "USD", "f"],
        ["7", "2026-11-01", "AWS", "1", "team", "", "2", "2", "USD", "f"],
    ]


def test_a_day_outside_the_window_is_refused_by_the_normaliser():
    normaliser = PageNormaliser(start=D1, end=D1 + timedelta(days=1))
    with pytest.raises(MalformedResponse, match="outside the window"):
        normaliser.feed_csv(
            page([day_result(D1 + timedelta(days=1), [group(["1", "S"], "1")])]),
            line_start="7,",
            after_day=",AWS,",
            after_first="",
        )


def test_the_same_group_twice_is_refused_on_the_csv_path_too():
    normaliser = PageNormaliser()
    first = page([day_result(D1, [group(["1", "S"], "1")])], token="2")
    normaliser.feed_csv(first, line_start="7,", after_day=",AWS,", after_first="")
    with pytest.raises(MalformedResponse, match="arrived twice"):
        normaliser.feed_csv(
            page([day_result(D1, [group(["1", "S"], "1")])]),
            line_start="7,",
            after_day=",AWS,",
            after_first="",
        )
