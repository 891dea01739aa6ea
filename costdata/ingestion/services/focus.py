"""FOCUS file import into a FOCUS source: read and check the whole file, then replace the days it covers."""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from costdata.dashboards.warming import dashboards_warm_enqueue
from costdata.facts.models import DailyCost, DailyTagCost
from costdata.facts.services import (
    SERVICE_COLUMNS,
    TAG_COLUMNS,
    accounts_upsert,
    daily_rollup_rebuild,
    monthly_rollup_rebuild,
    rows_insert,
    source_lock_for_facts,
)
from costdata.ingestion.focus import FocusFileRefused, FocusRows, iter_records, read_focus
from costdata.ingestion.models import CostSource, IngestionRun
from costdata.ingestion.services.errors import SourceBusy
from costdata.ingestion.services.pull import source_lease_claim, source_lease_release
from costdata.variances.services import months_to_detect, variances_detect_enqueue

logger = logging.getLogger(__name__)


# --- FOCUS import --------------------------------------------------------------------------------
@transaction.atomic
def focus_window_replace(*, source: CostSource, rows: FocusRows) -> int:
    """Replace the source's facts for the days the file speaks for, with the file's sums, all or nothing.

    The charges go to DailyCost; their Tags to DailyTagCost for the source's configured tag keys (every
    key the file uses if it has none; see costdata.ingestion.focus). Replace scope: every day from the file's earliest billing period start (or earlier charge) to its
    latest billing period end (or later charge). Importing the same file again, or a corrected export of
    the same billing periods, replaces those days and never adds to them.
    """
    assert rows.first_day is not None and rows.end_day is not None
    source_lock_for_facts(source=source)
    DailyCost.objects.filter(source=source, day__gte=rows.first_day, day__lt=rows.end_day).delete()
    DailyTagCost.objects.filter(source=source, day__gte=rows.first_day, day__lt=rows.end_day).delete()
    records = (
        [source.pk, day, provider, account, service, sums[0], sums[1], currency, False]
        for (day, provider, account, service, currency), sums in rows.totals.items()
    )
    written = rows_insert(DailyCost, SERVICE_COLUMNS, records)
    # The Tags column at the tag grain: the source's configured keys, or every key the file uses.
    written += rows_insert(
        DailyTagCost,
        TAG_COLUMNS,
        (
            [source.pk, day, provider, account, key, value, billed, effective, currency, False]
            for day, provider, account, key, value, currency, billed, effective in rows.tag_totals(
                source.tag_keys or ()
            )
        ),
    )
    monthly_rollup_rebuild(source=source, start=rows.first_day, end=rows.end_day)
    daily_rollup_rebuild(source=source, start=rows.first_day, end=rows.end_day)
    by_provider: dict[str, dict[str, str]] = {}
    for (provider, account), name in rows.account_names.items():
        by_provider.setdefault(provider, {})[account] = name
    for provider, names in by_provider.items():
        accounts_upsert(provider=provider, names=names)
    return written


class FocusImportFailed(Exception):
    """The file was valid but could not be stored: the run is failed with what the database said."""


def focus_import(*, source: CostSource, path: Path, filename: str = "") -> IngestionRun:
    """Import a FOCUS 1.0 file (CSV, CSV.gz, Parquet with pyarrow) into a FOCUS source.

    Steps: record an import run; take the source's lease; read and check the whole file (a file with
    any problem is refused whole, the run failed with the first 50 problems); replace the days the file
    covers in one transaction. Raises FocusFileRefused, FocusImportFailed (the database refused: a failed run, nothing written)
    or SourceBusy; the run row says why each way.
    """
    if source.kind != CostSource.Kind.FOCUS_FILE:
        raise ValidationError({"source": f"{source.name} is not a FOCUS file source."})
    run = IngestionRun.objects.create(source=source, trigger=IngestionRun.Trigger.IMPORT)
    if not source_lease_claim(source.pk, run):
        run.status = IngestionRun.Status.SKIPPED
        run.error = "Another import or pull of this source is running; this one did not start."
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        raise SourceBusy(run.error)
    try:
        columns, records = iter_records(path)
        rows = read_focus(columns, records)
        run.window_start, run.window_end = rows.first_day, rows.end_day
        written = focus_window_replace(source=source, rows=rows)
    except Exception as exc:
        run.status = IngestionRun.Status.FAILED
        label = f"{filename or path.name}: "
        if isinstance(exc, FocusFileRefused):
            more = " (only the first 50 problems are listed)" if exc.more else ""
            run.error = label + f"refused, nothing imported{more}:\n" + "\n".join(exc.problems)
        elif isinstance(exc, DatabaseError):
            first = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
            run.error = label + f"the database refused the import, nothing was imported ({first})."
        else:
            run.error = label + (str(exc) or exc.__class__.__name__)
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "window_start", "window_end", "finished_at"])
        source_lease_release(source.pk, run)
        if isinstance(exc, DatabaseError):
            raise FocusImportFailed(run.error) from exc
        raise
    run.status = IngestionRun.Status.SUCCEEDED
    run.rows_written = written
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "rows_written", "window_start", "window_end", "finished_at"])
    source_lease_release(source.pk, run)
    start, end = rows.window
    variances_detect_enqueue(months=months_to_detect(start=start, end=end))
    dashboards_warm_enqueue()
    logger.info(
        "imported %s into %s: %s rows from %s records", filename or path, source.name, written, rows.rows_read
    )
    return run
