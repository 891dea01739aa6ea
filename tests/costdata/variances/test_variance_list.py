"""The variance list as a work queue: numbered pages that never cut the list silently, filters and
order kept in the URL, status tabs counted per role, a query count that does not grow with the rows,
a CSV of the whole filtered list, and clear answers to bad page parameters."""

from __future__ import annotations

import csv
import io
import itertools
import re
from datetime import date, timedelta
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from costdata import permissions
from costdata.models import Variance
from costdata.variances.selectors import page_window, variance_list, variance_status_facets
from tests.costdata.variance_fixtures import ACCOUNT, OTHER_ACCOUNT

URL = "/costs/variances/"
_keys = itertools.count()


def build(
    *,
    status: str = Variance.Status.ASSIGNED,
    account: str = ACCOUNT,
    owner=None,
    due_in: float | None = 3,
    month: date = date(2026, 10, 1),
    difference: str = "100",
    assignee=None,
) -> Variance:
    """An unsaved variance (bulk_create them for many)."""
    amount = Decimal(difference)
    return Variance(
        natural_key=f"list-test:{next(_keys)}",
        scope_type="account",
        scope_value=account,
        month=month,
        kind=Variance.Kind.ACTUAL_OVER_BUDGET,
        currency="USD",
        observed=Decimal("1000") + amount,
        reference=Decimal("1000"),
        difference=amount,
        percent=amount / 10,
        actual_to_date=Decimal("1000") + amount,
        status=status,
        owner_team=owner,
        assignee=assignee,
        due_at=None if due_in is None else timezone.now() + timedelta(days=due_in),
    )


def make(**kwargs) -> Variance:
    return Variance.objects.bulk_create([build(**kwargs)])[0]


def many(count: int, **kwargs) -> list[Variance]:
    """`count` variances with distinct due dates (one hour apart) and amounts."""
    rows = []
    for i in range(count):
        row = build(**kwargs)
        row.due_at = timezone.now() + timedelta(days=1, hours=i)
        row.difference = Decimal(100 + i)
        rows.append(row)
    return Variance.objects.bulk_create(rows)


