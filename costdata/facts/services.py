"""Writing the fact tables: spooled rows, the all-or-nothing window replace (COPY on Postgres), rollups."""

from __future__ import annotations

import csv
import logging
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import DateField, IntegerField, Max
from django.db.models.functions import Cast, TruncMonth
from django.utils import timezone

from costdata.facts.models import DailyAccountCost, DailyCost, DailyServiceCost, DailyTagCost, MonthlyCost
from costdata.ingestion import windows
from costdata.ingestion.cost_explorer import (
    CostRow,
    MalformedResponse,
    NormalisedResult,
    RollupSums,
    csv_field,
)
from costdata.ingestion.models import CloudAccount, CostSource
from costdata.ingestion.services.errors import PullFailed
from costdata.money import as_decimal, exact_sum

logger = logging.getLogger(__name__)


class RowSpool:
    """One fact table's rows for a window, spooled as COPY-ready CSV (memory first, then a temp file).

    A pull reads every page before it replaces anything (a failed read keeps the old data); spooling
    keeps a million-row window out of the worker's memory while it waits.
    """

    MEMORY_BYTES = 16 * 1024 * 1024

    def __init__(self, *, model: type, columns: list[str]) -> None:
        self.model, self.columns = model, columns
        self.file = tempfile.SpooledTemporaryFile(max_size=self.MEMORY_BYTES, mode="w+", newline="")
        self._write = csv.writer(self.file, lineterminator="\n").writerow
        self.count = 0

    def add(self, record: list[Any]) -> None:
        self._write(record)
        self.count += 1

    def add_lines(self, lines: list[str]) -> None:
        """Rows already written as CSV lines (PageNormaliser.feed_csv): one write per page."""
        if lines:
            self.file.write("".join(lines))
            self.count += len(lines)

    def records(self) -> Iterator[list[str]]:
        self.file.seek(0)
        yield from csv.reader(self.file)

    def close(self) -> None:
        self.file.close()


@dataclass
class QueryResult:
    spool: RowSpool
    estimated_days: set[date]
    account_names: dict[str, str]
    # The normaliser's exact running sums at MonthlyCost's grain (service query only), if it kept them.
    monthly: RollupSums | None = None


@dataclass
class PullResult:
    service: QueryResult
    tags: dict[str, QueryResult]
    requests: int

    def close(self) -> None:
        for result in [self.service, *self.tags.values()]:
            result.spool.close()


def spool_rows(
    spool: RowSpool,
    rows: Iterable[CostRow],
    *,
    source_id: int,
    provider: str,
    start: date,
    end: date,
    tag_key: str | None,
) -> None:
    add = spool.add
    last_day: date | None = None
    day_text = ""
    for row in rows:
        if row.day != last_day:
            if not (start <= row.day < end):
                raise MalformedResponse(
                    f"the source answered for {row.day}, outside the window {start}..{end}"
                )
            last_day, day_text = row.day, row.day.isoformat()
        first, second = row.keys
        flag = "t" if row.estimated else "f"
        if tag_key is None:
            add(
                [
                    source_id,
                    day_text,
                    provider,
                    first,
                    second,
                    row.unblended,
                    row.amortized,
                    row.currency,
                    flag,
                ]
            )
        else:
            add(
                [
                    source_id,
                    day_text,
                    provider,
                    first,
                    tag_key,
                    second,
                    row.unblended,
                    row.amortized,
                    row.currency,
                    flag,
                ]
            )


def csv_line_parts(*, source_id: int, provider: str, tag_key: str | None) -> dict[str, str]:
    """The columns around the keys of a spooled CSV line (see PageNormaliser.feed_csv), quoted."""
    return {
        "line_start": f"{int(source_id)},",
        "after_day": f",{csv_field(provider)},",
        "after_first": "" if tag_key is None else f",{csv_field(tag_key)}",
    }


def pull_result_from_rows(
    *,
    source_id: int,
    start: date,
    end: date,
    service: NormalisedResult,
    tags: Mapping[str, NormalisedResult] | None = None,
    provider: str = "AWS",
) -> PullResult:
    """A PullResult from rows already in memory (small windows, imports of other shapes, tests)."""

    def spooled(result: NormalisedResult, tag_key: str | None) -> QueryResult:
        spool = RowSpool(
            model=DailyCost if tag_key is None else DailyTagCost,
            columns=SERVICE_COLUMNS if tag_key is None else TAG_COLUMNS,
        )
        spool_rows(
            spool, result.rows, source_id=source_id, provider=provider, start=start, end=end, tag_key=tag_key
        )
        return QueryResult(spool, set(result.estimated_days), dict(result.account_names))

    return PullResult(
        service=spooled(service, None),
        tags={key: spooled(result, key) for key, result in (tags or {}).items()},
        requests=0,
    )


