"""A window's rows between the source's pages and the fact tables: spooled as COPY-ready CSV, then COPYed in.

Its own module because both writers of the facts fill spools (a Cost Explorer pull page by page, a FOCUS
import record by record) and both load them the same way, whether the window is loaded fresh
(costdata.facts.services) or merged into rows already held (costdata.facts.merge).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, models

from costdata.facts.models import DailyCost, DailyTagCost
from costdata.ingestion.cost_explorer import (
    CostRow,
    MalformedResponse,
    NormalisedResult,
    RollupSums,
    csv_field,
)


class RowSpool:
    """One fact table's rows for a window, spooled as COPY-ready CSV (memory first, then a temp file).

    A pull reads every page before it replaces anything (a failed read keeps the old data); spooling
    keeps a million-row window out of the worker's memory while it waits.
    """

    MEMORY_BYTES = 16 * 1024 * 1024

    def __init__(self, *, model: type[models.Model], columns: list[str]) -> None:
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


def copy_statement(model: type[models.Model], columns: list[str], *, table: str | None = None) -> str:
    """COPY ... FROM STDIN (FORMAT csv). In CSV an unquoted empty field means NULL, so every text
    column is FORCE_NOT_NULL: an untagged value ('') stays ''."""
    text_columns = [
        name
        for name in columns
        if name != "source_id" and model._meta.get_field(name).get_internal_type() == "CharField"
    ]
    statement = f"COPY {table or model._meta.db_table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv"
    if text_columns:
        statement += f", FORCE_NOT_NULL ({', '.join(text_columns)})"
    return statement + ")"


COPY_BUFFER_BYTES = 256 * 1024


def spool_copy(spool: RowSpool, *, table: str | None = None) -> int:
    """COPY the spooled CSV into the spool's fact table (or `table`, a staging copy of it), an order of
    magnitude faster than INSERTs. Returns the rows copied."""
    if not spool.count:
        return 0
    statement = copy_statement(spool.model, spool.columns, table=table)
    spool.file.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(statement, spool.file, COPY_BUFFER_BYTES)
    return spool.count


def rows_insert(model: type[models.Model], columns: list[str], records: Iterable[list[Any]]) -> int:
    """COPY rows given as lists of values (True and False written as Postgres reads them) into `model`."""
    spool = RowSpool(model=model, columns=columns)
    try:
        for record in records:
            spool.add(["t" if v is True else "f" if v is False else v for v in record])
        return spool_copy(spool)
    finally:
        spool.close()
