"""The rollups of DailyCost (MonthlyCost, DailyAccountCost, DailyServiceCost), rebuilt from the facts.

Its own module because both writers of the facts (a pull's window replace, a FOCUS import) and the
rebuild_rollups command rebuild them the same way: inside the transaction that changed the daily rows,
so a reader never sees a rollup disagree with its facts. The sums are Postgres's exact numeric sums.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from django.contrib.postgres.aggregates import BoolOr
from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import DateField
from django.db.models.functions import TruncMonth

from costdata.facts.models import CostRollup, DailyAccountCost, DailyCost, DailyServiceCost, MonthlyCost
from costdata.facts.spool import rows_insert
from costdata.ingestion import windows
from costdata.ingestion.cost_explorer import RollupSums
from costdata.ingestion.models import CostSource
from costdata.money import exact_sum

# Each daily rollup and the column that, with the day, provider and currency, makes its grain.
DAILY_ROLLUPS: dict[type[DailyAccountCost] | type[DailyServiceCost], str] = {
    DailyAccountCost: "account_id",
    DailyServiceCost: "service",
}

MONTHLY_COLUMNS = [
    "source_id",
    "month",
    "provider",
    "account_id",
    "service",
    "unblended",
    "amortized",
    "currency",
    "estimated",
]


@contextmanager
def _hashing_fresh_rows() -> Iterator[CursorWrapper]:
    """A cursor whose statements group by hashing rather than sorting, until the block ends.

    The daily rows were loaded moments ago in this transaction, so the table's statistics do not know
    them yet: left alone the planner expects a handful of rows and sorts a million by five text keys
    (6 s here, spilling to disk). Grouping them in a hash table is about 2.5 s. The settings change no
    result; a failure inside rolls the transaction back, and the settings with it.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL enable_sort = off")
        yield cursor
        cursor.execute("SET LOCAL work_mem TO DEFAULT")
        cursor.execute("SET LOCAL enable_sort TO DEFAULT")


def _months_touched(start: date, end: date) -> tuple[date, date]:
    """[first month start, month start after the last) covering the days [start, end)."""
    return windows.first_of_month(start), windows.add_months(end - timedelta(days=1), 1)


def monthly_rollup_rebuild(
    *, source: CostSource, start: date, end: date, sums: RollupSums | None = None, provider: str = "AWS"
) -> int:
    """Rebuild MonthlyCost for every month that [start, end) touches. Call inside the transaction that
    changed the daily rows, so readers never see the two disagree.

    With `sums` (the normaliser's exact running sums of the rows just loaded, all of `provider`), a
    month the window covers whole is written from them: its daily rows are exactly the rows just
    loaded, so no GROUP BY over them is needed (2.5 s of Postgres CPU per million rows). A month the
    window cuts (its first or last) also holds daily rows from outside the window: it is summed from
    DailyCost, as every month is without `sums`.
    """
    month_start, month_end = _months_touched(start, end)
    MonthlyCost.objects.filter(source=source, month__gte=month_start, month__lt=month_end).delete()
    if sums is None:
        return _monthly_from_daily(source=source, month_start=month_start, month_end=month_end)

    def whole(month: date) -> bool:
        return start <= month and windows.add_months(month, 1) <= end

    written = rows_insert(
        MonthlyCost,
        MONTHLY_COLUMNS,
        (
            [source.pk, month, provider, account, service, unblended, amortized, currency, estimated]
            for month, account, service, currency, unblended, amortized, estimated in sums.totals()
            if whole(month)
        ),
    )
    last_month = windows.add_months(month_end, -1)
    for month in sorted({month_start, last_month}):
        if not whole(month):
            written += _monthly_from_daily(
                source=source, month_start=month, month_end=windows.add_months(month, 1)
            )
    return written


def _monthly_from_daily(*, source: CostSource, month_start: date, month_end: date) -> int:
    """INSERT MonthlyCost for [month_start, month_end) from DailyCost (the months' rows deleted first)."""
    totals = (
        DailyCost.objects.filter(source=source, day__gte=month_start, day__lt=month_end)
        .annotate(m=TruncMonth("day", output_field=DateField()))
        .values("m", "provider", "account_id", "service", "currency")
        .annotate(u=exact_sum("unblended"), a=exact_sum("amortized"), e=BoolOr("estimated"))
        .order_by()
    )
    sql, params = totals.query.sql_with_params()
    with _hashing_fresh_rows() as cursor:
        cursor.execute(
            f"INSERT INTO {MonthlyCost._meta.db_table} "
            "(month, provider, account_id, service, currency, unblended, amortized, estimated, source_id) "
            f"SELECT m, provider, account_id, service, currency, u, a, e, %s FROM ({sql}) AS t",
            [source.pk, *params],
        )
        return cursor.rowcount


def daily_rollup_rebuild(*, source: CostSource, start: date, end: date) -> int:
    """Rebuild DailyAccountCost and DailyServiceCost for the days [start, end) from DailyCost. Call in
    the transaction that changed the daily rows (as monthly_rollup_rebuild). Returns the rows written.

    One pass over the facts groups every daily rollup's grain at once (GROUPING SETS) and one statement
    writes all of them: each rollup's INSERT takes the groups of its own grain (_daily_rollup_insert).
    """
    for model in DAILY_ROLLUPS:
        model.objects.filter(source=source, day__gte=start, day__lt=end).delete()
    keys = list(DAILY_ROLLUPS.values())
    grouping_sets = ", ".join(f"(day, provider, {key}, currency)" for key in keys)
    grouped = ", ".join(f"GROUPING({key}) AS grouped_{key}" for key in keys)
    inserts = ", ".join(_daily_rollup_insert(model, key) for model, key in DAILY_ROLLUPS.items())
    counts = " + ".join(f"(SELECT COUNT(*) FROM into_{key})" for key in keys)
    with _hashing_fresh_rows() as cursor:
        cursor.execute(
            f"""
            WITH g AS (
                SELECT day, provider, {", ".join(keys)}, currency, {grouped},
                       SUM(unblended) AS u, SUM(amortized) AS a, BOOL_OR(estimated) AS e
                FROM {DailyCost._meta.db_table}
                WHERE source_id = %s AND day >= %s AND day < %s
                GROUP BY GROUPING SETS ({grouping_sets})
            ), {inserts}
            SELECT {counts}
            """,
            [source.pk, start, end, *[source.pk] * len(keys)],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _daily_rollup_insert(model: type[CostRollup], key: str) -> str:
    """The CTE writing one daily rollup: the groups of its grain (those where `key` was grouped by)."""
    columns = f"day, provider, {key}, currency"
    return (
        f"into_{key} AS (INSERT INTO {model._meta.db_table} "
        f"(source_id, {columns}, unblended, amortized, estimated) "
        f"SELECT %s, {columns}, u, a, e FROM g WHERE grouped_{key} = 0 RETURNING 1)"
    )
