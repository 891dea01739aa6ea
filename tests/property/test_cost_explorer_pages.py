"""Cost Explorer page normalisation: however the groups are split across pages, the rows are the same.

Cost Explorer pages an answer by NextPageToken wherever it likes, including inside one day's groups.
The normaliser must give the same rows, totals, days, estimated days and account names for any split.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from costdata.ingestion.cost_explorer import PageNormaliser, normalise_pages
from tests.costdata.conftest import group
from tests.property.conftest import PROPERTY

ACCOUNTS = ["111111111111", "222222222222", "333333333333"]
SERVICES = ["Amazon EC2", "Amazon S3", "AWS Lambda", 'Odd, "quoted"\nservice']
# Amounts as Cost Explorer writes them: plain decimal text up to ten places, credits negative.
amounts = st.decimals(min_value=Decimal("-1e6"), max_value=Decimal("1e9"), places=10, allow_nan=False).map(
    lambda d: format(d, "f")
)


@st.composite
def answers(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Days in order, each with its estimated flag and its groups (distinct account/service/currency)."""
    first = draw(st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 1)))
    n_days = draw(st.integers(min_value=1, max_value=4))
    days = []
    for offset in range(n_days):
        keys = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(ACCOUNTS), st.sampled_from(SERVICES), st.sampled_from(["USD", "EUR"])
                ),
                unique=True,
                max_size=8,
            )
        )
        groups = [
            group([account, service], draw(amounts), draw(amounts), unit) for account, service, unit in keys
        ]
        days.append(
            {"day": first + timedelta(days=offset), "estimated": draw(st.booleans()), "groups": groups}
        )
    return days


def paginate(
    days: list[dict[str, Any]], cuts: set[int], names: dict[str, str], names_page: int
) -> list[dict]:
    """Split the flat list of (day, group) at the given cut points into pages, as Cost Explorer may.

    A cut inside a day's groups puts that day on both pages, each with its part (one part may be empty).
    """
    # A day with no groups is one entry with no group: it still comes back, with an empty Groups list.
    flat = [(d, g) for d in days for g in (d["groups"] or [None])]
    boundaries = sorted(c for c in cuts if 0 <= c <= len(flat))
    chunks, previous = [], 0
    for cut in [*boundaries, len(flat)]:
        chunks.append(flat[previous:cut])
        previous = cut
    pages = []
    for number, chunk in enumerate(chunks):
        results: list[dict[str, Any]] = []
        for day, grp in chunk:
            if not results or results[-1]["TimePeriod"]["Start"] != day["day"].isoformat():
                results.append(result_for(day, []))
            if grp is not None:
                results[-1]["Groups"].append(grp)
        on_this_page = names if number == names_page % len(chunks) else {}
        pages.append(page_for(results, on_this_page, last=number == len(chunks) - 1))
    return pages


def result_for(day: dict[str, Any], groups: list) -> dict[str, Any]:
    return {
        "TimePeriod": {"Start": day["day"].isoformat(), "End": (day["day"] + timedelta(days=1)).isoformat()},
        "Total": {},
        "Groups": groups,
        "Estimated": day["estimated"],
    }


def page_for(results: list, names: dict[str, str], *, last: bool) -> dict[str, Any]:
    response: dict[str, Any] = {
        "ResultsByTime": results,
        "DimensionValueAttributes": [
            {"Value": k, "Attributes": {"description": v}} for k, v in names.items()
        ],
    }
    if not last:
        response["NextPageToken"] = "next"
    return response


splits = st.sets(st.integers(min_value=0, max_value=40), max_size=6)
NAMES = {"111111111111": "prod", "222222222222": "staging"}


@PROPERTY
@given(days=answers(), cuts=splits, names_page=st.integers(min_value=0, max_value=6))
def test_any_split_of_the_groups_across_pages_gives_the_same_rows(days, cuts, names_page):
    whole = normalise_pages(paginate(days, set(), NAMES, 0))
    pages = paginate(days, cuts, NAMES, names_page)
    split = normalise_pages(pages)
    assert split.rows == whole.rows
    assert split.days == whole.days == {d["day"] for d in days}
    assert split.estimated_days == whole.estimated_days == {d["day"] for d in days if d["estimated"]}
    assert split.account_names == whole.account_names == NAMES


@PROPERTY
@given(days=answers(), cuts=splits)
def test_totals_per_currency_are_exactly_the_sum_of_what_cost_explorer_sent(days, cuts):
    expected: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for day in days:
        for g in day["groups"]:
            unit = g["Metrics"]["UnblendedCost"]["Unit"]
            expected[unit][0] += Decimal(g["Metrics"]["UnblendedCost"]["Amount"])
            expected[unit][1] += Decimal(g["Metrics"]["AmortizedCost"]["Amount"])
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in normalise_pages(paginate(days, cuts, {}, 0)).rows:
        assert isinstance(row.unblended, Decimal) and isinstance(row.amortized, Decimal)
        totals[row.currency][0] += row.unblended
        totals[row.currency][1] += row.amortized
    assert totals == expected


@PROPERTY
@given(days=answers(), cuts=splits)
def test_the_csv_a_pull_spools_is_the_same_for_any_split(days, cuts):
    def spool(pages: list[dict]) -> list[str]:
        normaliser = PageNormaliser(start=days[0]["day"], end=days[-1]["day"] + timedelta(days=1))
        return [
            line
            for p in pages
            for line in normaliser.feed_csv(p, line_start="7,", after_day=",AWS,", after_first="")
        ]

    assert spool(paginate(days, cuts, {}, 0)) == spool(paginate(days, set(), {}, 0))