# --- writing -------------------------------------------------------------------------------------
SERVICE_COLUMNS = [
    "source_id",
    "day",
    "provider",
    "account_id",
    "service",
    "unblended",
    "amortized",
    "currency",
    "estimated",
]
TAG_COLUMNS = [
    "source_id",
    "day",
    "provider",
    "account_id",
    "tag_key",
    "tag_value",
    "unblended",
    "amortized",
    "currency",
    "estimated",
]


def _copy_statement(model: type, columns: list[str]) -> str:
    """COPY ... FROM STDIN (FORMAT csv). In CSV an unquoted empty field means NULL, so every text
    column is FORCE_NOT_NULL: an untagged value ('') stays ''."""
    text_columns = [
        name
        for name in columns
        if name != "source_id" and model._meta.get_field(name).get_internal_type() == "CharField"
    ]
    statement = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv"
    if text_columns:
        statement += f", FORCE_NOT_NULL ({', '.join(text_columns)})"
    return statement + ")"


def _insert_spool(spool: RowSpool) -> int:
    """Postgres: COPY the spooled CSV straight in, an order of magnitude faster than INSERTs.
    SQLite (the embedded default): the portable path, bulk_create in batches."""
    if not spool.count:
        return 0
    if connection.vendor == "postgresql":
        spool.file.seek(0)
        with connection.cursor() as cursor:
            cursor.copy_expert(_copy_statement(spool.model, spool.columns), spool.file, 256 * 1024)
        return spool.count
    return _bulk_insert(spool.model, spool.columns, _typed(spool))


def _typed(spool: RowSpool) -> Iterator[list[Any]]:
    for record in spool.records():
        values: list[Any] = list(record)
        values[0] = int(values[0])
        values[1] = date.fromisoformat(values[1])
        values[-4] = Decimal(values[-4])
        values[-3] = Decimal(values[-3])
        values[-1] = values[-1] == "t"
        yield values


def _bulk_insert(model: type, columns: list[str], records: Iterable[list[Any]]) -> int:
    count = 0
    batch: list[Any] = []
    for record in records:
        batch.append(model(**dict(zip(columns, record, strict=True))))
        if len(batch) == 2000:
            model.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)
        count += len(batch)
    return count


def rows_insert(model: type, columns: list[str], records: Iterable[list[Any]]) -> int:
    spool = RowSpool(model=model, columns=columns)
    try:
        for record in records:
            spool.add(["t" if v is True else "f" if v is False else v for v in record])
        return _insert_spool(spool)
    finally:
        spool.close()


class SourceDeleted(PullFailed):
    """The source was deleted before its facts could be written; nothing was written."""


