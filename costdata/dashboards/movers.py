"""Top movers: what changed most between a month and the one before, by service and by account.

The windows are whole months once the month is complete, else the same days of both months; the sums
are exact and kept per data version (costdata.facts.data_cache).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
from django.db.models import Case, DecimalField, F, Q, QuerySet, When

from costdata.dashboards.selectors import ZERO, daily_rollup_for, version_cached
from costdata.models import CloudAccount, DailyCost, MonthlyCost
from costdata.money import as_decimal, exact_sum
from costdata.planning.forecasting import month_end


def mover_windows(month: date, data_through: date) -> tuple[tuple[date, date], tuple[date, date], bool]:
    """(current, previous) end-exclusive windows; like-for-like days while the month is open."""
    end = month_end(month)
    previous_month = (month - timedelta(days=1)).replace(day=1)
    if data_through >= end - timedelta(days=1):
        return (month, end), (previous_month, month), False
    days = (data_through - month).days + 1
    return (
        (month, data_through + timedelta(days=1)),
        (
            previous_month,
            min(previous_month + timedelta(days=days), month),
        ),
        True,
    )


def movers_frames(
    *,
    condition: Q,
    current: tuple[date, date],
    previous: tuple[date, date],
    basis: str,
    currency: str,
    version: str | None = None,
    limit: int | None = None,
) -> dict[str, pd.DataFrame]:
    """{"service": frame, "account": frame}: name, previous, current (Decimal) per service and account.

    With `limit`, only the rows that can be among charts.top_movers(frame, limit=limit): the `limit`
    largest absolute changes and every row tied with the last of them (top_movers breaks ties by
    name, which for accounts is only known after naming). The sums are kept per data version when
    `version` is given (costdata.facts.data_cache); account names are read each time (an admin may rename
    an account between pulls), for the rows kept only.
    """
    sums = version_cached(
        "mover-sums",
        version,
        _mover_sums,
        condition=condition,
        current=current,
        previous=previous,
        basis=basis,
        currency=currency,
        limit=limit,
    )
    names = dict(
        CloudAccount.objects.filter(account_id__in=[key for key, _, _ in sums["account"]]).values_list(
            "account_id", "name"
        )
    )
    return {
        dimension: pd.DataFrame(
            [
                {
                    "name": f"{names[key]} ({key})" if dimension == "account" and names.get(key) else key,
                    "previous": previous_amount,
                    "current": current_amount,
                }
                for key, previous_amount, current_amount in rows
            ],
            columns=["name", "previous", "current"],
        )
        for dimension, rows in sums.items()
    }


def _largest_changes(
    rows: list[tuple[str, Decimal, Decimal]], limit: int
) -> list[tuple[str, Decimal, Decimal]]:
    """The rows whose absolute change is among the `limit` largest non-zero ones, ties included."""
    changes = sorted(
        (abs(current - previous) for _, previous, current in rows if current != previous), reverse=True
    )
    if len(changes) <= limit:
        return rows
    cut = changes[limit - 1]
    return [row for row in rows if row[2] != row[1] and abs(row[2] - row[1]) >= cut]


def _mover_sums(
    *,
    condition: Q,
    current: tuple[date, date],
    previous: tuple[date, date],
    basis: str,
    currency: str,
    limit: int | None = None,
) -> dict[str, list[tuple[str, Decimal, Decimal]]]:
    """Per service and per account: (key, previous, current) exact sums.

    One query per breakdown, each summing both windows at once in the database (conditional sums);
    whole months read the monthly rollup, a partial month the daily rollup by that breakdown when it
    answers the condition (see daily_rollup_for), else the daily facts. Grouping by the one
    breakdown keeps the aggregate small (tens or hundreds of groups) so it stays in memory.
    """
    if current[0].day == 1 and current[1].day == 1 and previous[0].day == 1:
        facts: QuerySet = MonthlyCost.objects.filter(
            condition, currency=currency, month__gte=previous[0], month__lt=current[1]
        )
        in_current = Q(month__gte=current[0])
        rollups: dict[str, QuerySet] = {"service": facts, "account": facts}
    else:
        in_windows = Q(day__gte=previous[0], day__lt=previous[1]) | Q(day__gte=current[0], day__lt=current[1])
        in_current = Q(day__gte=current[0])
        # Part of a month: the daily rollup by service (or by account) when it answers the condition.
        rollups = {
            dimension: (daily_rollup_for(condition, dimension) or DailyCost).objects.filter(
                condition, in_windows, currency=currency
            )
            for dimension in ("service", "account")
        }
    money = DecimalField(max_digits=30, decimal_places=12)
    sums = {
        "current": exact_sum(Case(When(in_current, then=F(basis)), output_field=money)),
        "previous": exact_sum(Case(When(~in_current, then=F(basis)), output_field=money)),
    }
    result = {}
    for dimension, field_name in (("service", "service"), ("account", "account_id")):
        rows = rollups[dimension].values(field_name).annotate(**sums).order_by(field_name)
        result[dimension] = [
            (r[field_name], as_decimal(r["previous"]) or ZERO, as_decimal(r["current"]) or ZERO) for r in rows
        ]
        if limit is not None:
            result[dimension] = _largest_changes(result[dimension], limit)
    return result
