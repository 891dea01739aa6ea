"""Money aggregation: sums in the database are exact however the rows are grouped."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from costdata.models import CostSource, DailyCost
from costdata.money import as_decimal, exact_sum
from tests.property.conftest import PROPERTY_DB

# Amounts at the fact table's precision (12 places, 30 digits), credits negative, long and short.
money = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=12, allow_nan=False)
short_money = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=5, allow_nan=False)
stored_money = st.one_of(money, short_money)


@pytest.mark.django_db
@PROPERTY_DB
@given(rows=st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), stored_money), min_size=1, max_size=25))
def test_the_database_sums_money_exactly_per_group_and_in_total(rows):
    """Through the ORM: each group's total and the grand total are exact, and the group totals add up
    to the grand total."""
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
