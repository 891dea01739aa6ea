"""Writing the fact tables: the all-or-nothing window replace, and the writes every writer of the facts
shares. The steps live in their own modules: spool (rows kept until the window is read, then COPYed in),
merge (a re-pulled window merged into the rows held), rollups (MonthlyCost and the daily rollups rebuilt).
Import the writes from here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from costdata.facts.merge import spools_merge
from costdata.facts.models import DailyCost, DailyTagCost
from costdata.facts.rollups import daily_rollup_rebuild, monthly_rollup_rebuild
from costdata.facts.spool import (
    SERVICE_COLUMNS,
    TAG_COLUMNS,
    PullResult,
    QueryResult,
    RowSpool,
    csv_line_parts,
    pull_result_from_rows,
    rows_insert,
    spool_copy,
    spool_rows,
)
from costdata.ingestion.models import CloudAccount, CostSource
from costdata.ingestion.services.errors import PullFailed

__all__ = [
    "MERGE_HELD_WINDOWS",
    "SERVICE_COLUMNS",
    "TAG_COLUMNS",
    "PullResult",
    "QueryResult",
    "RowSpool",
    "SourceDeleted",
    "accounts_upsert",
    "cost_window_replace",
    "csv_line_parts",
    "daily_rollup_rebuild",
    "monthly_rollup_rebuild",
    "pull_result_from_rows",
    "rows_insert",
    "source_lock_for_facts",
    "spool_rows",
]

logger = logging.getLogger(__name__)


class SourceDeleted(PullFailed):
    """The source was deleted before its facts could be written; nothing was written."""


def source_lock_for_facts(*, source: CostSource) -> None:
    """Lock the source's row FOR KEY SHARE for the rest of the transaction that writes its facts.

    The fact tables have no database foreign key to their source (see costdata.facts.models): this lock
    keeps the guarantee one would give. It conflicts only with deleting the row or changing its key
    (the lease updates of a running pull do not wait for it), and deleting a source locks the row FOR
    UPDATE first (costdata.signals), so either the delete waits for this transaction and then removes
    its rows too, or this transaction waits for the delete and then finds the source gone.
    Call it first in the writing transaction.
    """
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {CostSource._meta.db_table} WHERE id = %s FOR KEY SHARE", [source.pk])
        found = cursor.fetchone() is not None
    if not found:
        raise SourceDeleted(f"The source {source.name} was deleted; nothing was written.")


# Merge a re-pulled window instead of deleting and reloading it. Off only to measure both side by side
# (bench/ingest.py).
MERGE_HELD_WINDOWS = True


@transaction.atomic
def cost_window_replace(
    *, source: CostSource, start: date, end: date, result: PullResult, provider: str = "AWS"
) -> int:
    """Replace every fact of the source in [start, end) with the fetched rows, all or nothing.

    A restated day replaces its estimated figure; pulling the same window twice leaves identical data;
    if anything fails the transaction rolls back and the previous figures stay.

    How: a window the source holds no rows in is loaded by COPY straight into the fact tables. A
    window it already holds (the scheduled refresh re-reads days it has) is merged (costdata.facts.
    merge): only the differences touch the fact table. The result is the same.
    """
    source_lock_for_facts(source=source)
    tag_spools = [tag_result.spool for tag_result in result.tags.values()]
    held = DailyCost.objects.filter(source=source, day__gte=start, day__lt=end)
    if MERGE_HELD_WINDOWS and held.exists():
        written = spools_merge(DailyCost, [result.service.spool], source=source, start=start, end=end)
        written += spools_merge(DailyTagCost, tag_spools, source=source, start=start, end=end)
    else:
        held.delete()
        DailyTagCost.objects.filter(source=source, day__gte=start, day__lt=end).delete()
        written = spool_copy(result.service.spool)
        for spool in tag_spools:
            written += spool_copy(spool)
    monthly_rollup_rebuild(
        source=source, start=start, end=end, sums=result.service.monthly, provider=provider
    )
    daily_rollup_rebuild(source=source, start=start, end=end)
    accounts_upsert(provider=provider, names=result.service.account_names)
    return written


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
