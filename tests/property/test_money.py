"""Money aggregation: sums are exact whatever the order of the rows and however they are grouped."""

from __future__ import annotations

import random
from datetime import date
from decimal import Context, Decimal

import pytest
from django.db import connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from costdata.models import CostSource, DailyCost
from costdata.money import DecimalSum, as_decimal, exact_sum
from tests.property.conftest import PROPERTY, PROPERTY_DB

# Amounts at the fact table's precision (12 places, 30 digits), credits negative. Values of up to 15
# significant digits are what SQLite hands the aggregate as floats; longer ones arrive as text.
money = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=12, allow_nan=False)
short_money = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=5, allow_nan=False)


def sqlite_value(amount: Decimal) -> float | str:
    """How SQLite hands a stored decimal to an aggregate: REAL up to 15 significant digits, else text."""
    digits = len(amount.normalize().as_tuple().digits)
    return float(amount) if digits <= 15 else format(amount, "f")


def aggregate(values: list) -> Decimal | None:
    total = DecimalSum()
    for value in values:
        total.step(value)
    return as_decimal(total.finalize())


@PROPERTY
@given(amounts=st.lists(st.one_of(money, short_money), max_size=60), seed=st.integers())
def test_the_sqlite_sum_is_exact_in_any_order(amounts, seed):
    shuffled = amounts[:]
    random.Random(seed).shuffle(shuffled)
    expected = sum(amounts, Decimal(0)) if amounts else None
    assert aggregate([sqlite_value(a) for a in amounts]) == expected
    assert aggregate([sqlite_value(a) for a in shuffled]) == expected


@PROPERTY
@given(
    amounts=st.lists(st.one_of(money, short_money), min_size=1, max_size=60), cuts=st.sets(st.integers(0, 60))
)
def test_a_sum_of_group_sums_is_the_sum_of_all(amounts, cuts):
    bounds = [0, *sorted(c for c in cuts if c < len(amounts)), len(amounts)]
    parts = [
        aggregate([sqlite_value(a) for a in amounts[i:j]]) for i, j in zip(bounds, bounds[1:], strict=False)
    ]
    assert sum((p for p in parts if p is not None), Decimal(0)) == aggregate(
        [sqlite_value(a) for a in amounts]
    )


@PROPERTY
@given(amount=short_money)
def test_a_float_from_sqlite_is_restored_to_the_decimal_that_was_stored(amount):
    assert Context(prec=15).create_decimal_from_float(float(amount)) == amount


# SQLite keeps a stored decimal of more than 15 significant digits as a REAL rounded to 15 (the storage
# itself, before any sum: see tests/costdata/conftest.py requires_postgres); Postgres keeps all of them.
stored_money = st.one_of(money, short_money) if connection.vendor == "postgresql" else short_money


@pytest.mark.django_db
@PROPERTY_DB
@given(rows=st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), stored_money), min_size=1, max_size=25))
def test_the_database_sums_money_exactly_per_group_and_in_total(rows):
    """Through the ORM, on SQLite and Postgres alike: each group's total and the grand total are exact,
    and the group totals add up to the grand total."""
    with transaction.atomic():
        source = CostSource.objects.create(name="Money", kind=CostSource.Kind.DEMO)
        DailyCost.objects.bulk_create(
            DailyCost(
                source=source,
                day=date(2026, 1, 1 + i % 28),
                account_id=account,
                service=f"svc-{i}",
                unblended=amount,
                amortized=-amount,
                currency="USD",
            )
            for i, (account, amount) in enumerate(rows)
        )
        facts = DailyCost.objects.filter(source=source)
        total = facts.aggregate(t=exact_sum("unblended"), a=exact_sum("amortized"))
        by_account = {
            r["account_id"]: as_decimal(r["t"])
            for r in facts.values("account_id").annotate(t=exact_sum("unblended")).order_by()
        }
        expected = {a: sum((m for acc, m in rows if acc == a), Decimal(0)) for a, _ in rows}
        assert as_decimal(total["t"]) == sum((m for _, m in rows), Decimal(0))
        assert as_decimal(total["a"]) == -sum((m for _, m in rows), Decimal(0))
        assert by_account == expected
        assert sum(by_account.values(), Decimal(0)) == as_decimal(total["t"])
        transaction.set_rollback(True)