def linked(html: str) -> list[int]:
    """The variances the table lists, in its order."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [int(pk) for pk in re.findall(r'<td><a href="/costs/variances/(\d+)/">', body)]


def showing(html: str) -> str:
    match = re.search(r'<p id="showing"[^>]*>(.*?)</p>', html, re.S)
    assert match, "the page says what it shows"
    return " ".join(unescape(match.group(1)).split())


def href(html: str, element_id: str) -> str | None:
    match = re.search(rf'<a href="([^"]*)"[^>]*id="{element_id}"', html)
    return unescape(match.group(1)) if match else None


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def tab_counts(html: str) -> dict[str, int]:
    tabs = re.findall(r'data-status="(\w+)".*?<span class="count">(\d+)</span>', html)
    return {status: int(n) for status, n in tabs}


def get(client, params=None):
    response = client.get(URL, params or {})
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.content.decode()


# --- paging -----------------------------------------------------------------------------------------


def test_the_first_page_shows_fifty_and_says_how_many_there_are(client, org):
    many(120)
    client.force_login(org["finance"])
    html = get(client)
    assert len(linked(html)) == 50
    assert showing(html).startswith("Showing 1–50 of 120 variances")
    assert href(html, "previous-page") is None
    assert query_of(href(html, "next-page"))["page"] == ["2"]
    assert "Page 1 of 3" in html


def test_the_last_page_holds_the_remainder_and_offers_no_next(client, org):
    many(120)
    client.force_login(org["finance"])
    html = get(client, {"page": 3})
    assert len(linked(html)) == 20
    assert showing(html).startswith("Showing 101–120 of 120")
    assert href(html, "next-page") is None
    assert query_of(href(html, "previous-page"))["page"] == ["2"]


def test_walking_the_pages_lists_every_variance_exactly_once(client, org):
    created = {v.pk for v in many(23)}
    client.force_login(org["finance"])
    seen: list[int] = []
    url = f"{URL}?size=5"
    pages = 0
    while url:
        html = client.get(url).content.decode()
        seen += linked(html)
        url = href(html, "next-page")
        pages += 1
    assert pages == 5
    assert len(seen) == len(set(seen)) == 23
    assert set(seen) == created


def test_a_list_longer_than_the_old_500_cap_is_counted_whole(client, org):
    many(620)
    client.force_login(org["finance"])
    last = get(client, {"size": 200, "page": 4})
    assert showing(last).startswith("Showing 601–620 of 620")
    assert len(linked(last)) == 20


def test_exactly_one_full_page_has_no_pager(client, org):
    many(50)
    client.force_login(org["finance"])
    html = get(client)
    assert len(linked(html)) == 50
    assert 'id="pager"' not in html
    assert showing(html).startswith("Showing 1–50 of 50")


def test_an_empty_list_says_so(client, org):
    client.force_login(org["finance"])
    html = get(client)
    assert showing(html).startswith("No variance matches")
    assert linked(html) == []


def test_a_page_past_the_end_shows_the_last_page(client, org):
    many(12)
    client.force_login(org["finance"])
    html = get(client, {"size": 5, "page": 99})
    assert showing(html).startswith("Showing 11–12 of 12")
    assert len(linked(html)) == 2


def test_a_page_number_of_thousands_of_digits_is_the_last_page(client, org):
    many(12)
    client.force_login(org["finance"])
    html = get(client, {"size": "0005", "page": "9" * 5000})
    assert showing(html).startswith("Showing 11–12 of 12")


def test_a_size_above_the_maximum_is_clamped_and_the_page_says_so(client, org):
    many(230)
    client.force_login(org["finance"])
    html = get(client, {"size": 5000})
    assert len(linked(html)) == 200
    assert 'id="size-clamped"' in html
    assert showing(html).startswith("Showing 1–200 of 230")


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "two"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"page": "²"}, "page"),
        ({"size": "0"}, "size"),
        ({"size": "000"}, "size"),
        ({"size": "lots"}, "size"),
        ({"sort": "colour"}, "sort"),
        ({"sort": "-queue"}, "sort"),
        ({"export": "xlsx"}, "export"),
        ({"status": "pending"}, "status"),
        ({"owner": "999999"}, "owner"),
    ],
)
def test_a_bad_list_parameter_is_a_400_naming_it(client, org, params, named):
    make()
    client.force_login(org["finance"])
    response = client.get(URL, params)
    assert response.status_code == 400
    html = response.content.decode()
    errors = html.split('id="list-errors"', 1)[1].split("</div>", 1)[0]
    assert f"<li>{named}: " in errors
    assert 'id="variances"' not in html  # no rows under a request that could not be understood


# --- filters and order in the URL -------------------------------------------------------------------


def test_the_pages_keep_every_filter_the_order_and_the_size(client, org):
    mine = many(12, owner=org["team"], status=Variance.Status.ASSIGNED)
    many(5, owner=org["team"], status=Variance.Status.CLOSED)
    many(5, owner=org["other"], status=Variance.Status.ASSIGNED)
    client.force_login(org["finance"])
    params = {"status": "assigned", "owner": org["team"].pk, "sort": "-amount", "size": 5}
    html = get(client, params)
    assert showing(html).startswith("Showing 1–5 of 12")
    following = href(html, "next-page")
    assert query_of(following) == {
        "status": ["assigned"],
        "owner": [str(org["team"].pk)],
        "sort": ["-amount"],
        "size": ["5"],
        "page": ["2"],
    }
    second = client.get(following).content.decode()
    by_amount = [v.pk for v in sorted(mine, key=lambda v: -v.difference)]
    assert linked(html) + linked(second) == by_amount[:10]


def test_the_filter_form_keeps_the_order_and_size_and_starts_again_at_page_one(client, org):
    many(3)
    client.force_login(org["finance"])
    html = get(client, {"sort": "month", "size": 25, "page": 1})
    form = html.split('aria-label="Filter variances"', 1)[1].split("</form>", 1)[0]
    assert '<input type="hidden" name="sort" value="month">' in form
    assert '<input type="hidden" name="size" value="25">' in form
    assert 'name="page"' not in form


def test_a_column_header_sorts_and_a_second_click_reverses(client, org):
    many(3)
    client.force_login(org["finance"])
    html = get(client, {"status": "assigned"})
    amount = re.search(r'<a href="([^"]*)" data-sort="amount"', html).group(1)
    assert query_of(unescape(amount)) == {"status": ["assigned"], "sort": ["-amount"]}
    html = get(client, query_of(unescape(amount)))
    assert 'aria-sort="descending"><a' in html
    again = re.search(r'<a href="([^"]*)" data-sort="amount"', html).group(1)
    assert query_of(unescape(again))["sort"] == ["amount"]


def test_the_default_order_is_overdue_first_then_due_date_then_finished_work(client, org):
    closed_soon = make(status=Variance.Status.CLOSED, due_in=-30)
    later = make(due_in=5)
    overdue_late = make(due_in=-1)
    sooner = make(due_in=1)
    overdue_early = make(due_in=-4)
    explained = make(status=Variance.Status.EXPLAINED, due_in=2)
    no_due = make(status=Variance.Status.OPEN, due_in=None)
    accepted = make(status=Variance.Status.ACCEPTED, due_in=-10)
    client.force_login(org["finance"])
    html = get(client)
    assert linked(html) == [
        v.pk for v in (overdue_early, overdue_late, sooner, explained, later, no_due, closed_soon, accepted)
    ]
    assert html.count('<tr class="overdue">') == 2


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("due", ["d1", "d2", "d3", "none"]),
        ("-due", ["d3", "d2", "d1", "none"]),
        ("month", ["m_aug", "m_sep", "m_oct", "m_nov"]),
        ("-month", ["m_nov", "m_oct", "m_sep", "m_aug"]),
        ("-amount", ["big_under", "mid", "small", "tiny_under"]),
        ("amount", ["tiny_under", "small", "mid", "big_under"]),
        ("status", ["s_open", "s_assigned", "s_explained", "s_accepted", "s_closed"]),
        ("-status", ["s_closed", "s_accepted", "s_explained", "s_assigned", "s_open"]),
    ],
)
def test_each_order_the_user_chooses(client, org, sort, expected):
    made: dict[str, Variance] = {}
    field = sort.removeprefix("-")
    if field == "due":
        for name, days in (("d2", 2), ("none", None), ("d3", 3), ("d1", 1)):
            made[name] = make(due_in=days)
    elif field == "month":
        for name, month in (("m_sep", 9), ("m_nov", 11), ("m_aug", 8), ("m_oct", 10)):
            made[name] = make(month=date(2026, month, 1))
    elif field == "amount":  # the size of the difference: an under-spend of 900 is a big variance
        for name, amount in (("small", "50"), ("big_under", "-900"), ("tiny_under", "-5"), ("mid", "300")):
            made[name] = make(difference=amount)
    else:
        for status in ("closed", "assigned", "accepted", "open", "explained"):
            made[f"s_{status}"] = make(status=status)
    client.force_login(org["finance"])
    html = get(client, {"sort": sort})
    names = {v.pk: name for name, v in made.items()}
    assert [names[pk] for pk in linked(html)] == expected


# --- status tabs ------------------------------------------------------------------------------------


@pytest.fixture
def spread(org):
    """Payments' account: 3 assigned (1 overdue), 2 explained, 1 closed. Search's variances on the
    other account: 2 assigned (both overdue), 1 accepted. One nobody owns on the other account."""
    rows = [
        build(owner=org["team"], due_in=-1),
        build(owner=org["team"]),
        build(owner=org["team"]),
        build(owner=org["team"], status=Variance.Status.EXPLAINED),
        build(owner=org["team"], status=Variance.Status.EXPLAINED),
        build(owner=org["team"], status=Variance.Status.CLOSED),
        build(account=OTHER_ACCOUNT, owner=org["other"], due_in=-2),
        build(account=OTHER_ACCOUNT, owner=org["other"], due_in=-3),
        build(account=OTHER_ACCOUNT, owner=org["other"], status=Variance.Status.ACCEPTED),
        build(account=OTHER_ACCOUNT, status=Variance.Status.OPEN, due_in=None),
    ]
    return Variance.objects.bulk_create(rows)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            "finance",
            {"all": 10, "open": 1, "assigned": 5, "explained": 2, "accepted": 1, "closed": 1, "overdue": 3},
        ),
        (
            "engineer",
            {"all": 6, "open": 0, "assigned": 3, "explained": 2, "accepted": 0, "closed": 1, "overdue": 1},
        ),
        (
            "outsider",
            {"all": 3, "open": 0, "assigned": 2, "explained": 0, "accepted": 1, "closed": 0, "overdue": 2},
        ),
    ],
)
def test_the_status_tabs_count_what_the_role_sees(client, org, spread, role, expected):
    client.force_login(org[role])
    html = get(client)
    assert tab_counts(html) == expected
    assert showing(html).startswith(f"Showing 1–{expected['all']} of {expected['all']}")


def test_the_tabs_count_under_the_other_filters_but_not_the_status(client, org, spread):
    client.force_login(org["finance"])
    html = get(client, {"owner": org["team"].pk, "status": "explained"})
    assert tab_counts(html) == {
        "all": 6,
        "open": 0,
        "assigned": 3,
        "explained": 2,
        "accepted": 0,
        "closed": 1,
        "overdue": 1,
    }
    assert showing(html).startswith("Showing 1–2 of 2")
    tab = re.search(r'<a href="([^"]*)" data-status="assigned"', html).group(1)
    assert query_of(unescape(tab)) == {"owner": [str(org["team"].pk)], "status": ["assigned"]}
    overdue = re.search(r'<a href="([^"]*)" data-status="overdue"', html).group(1)
    assert query_of(unescape(overdue)) == {
        "owner": [str(org["team"].pk)],
        "status": ["explained"],
        "overdue": ["true"],
    }


def test_two_chosen_statuses_are_counted_together(client, org, spread):
    client.force_login(org["finance"])
    html = get(client, [("status", "open"), ("status", "assigned")])  # the client takes pairs
    assert showing(html).startswith("Showing 1–6 of 6")
    assert len(linked(html)) == 6


def test_the_overdue_tab_filters_and_a_second_click_clears_it(client, org, spread):
    client.force_login(org["finance"])
    html = get(client, {"overdue": "true"})
    assert showing(html).startswith("Showing 1–3 of 3")
    assert 'data-status="overdue" aria-current="page"' in html
    again = re.search(r'<a href="([^"]*)" data-status="overdue"', html).group(1)
    assert "overdue" not in query_of(unescape(again))


def test_the_tabs_are_counted_in_one_query(org, spread, django_assert_num_queries):
    visible = permissions.visible_variances(org["engineer"], variance_list())
    with django_assert_num_queries(1):
        facets = variance_status_facets(visible)
    assert (facets.total, facets.overdue, facets.counts["explained"]) == (6, 1, 2)


# --- queries ----------------------------------------------------------------------------------------


def _queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        get(client, params)
    return len(captured)


@pytest.mark.parametrize("role", ["finance", "engineer"])
def test_the_page_costs_the_same_queries_for_5_rows_as_for_200(
    client, org, role, django_assert_max_num_queries
):
    lead = org["techlead"].stakeholder
    many(5, owner=org["team"], assignee=lead)
    client.force_login(org[role])
    few = _queries(client, {"size": 200})
    many(195, owner=org["team"], assignee=lead)
    Variance.objects.filter(pk__in=Variance.objects.values("pk")[:40]).update(
        escalated_to=lead, due_at=timezone.now() - timedelta(days=1)
    )
    with django_assert_max_num_queries(few):
        html = get(client, {"size": 200})
    assert len(linked(html)) == 200
    assert few <= 20, f"{few} queries for one page"


# --- CSV export -------------------------------------------------------------------------------------


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="variances-')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_has_every_page_in_the_list_order_under_the_same_filters(client, org):
    mine = many(130, owner=org["team"])
    many(7, owner=org["other"])
    client.force_login(org["finance"])
    rows = csv_rows(
        client.get(URL, {"owner": org["team"].pk, "sort": "-amount", "size": 10, "page": 3, "export": "csv"})
    )
    assert [int(r["id"]) for r in rows] == [v.pk for v in sorted(mine, key=lambda v: -v.difference)]
    first = rows[0]
    assert first["link"] == f"http://testserver/costs/variances/{first['id']}/"
    assert first["month"] == "2026-10" and first["currency"] == "USD"
    assert first["difference"] == "229.00" and first["status"] == "assigned"
    assert first["owner_team"] == "Payments" and first["overdue"] == "false"


def test_the_page_links_to_the_csv_of_its_filters_and_order(client, org):
    many(3)
    client.force_login(org["finance"])
    html = get(client, {"status": "assigned", "sort": "due", "size": 25, "page": 1})
    assert query_of(href(html, "csv-export")) == {"status": ["assigned"], "sort": ["due"], "export": ["csv"]}


@pytest.mark.parametrize(("role", "count"), [("finance", 10), ("engineer", 6), ("outsider", 3)])
def test_the_csv_holds_only_what_the_role_sees(client, org, spread, role, count):
    client.force_login(org[role])
    rows = csv_rows(client.get(URL, {"export": "csv"}))
    page = get(client, {"size": 200})
    assert len(rows) == count
    assert sorted(int(r["id"]) for r in rows) == sorted(linked(page))


def test_the_csv_neutralises_formulas_in_names(client, org):
    org["team"].name = '=HYPERLINK("http://evil","x")'
    org["team"].save()
    make(owner=org["team"], difference="-40")
    client.force_login(org["finance"])
    (row,) = csv_rows(client.get(URL, {"export": "csv"}))
    assert row["owner_team"] == "'" + '=HYPERLINK("http://evil","x")'
    assert row["difference"] == "-40.00"  # a negative number stays a number


def test_the_csv_is_refused_to_a_role_without_variances(client, db):
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("nobody", "nobody@example.com", "pw")
    client.force_login(nobody)
    assert client.get(URL, {"export": "csv"}).status_code == 403


# --- the page arithmetic ----------------------------------------------------------------------------


def test_page_numbers_show_the_ends_and_the_neighbourhood():
    window = page_window(total=1000, page=10, size=50)
    assert (window.pages, window.first, window.last) == (20, 451, 500)
    assert window.numbers() == [1, None, 8, 9, 10, 11, 12, None, 20]
    assert page_window(total=0, page=1, size=50).numbers() == [1]
    assert page_window(total=101, page=1, size=50).numbers() == [1, 2, 3]
