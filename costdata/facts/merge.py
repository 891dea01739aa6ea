"""Merging a re-pulled window into the rows already held, touching only the rows that differ.

Its own module because it is the one write of the facts done in hand-written SQL over a staging table:
the scheduled refresh re-reads days the source already holds, and for a mostly unchanged window this is
about half the database work of deleting and reloading it (bench/README.md), with the same result.
"""

from __future__ import annotations

from datetime import date

from django.db import connection, models
from django.db.backends.utils import CursorWrapper

from costdata.facts.models import DailyCost
from costdata.facts.spool import SERVICE_COLUMNS, TAG_COLUMNS, RowSpool, spool_copy
from costdata.ingestion.models import CostSource

# The columns a merge compares; the others (but the source) identify a row, as the unique key does.
VALUE_COLUMNS = ["unblended", "amortized", "estimated"]


def spools_merge(
    model: type[models.Model], spools: list[RowSpool], *, source: CostSource, start: date, end: date
) -> int:
    """Make the source's rows of `model` in [start, end) equal the spooled rows, touching only the rows
    that differ. Returns the number of spooled rows (the window's rows after the merge).

    The spooled rows are COPYed into a temporary table (not WAL-logged, dropped at commit) and analysed,
    so the three joins of the merge hash rather than loop. A row is identified by the fact table's
    unique key.
    """
    table = model._meta.db_table
    columns = SERVICE_COLUMNS if model is DailyCost else TAG_COLUMNS
    stage = f"merge_{table}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS "
            f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA"
        )
        for spool in spools:
            spool_copy(spool, table=stage)
        cursor.execute(f"ANALYZE {stage}")
        _differences_apply(cursor, table=table, stage=stage, columns=columns, window=[source.pk, start, end])
        cursor.execute(f"DROP TABLE {stage}")
    return sum(spool.count for spool in spools)


def _differences_apply(
    cursor: CursorWrapper, *, table: str, stage: str, columns: list[str], window: list[int | date]
) -> None:
    """Delete the window's rows the stage lacks, update those whose values changed, insert the new."""
    keys = [name for name in columns if name not in VALUE_COLUMNS and name != "source_id"]
    same_key = " AND ".join(f"s.{k} = f.{k}" for k in keys)
    in_window = "f.source_id = %s AND f.day >= %s AND f.day < %s"
    held, staged = (", ".join(f"{side}.{v}" for v in VALUE_COLUMNS) for side in ("f", "s"))
    # The fact table's statistics may not know the window's rows yet (a window loaded moments ago,
    # before autovacuum analysed it: Postgres then guesses a handful). A nested loop over that guess
    # reads the staged rows once per fact row, which took minutes for a million rows instead of
    # seconds; hash joins are right for any window size, so nested loops are off for these three
    # statements (SET LOCAL: until the transaction ends, and reset below).
    cursor.execute("SET LOCAL enable_nestloop = off")
    cursor.execute(
        f"DELETE FROM {table} f WHERE {in_window} AND NOT EXISTS (SELECT 1 FROM {stage} s WHERE {same_key})",
        window,
    )
    cursor.execute(
        f"UPDATE {table} f SET {', '.join(f'{v} = s.{v}' for v in VALUE_COLUMNS)} FROM {stage} s "
        f"WHERE {in_window} AND {same_key} AND ({held}) IS DISTINCT FROM ({staged})",
        window,
    )
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(f's.{c}' for c in columns)} "
        f"FROM {stage} s WHERE NOT EXISTS (SELECT 1 FROM {table} f WHERE {in_window} AND {same_key})",
        window,
    )
    cursor.execute("SET LOCAL enable_nestloop TO DEFAULT")