def source_lock_for_facts(*, source: CostSource) -> None:
    """Lock the source's row FOR KEY SHARE for the rest of the transaction that writes its facts.

    The fact tables have no database foreign key to their source (see models.FACT_SOURCE): this lock
    keeps the guarantee one would give. It conflicts only with deleting the row or changing its key
    (the lease updates of a running pull do not wait for it), and deleting a source locks the row FOR
    UPDATE first (costdata.signals), so either the delete waits for this transaction and then removes
    its rows too, or this transaction waits for the delete and then finds the source gone.
    Call it first in the writing transaction. SQLite has one writer at a time: the check suffices.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {CostSource._meta.db_table} WHERE id = %s FOR KEY SHARE", [source.pk]
            )
            found = cursor.fetchone() is not None
    else:
        found = CostSource.objects.filter(pk=source.pk).exists()
    if not found:
        raise SourceDeleted(f"The source {source.name} was deleted; nothing was written.")


# Merge a re-pulled window instead of deleting and reloading it (Postgres). Off only to measure both
# side by side (bench/ingest.py).
MERGE_HELD_WINDOWS = True


@transaction.atomic
def cost_window_replace(
    *, source: CostSource, start: date, end: date, result: PullResult, provider: str = "AWS"
) -> int:
    """Replace every fact of the source in [start, end) with the fetched rows, all or nothing.

    A restated day replaces its estimated figure; pulling the same window twice leaves identical data;
    if anything fails the transaction rolls back and the previous figures stay.

    How: a window the source holds no rows in is loaded by COPY straight into the fact tables. A
    window it already holds (the scheduled refresh re-reads days it has) is merged on Postgres: the
    rows go to a temporary table, and only the differences touch the fact table (rows gone deleted,
    changed amounts updated, new rows inserted), which for a mostly unchanged window is about half
    the database work of deleting and reloading it (bench/README.md). The result is the same.
    """
    source_lock_for_facts(source=source)
    tag_spools = [tag_result.spool for tag_result in result.tags.values()]
    held = DailyCost.objects.filter(source=source, day__gte=start, day__lt=end)
    if MERGE_HELD_WINDOWS and connection.vendor == "postgresql" and held.exists():
        written = _merge_spools(DailyCost, [result.service.spool], source=source, start=start, end=end)
        written += _merge_spools(DailyTagCost, tag_spools, source=source, start=start, end=end)
    else:
        held.delete()
        DailyTagCost.objects.filter(source=source, day__gte=start, day__lt=end).delete()
        written = _insert_spool(result.service.spool)
        for spool in tag_spools:
            written += _insert_spool(spool)
    monthly_rollup_rebuild(
        source=source, start=start, end=end, sums=result.service.monthly, provider=provider
    )
    daily_rollup_rebuild(source=source, start=start, end=end)
    accounts_upsert(provider=provider, names=result.service.account_names)
    return written


def _merge_spools(model: type, spools: list[RowSpool], *, source: CostSource, start: date, end: date) -> int:
    """Postgres: make the source's rows of `model` in [start, end) equal the spooled rows, touching
    only the rows that differ. Returns the number of spooled rows (the window's rows after the merge).

    The spooled rows are COPYed into a temporary table (not WAL-logged, dropped at commit) and analysed,
    so the three joins below hash rather than loop. A row is identified by the fact table's unique key.
    """
    table = model._meta.db_table
    columns = SERVICE_COLUMNS if model is DailyCost else TAG_COLUMNS
    values = ["unblended", "amortized", "estimated"]
    keys = [name for name in columns if name not in values and name != "source_id"]
    stage = f"merge_{table}"
    count = sum(spool.count for spool in spools)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS "
            f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA"
        )
        for spool in spools:
            if spool.count:
                spool.file.seek(0)
                cursor.copy_expert(
                    _copy_statement(model, columns).replace(table, stage, 1), spool.file, 256 * 1024
                )
        cursor.execute(f"ANALYZE {stage}")
        # The fact table's statistics may not know the window's rows yet (a window loaded moments ago,
        # before autovacuum analysed it: Postgres then guesses a handful). A nested loop over that guess
        # reads the staged rows once per fact row, which took minutes for a million rows instead of
        # seconds; hash joins are right for any window size, so nested loops are off for these three
        # statements (SET LOCAL: until the transaction ends, and reset below).
        cursor.execute("SET LOCAL enable_nestloop = off")
        same_key = " AND ".join(f"s.{k} = f.{k}" for k in keys)
        in_window = "f.source_id = %s AND f.day >= %s AND f.day < %s"
        window = [source.pk, start, end]
        cursor.execute(
            f"DELETE FROM {table} f WHERE {in_window} AND NOT EXISTS (SELECT 1 FROM {stage} s WHERE {same_key})",
            window,
        )
        cursor.execute(
            f"UPDATE {table} f SET {', '.join(f'{v} = s.{v}' for v in values)} FROM {stage} s "
            f"WHERE {in_window} AND {same_key} AND "
            f"({', '.join(f'f.{v}' for v in values)}) IS DISTINCT FROM ({', '.join(f's.{v}' for v in values)})",
            window,
        )
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(f's.{c}' for c in columns)} "
            f"FROM {stage} s WHERE NOT EXISTS (SELECT 1 FROM {table} f WHERE {in_window} AND {same_key})",
            window,
        )
        cursor.execute("SET LOCAL enable_nestloop TO DEFAULT")
        cursor.execute(f"DROP TABLE {stage}")
    return count


def accounts_upsert(*, provider: str, names: Mapping[str, str]) -> None:
    if not names:
        return
    now = timezone.now()
    CloudAccount.objects.bulk_create(
        [
            CloudAccount(provider=provider, account_id=account_id, name=name, updated_at=now)
            for account_id, name in names.items()
        ],
        update_conflicts=True,
        unique_fields=["provider", "account_id"],
        update_fields=["name", "updated_at"],
    )


# --- rollups -------------------------------------------------------------------------------------
def _months_touched(start: date, end: date) -> tuple[date, date]:
    """[first month start, month start after the last) covering the days [start, end)."""
    return windows.first_of_month(start), windows.add_months(end - timedelta(days=1), 1)


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
        .annotate(
            u=exact_sum("unblended"), a=exact_sum("amortized"), e=Max(Cast("estimated", IntegerField()))
        )
        .order_by()
    )
    if connection.vendor == "postgresql":
        sql, params = totals.query.sql_with_params()
        with connection.cursor() as cursor:
            # The daily rows were loaded moments ago in this transaction, so the table's statistics do
            # not know them yet: left alone the planner expects a handful of rows and sorts a million
            # by five text keys (6 s here, spilling to disk). Grouping them in a hash table is about
            # 2.5 s; these settings last for this statement only and change no result.
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(
                f"INSERT INTO {MonthlyCost._meta.db_table} "
                "(month, provider, account_id, service, currency, unblended, amortized, estimated, source_id) "
                f"SELECT m, provider, account_id, service, currency, u, a, e = 1, %s FROM ({sql}) AS t",
                [source.pk, *params],
            )
            written = cursor.rowcount
            # (A failure above rolls the transaction back, and these settings with it.)
            cursor.execute("SET LOCAL work_mem TO DEFAULT")
            cursor.execute("SET LOCAL enable_sort TO DEFAULT")
            return written
    rows = [
        MonthlyCost(
            source=source,
            month=t["m"],
            provider=t["provider"],
            account_id=t["account_id"],
            service=t["service"],
            currency=t["currency"],
            unblended=as_decimal(t["u"]),
            amortized=as_decimal(t["a"]),
            estimated=bool(t["e"]),
        )
        for t in totals
    ]
    MonthlyCost.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def daily_rollup_rebuild(*, source: CostSource, start: date, end: date) -> int:
    """Rebuild DailyAccountCost and DailyServiceCost for the days [start, end) from DailyCost. Call in
    the transaction that changed the daily rows (as monthly_rollup_rebuild). Returns the rows written.

    On Postgres one pass over the facts groups both grains at once (GROUPING SETS) and one statement
    writes both tables; elsewhere two ORM aggregates. The sums are the database's exact numeric sums.
    """
    DailyAccountCost.objects.filter(source=source, day__gte=start, day__lt=end).delete()
    DailyServiceCost.objects.filter(source=source, day__gte=start, day__lt=end).delete()
    if connection.vendor == "postgresql":
        facts, accounts, services = (
            DailyCost._meta.db_table,
            DailyAccountCost._meta.db_table,
            DailyServiceCost._meta.db_table,
        )
        with connection.cursor() as cursor:
            # As in the monthly rollup: fresh rows unknown to the statistics, so hash rather than sort.
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(
                f"""
                WITH g AS (
                    SELECT day, provider, account_id, service, currency, GROUPING(account_id) AS by_service,
                           SUM(unblended) AS u, SUM(amortized) AS a, BOOL_OR(estimated) AS e
                    FROM {facts}
                    WHERE source_id = %s AND day >= %s AND day < %s
                    GROUP BY GROUPING SETS ((day, provider, account_id, currency), (day, provider, service, currency))
                ), by_account AS (
                    INSERT INTO {accounts}
                        (source_id, day, provider, account_id, currency, unblended, amortized, estimated)
                    SELECT %s, day, provider, account_id, currency, u, a, e FROM g WHERE by_service = 0
                    RETURNING 1
                ), by_service AS (
                    INSERT INTO {services}
                        (source_id, day, provider, service, currency, unblended, amortized, estimated)
                    SELECT %s, day, provider, service, currency, u, a, e FROM g WHERE by_service = 1
                    RETURNING 1
                )
                SELECT (SELECT COUNT(*) FROM by_account) + (SELECT COUNT(*) FROM by_service)
                """,
                [source.pk, start, end, source.pk, source.pk],
            )
            written = int(cursor.fetchone()[0])
            cursor.execute("SET LOCAL work_mem TO DEFAULT")
            cursor.execute("SET LOCAL enable_sort TO DEFAULT")
            return written
    written = 0
    for model, key in ((DailyAccountCost, "account_id"), (DailyServiceCost, "service")):
        totals = (
            DailyCost.objects.filter(source=source, day__gte=start, day__lt=end)
            .values("day", "provider", key, "currency")
            .annotate(
                u=exact_sum("unblended"), a=exact_sum("amortized"), e=Max(Cast("estimated", IntegerField()))
            )
            .order_by()
        )
        rows = [
            model(
                source=source,
                day=t["day"],
                provider=t["provider"],
                currency=t["currency"],
                unblended=as_decimal(t["u"]),
                amortized=as_decimal(t["a"]),
                estimated=bool(t["e"]),
                **{key: t[key]},
            )
            for t in totals
        ]
        model.objects.bulk_create(rows, batch_size=2000)
        written += len(rows)
    return written
