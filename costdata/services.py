"""Writes for cost data: sources, their schedules, and the pull that replaces a window of facts."""

from __future__ import annotations

import csv
import json
import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import DateField, IntegerField, Max, Min, Q
from django.db.models.functions import Cast, TruncMonth
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from costdata import insights, windows
from costdata.cost_explorer import METRICS, CostRow, MalformedResponse, NormalisedResult, PageNormaliser
from costdata.focus import FocusFileRefused, FocusRows, iter_records, read_focus
from costdata.models import (
    CloudAccount,
    CommitmentMetric,
    CostForecast,
    CostSource,
    DailyCost,
    DailyTagCost,
    IngestionRun,
    MonthlyCost,
)
from costdata.money import as_decimal, exact_sum

logger = logging.getLogger(__name__)

PULL_TASK_NAME = "costdata.pull_source"
ACCOUNT_DIMENSION = {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}
SERVICE_DIMENSION = {"Type": "DIMENSION", "Key": "SERVICE"}

# Errors that end a run as failed, with the message shown on the source's page, the admin and the API.
PERMANENT_ERRORS = {
    "DataUnavailableException": "Cost Explorer has no data for this window yet (DataUnavailableException).",
    "BillExpirationException": "The requested bill has expired: Cost Explorer keeps 13 months of daily history.",
    "AccessDeniedException": "Access denied: the credentials may not call Cost Explorer (ce:GetCostAndUsage).",
    "UnrecognizedClientException": "The AWS credentials were not recognised.",
    "InvalidClientTokenId": "The AWS credentials were not recognised.",
    "ExpiredTokenException": "The AWS credentials have expired.",
    "ValidationException": "Cost Explorer refused the request",
}
THROTTLING_ERRORS = {"LimitExceededException", "ThrottlingException", "TooManyRequestsException"}
RESTART_ERRORS = {"RequestChangedException", "InvalidNextTokenException"}


class SourceBusy(Exception):
    """Another run holds the source's lock."""


class PullThrottled(Exception):
    """Cost Explorer kept throttling past botocore's own retries: the task retries later."""


class PullFailed(Exception):
    """A permanent error: the run is failed, the data it would have replaced is kept."""


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


@dataclass
class PullResult:
    service: QueryResult
    tags: dict[str, QueryResult]
    requests: int

    def close(self) -> None:
        for result in [self.service, *self.tags.values()]:
            result.spool.close()


def _spool_rows(
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
        _spool_rows(
            spool, result.rows, source_id=source_id, provider=provider, start=start, end=end, tag_key=tag_key
        )
        return QueryResult(spool, set(result.estimated_days), dict(result.account_names))

    return PullResult(
        service=spooled(service, None),
        tags={key: spooled(result, key) for key, result in (tags or {}).items()},
        requests=0,
    )


# --- sources -------------------------------------------------------------------------------------
@transaction.atomic
def source_create(
    *,
    name: str,
    kind: str,
    role_arn: str = "",
    external_id: str = "",
    tag_keys: list[str] | None = None,
    interval_hours: int | None = None,
) -> CostSource:
    source = CostSource(
        name=name.strip(),
        kind=kind,
        role_arn=role_arn.strip(),
        external_id=external_id.strip(),
        tag_keys=[key.strip() for key in (tag_keys or []) if key.strip()],
    )
    source.full_clean()
    source.save()
    if source.pulls_from_cost_explorer:
        source_schedule_set(
            source=source, interval_hours=interval_hours or settings.DEFAULT_PULL_INTERVAL_HOURS
        )
    return source


@transaction.atomic
def source_schedule_set(*, source: CostSource, interval_hours: int) -> PeriodicTask:
    """Give the source its own beat entry (held in the database, so admins edit it in Django admin)."""
    if interval_hours < 1:
        raise ValidationError({"interval_hours": "A schedule must run at most once an hour."})
    interval, _ = IntervalSchedule.objects.get_or_create(every=interval_hours, period=IntervalSchedule.HOURS)
    task = source.schedule
    if task is None:
        task = PeriodicTask(name=f"Pull costs: {source.name}", task=PULL_TASK_NAME)
    task.interval = interval
    task.args = json.dumps([source.pk])
    task.enabled = source.active
    task.save()
    if source.schedule_id != task.pk:
        source.schedule = task
        source.save(update_fields=["schedule"])
    return task


@transaction.atomic
def source_pull_enqueue(
    *, source: CostSource, start: date | None = None, end: date | None = None
) -> IngestionRun:
    """Queue a manual pull: a queued run row now, the task once the transaction commits."""
    if not source.pulls_from_cost_explorer:
        raise ValidationError(
            {
                "source": f"{source.name} is a {source.get_kind_display()} source: import files into it instead."
            }
        )
    if (start is None) != (end is None):
        raise ValidationError({"end": "Give both start and end (end exclusive), or neither."})
    if start is not None and end is not None:
        try:
            windows.validate_backfill(start=start, end=end, today=timezone.localdate())
        except ValueError as exc:
            raise ValidationError({"start": str(exc)}) from exc
    trigger = IngestionRun.Trigger.BACKFILL if start else IngestionRun.Trigger.MANUAL
    run = IngestionRun.objects.create(
        source=source, trigger=trigger, status=IngestionRun.Status.QUEUED, window_start=start, window_end=end
    )

    def send() -> None:
        from costdata.tasks import pull_source

        pull_source.delay(
            source.pk, start.isoformat() if start else None, end.isoformat() if end else None, trigger, run.pk
        )

    transaction.on_commit(send)
    return run


# --- the lock ------------------------------------------------------------------------------------
def _claim(source_id: int, run: IngestionRun) -> bool:
    """Take the source's lease: one conditional UPDATE, so two workers can never both win.

    The lease is free when nobody holds it, when it has expired (its worker died), or when it is held by
    an earlier delivery of the same task (the broker redelivered it after its worker was killed).
    """
    now = timezone.now()
    free = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    if run.task_id:
        free |= Q(locked_by_run__task_id=run.task_id)
    claimed = CostSource.objects.filter(free, pk=source_id).update(
        locked_until=now + timedelta(seconds=settings.PULL_LOCK_SECONDS), locked_by_run=run
    )
    if claimed != 1:
        return False
    # Any other run of this source still marked running lost its worker: say so in the history.
    IngestionRun.objects.filter(source_id=source_id, status=IngestionRun.Status.RUNNING).exclude(
        pk=run.pk
    ).update(
        status=IngestionRun.Status.FAILED,
        error="The worker running this pull stopped before it finished; the data it would have replaced was kept.",
        finished_at=now,
    )
    return True


def _renew(source_id: int, run: IngestionRun) -> None:
    """Extend the lease while the pull makes progress, so only a stalled or dead pull ever loses it."""
    CostSource.objects.filter(pk=source_id, locked_by_run=run).update(
        locked_until=timezone.now() + timedelta(seconds=settings.PULL_LOCK_SECONDS)
    )


def _release(source_id: int, run: IngestionRun) -> None:
    CostSource.objects.filter(pk=source_id, locked_by_run=run).update(locked_until=None, locked_by_run=None)


# --- the window ----------------------------------------------------------------------------------
def source_refresh_window(*, source: CostSource, today: date) -> tuple[date, date]:
    """The window a scheduled pull reads: see costdata.windows.refresh_window."""
    held = DailyCost.objects.filter(source=source)
    holds_data = held.exists()
    earliest_estimated = held.filter(estimated=True).aggregate(day=Min("day"))["day"]
    previous_month_start = windows.add_months(today, -1)
    previous_month_final = (
        today.day > settings.BILL_FINAL_AFTER_DAYS
        and not held.filter(
            estimated=True, day__gte=previous_month_start, day__lt=windows.first_of_month(today)
        ).exists()
    )
    return windows.refresh_window(
        today=today,
        holds_data=holds_data,
        earliest_estimated_day=earliest_estimated,
        previous_month_final=previous_month_final,
    )


# --- fetching ------------------------------------------------------------------------------------
def _query_pages(
    client: Any,
    *,
    start: date,
    end: date,
    group_by: list[dict[str, str]],
    count: Callable[[Mapping[str, Any] | None], None],
) -> Iterator[Mapping[str, Any]]:
    """Every page of one GetCostAndUsage query, following NextPageToken to the end (botocore has no paginator)."""
    request: dict[str, Any] = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "DAILY",
        "Metrics": list(METRICS),
        "GroupBy": group_by,
    }
    token = None
    while True:
        try:
            page = client.get_cost_and_usage(**request, **({"NextPageToken": token} if token else {}))
        except Exception:
            count(None)  # a refused request was still made (and may still be billed)
            raise
        count(page)
        yield page
        token = page.get("NextPageToken")
        if not token:
            return


def fetch_cost_explorer(
    client: Any,
    *,
    start: date,
    end: date,
    tag_keys: list[str],
    source_id: int,
    provider: str = "AWS",
    on_request: Callable[[int, float], None] | None = None,
) -> PullResult:
    """Run the service query and one query per allocation tag key; restart the window once if CE asks.

    on_request(requests made, fraction of the whole fetch done) is called after every page.
    """
    requests = 0
    queries = 1 + len(tag_keys)
    queries_done = 0
    window_days = max((end - start).days, 1)

    def count(page: Mapping[str, Any] | None) -> None:
        nonlocal requests
        requests += 1
        if on_request and page is not None:
            days = [r.get("TimePeriod", {}).get("Start", "") for r in page.get("ResultsByTime") or []]
            try:
                last = date.fromisoformat(max(days)) if days else start
                within = min(((last - start).days + 1) / window_days, 1.0)
            except ValueError:
                within = 0.0
            if not page.get("NextPageToken"):
                within = 1.0
            on_request(requests, (queries_done + within) / queries)

    def query(group_by: list[dict[str, str]], tag_key: str | None) -> QueryResult:
        for attempt in (1, 2):
            spool = RowSpool(
                model=DailyCost if tag_key is None else DailyTagCost,
                columns=SERVICE_COLUMNS if tag_key is None else TAG_COLUMNS,
            )
            normaliser = PageNormaliser(tag_grouping=tag_key is not None)
            try:
                for page in _query_pages(client, start=start, end=end, group_by=group_by, count=count):
                    _spool_rows(
                        spool,
                        normaliser.feed(page),
                        source_id=source_id,
                        provider=provider,
                        start=start,
                        end=end,
                        tag_key=tag_key,
                    )
            except ClientError as exc:
                spool.close()
                if _error_code(exc) in RESTART_ERRORS and attempt == 1:
                    logger.warning("restarting window %s..%s after %s", start, end, _error_code(exc))
                    continue
                raise
            except BaseException:
                spool.close()
                raise
            return QueryResult(spool, normaliser.estimated_days, normaliser.account_names)
        raise AssertionError("unreachable")

    results: list[QueryResult] = []
    try:
        service = query([ACCOUNT_DIMENSION, SERVICE_DIMENSION], None)
        results.append(service)
        tags = {}
        for key in tag_keys:
            queries_done += 1
            tags[key] = query([ACCOUNT_DIMENSION, {"Type": "TAG", "Key": key}], key)
            results.append(tags[key])
    except Exception as exc:
        for done in results:
            done.spool.close()
        exc.requests_made = requests  # type: ignore[attr-defined]
        raise
    return PullResult(service=service, tags=tags, requests=requests)


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def cost_explorer_for(source: CostSource, *, today: date) -> Any:
    if source.kind == CostSource.Kind.DEMO:
        from costdata.demo_source import DemoCostExplorer

        return DemoCostExplorer(today=today)
    from costdata.aws import cost_explorer_client

    return cost_explorer_client(role_arn=source.role_arn, external_id=source.external_id)


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


def _insert(model: type, columns: list[str], records: Iterable[list[Any]]) -> int:
    spool = RowSpool(model=model, columns=columns)
    try:
        for record in records:
            spool.add(["t" if v is True else "f" if v is False else v for v in record])
        return _insert_spool(spool)
    finally:
        spool.close()


@transaction.atomic
def cost_window_replace(
    *, source: CostSource, start: date, end: date, result: PullResult, provider: str = "AWS"
) -> int:
    """Replace every fact of the source in [start, end) with the fetched rows, all or nothing.

    A restated day replaces its estimated figure; pulling the same window twice leaves identical data;
    if anything fails the transaction rolls back and the previous figures stay.
    """
    DailyCost.objects.filter(source=source, day__gte=start, day__lt=end).delete()
    DailyTagCost.objects.filter(source=source, day__gte=start, day__lt=end).delete()
    written = _insert_spool(result.service.spool)
    for tag_result in result.tags.values():
        written += _insert_spool(tag_result.spool)
    monthly_rollup_rebuild(source=source, start=start, end=end)
    _accounts_upsert(provider=provider, names=result.service.account_names)
    return written


def _accounts_upsert(*, provider: str, names: Mapping[str, str]) -> None:
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


# --- the pull ------------------------------------------------------------------------------------
def source_pull(
    *,
    source_id: int,
    start: date | None = None,
    end: date | None = None,
    trigger: str = IngestionRun.Trigger.SCHEDULE,
    task_id: str = "",
    today: date | None = None,
    progress: Callable[[float, str], None] | None = None,
    client: Any | None = None,
    run_id: int | None = None,
    with_insights: bool = True,
) -> IngestionRun:
    """Pull one source's window from Cost Explorer (or the demo source) into the fact tables.

    Steps: record a run; take the source's lease (or fail at once with SourceBusy); compute the window
    unless one is given; fetch every page of every query; replace the window in one transaction; record
    rows, requests and the outcome. A failure keeps the old data and leaves a failed run saying why.
    """
    source = CostSource.objects.get(pk=source_id)
    if not source.pulls_from_cost_explorer:
        raise PullFailed(
            f"{source.name} is a {source.get_kind_display()} source: import files into it instead"
        )
    today = today or timezone.localdate()
    queued = (
        IngestionRun.objects.filter(pk=run_id, source=source, status=IngestionRun.Status.QUEUED).first()
        if run_id
        else None
    )
    if queued is not None:
        # The run an admin queued: it becomes this pull (a redelivery finds it running and starts afresh).
        run = queued
        run.status, run.started_at, run.task_id = IngestionRun.Status.RUNNING, timezone.now(), task_id
        run.save(update_fields=["status", "started_at", "task_id"])
    else:
        run = IngestionRun.objects.create(source=source, trigger=trigger, task_id=task_id)
    if not _claim(source.pk, run):
        run.status = IngestionRun.Status.SKIPPED
        run.error = "Another pull of this source is running; this one did not start."
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        raise SourceBusy(run.error)
    try:
        if start is None or end is None:
            start, end = source_refresh_window(source=source, today=today)
        else:
            windows.validate_backfill(start=start, end=end, today=today)
        run.window_start, run.window_end = start, end
        run.save(update_fields=["window_start", "window_end"])
        if progress:
            progress(0.0, f"reading {start}..{end} (end exclusive)")
        if client is None:
            client = cost_explorer_for(source, today=today)

        def on_request(made: int, fraction: float) -> None:
            _renew(source.pk, run)
            if progress:
                progress(fraction, f"{made} request{'s' if made != 1 else ''}")

        result = fetch_cost_explorer(
            client,
            start=start,
            end=end,
            tag_keys=list(source.tag_keys),
            source_id=source.pk,
            on_request=on_request,
        )
        run.requests_made = result.requests
        try:
            written = cost_window_replace(source=source, start=start, end=end, result=result)
        finally:
            result.close()
        if with_insights:

            def count_insight() -> None:
                run.requests_made += 1

            notes = source_insights_pull(source=source, client=client, today=today, count=count_insight)
            run.notes = "\n".join(notes)
    except Exception as exc:
        run.requests_made = getattr(exc, "requests_made", run.requests_made)
        _fail(run, exc)
        _release(source.pk, run)
        raise _classify(exc) from exc
    run.status = IngestionRun.Status.SUCCEEDED
    run.rows_written = written
    run.estimated_days = len(result.service.estimated_days)
    run.finished_at = timezone.now()
    run.save(
        update_fields=["status", "rows_written", "requests_made", "estimated_days", "notes", "finished_at"]
    )
    _release(source.pk, run)
    logger.info("pulled %s %s..%s: %s rows, %s requests", source.name, start, end, written, run.requests_made)
    return run


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        code = _error_code(exc)
        message = exc.response.get("Error", {}).get("Message", "")
        known = PERMANENT_ERRORS.get(code)
        if code in THROTTLING_ERRORS:
            return f"Cost Explorer kept throttling the requests ({code}); the pull will be retried."
        return (
            f"{known}: {message}"
            if known and code == "ValidationException"
            else known or f"{code}: {message}"
        )
    if isinstance(exc, NoCredentialsError):
        return "No AWS credentials found: set them through the environment, a profile or an instance role."
    if isinstance(exc, BotoCoreError):
        return f"Could not reach Cost Explorer: {exc}"
    return str(exc) or exc.__class__.__name__


def _fail(run: IngestionRun, exc: BaseException) -> None:
    run.status = IngestionRun.Status.FAILED
    run.error = describe_error(exc)
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "requests_made", "finished_at"])
    logger.warning("pull of %s failed: %s", run.source.name, run.error)


def _classify(exc: BaseException) -> Exception:
    if isinstance(exc, ClientError) and _error_code(exc) in THROTTLING_ERRORS:
        return PullThrottled(describe_error(exc))
    return PullFailed(describe_error(exc))


# --- rollups -------------------------------------------------------------------------------------
def _months_touched(start: date, end: date) -> tuple[date, date]:
    """[first month start, month start after the last) covering the days [start, end)."""
    return windows.first_of_month(start), windows.add_months(end - timedelta(days=1), 1)


def monthly_rollup_rebuild(*, source: CostSource, start: date, end: date) -> int:
    """Rebuild MonthlyCost for every month that [start, end) touches, from DailyCost. Call inside the
    transaction that changed the daily rows, so readers never see the two disagree."""
    month_start, month_end = _months_touched(start, end)
    MonthlyCost.objects.filter(source=source, month__gte=month_start, month__lt=month_end).delete()
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
            cursor.execute(
                f"INSERT INTO {MonthlyCost._meta.db_table} "
                "(month, provider, account_id, service, currency, unblended, amortized, estimated, source_id) "
                f"SELECT m, provider, account_id, service, currency, u, a, e = 1, %s FROM ({sql}) AS t",
                [source.pk, *params],
            )
            return cursor.rowcount
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


# --- FOCUS import --------------------------------------------------------------------------------
@transaction.atomic
def focus_window_replace(*, source: CostSource, rows: FocusRows) -> int:
    """Replace the source's facts for the days the file speaks for, with the file's sums, all or nothing.

    Replace scope: every day from the file's earliest billing period start (or earlier charge) to its
    latest billing period end (or later charge). Importing the same file again, or a corrected export of
    the same billing periods, replaces those days and never adds to them.
    """
    assert rows.first_day is not None and rows.end_day is not None
    DailyCost.objects.filter(source=source, day__gte=rows.first_day, day__lt=rows.end_day).delete()
    records = (
        [source.pk, day, provider, account, service, sums[0], sums[1], currency, False]
        for (day, provider, account, service, currency), sums in rows.totals.items()
    )
    written = _insert(DailyCost, SERVICE_COLUMNS, records)
    monthly_rollup_rebuild(source=source, start=rows.first_day, end=rows.end_day)
    by_provider: dict[str, dict[str, str]] = {}
    for (provider, account), name in rows.account_names.items():
        by_provider.setdefault(provider, {})[account] = name
    for provider, names in by_provider.items():
        _accounts_upsert(provider=provider, names=names)
    return written


def focus_import(*, source: CostSource, path: Path, filename: str = "") -> IngestionRun:
    """Import a FOCUS 1.0 file (CSV, CSV.gz, Parquet with pyarrow) into a FOCUS source.

    Steps: record an import run; take the source's lease; read and check the whole file (a file with
    any problem is refused whole, the run failed with the first 50 problems); replace the days the file
    covers in one transaction. Raises FocusFileRefused or SourceBusy; the run row says why either way.
    """
    if source.kind != CostSource.Kind.FOCUS_FILE:
        raise ValidationError({"source": f"{source.name} is not a FOCUS file source."})
    run = IngestionRun.objects.create(source=source, trigger=IngestionRun.Trigger.IMPORT)
    if not _claim(source.pk, run):
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
        else:
            run.error = label + (str(exc) or exc.__class__.__name__)
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "window_start", "window_end", "finished_at"])
        _release(source.pk, run)
        raise
    run.status = IngestionRun.Status.SUCCEEDED
    run.rows_written = written
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "rows_written", "window_start", "window_end", "finished_at"])
    _release(source.pk, run)
    logger.info(
        "imported %s into %s: %s rows from %s records", filename or path, source.name, written, rows.rows_read
    )
    return run


# --- forecast and commitments --------------------------------------------------------------------
# Each refresh costs five requests; Cost Explorer updates these figures a few times a day.
INSIGHTS_REFRESH_HOURS = 12


def source_insights_pull(
    *, source: CostSource, client: Any, today: date, count: Callable[[], None]
) -> list[str]:
    """Store the open month's forecast and commitment coverage/utilisation; return notes on what was
    not available. Never fails the pull: these figures are additions to the cost facts, not part of them."""
    notes: list[str] = []
    fresh_after = timezone.now() - timedelta(hours=INSIGHTS_REFRESH_HOURS)
    month = insights.commitment_period(today=today)[0]
    if CommitmentMetric.objects.filter(source=source, month=month, fetched_at__gte=fresh_after).exists():
        return notes  # fetched recently: Cost Explorer refreshes these a few times a day at most

    def call(method: str, params: dict[str, Any]) -> Mapping[str, Any] | None:
        try:
            return getattr(client, method)(**params)
        except ClientError as exc:
            if _error_code(exc) != "DataUnavailableException":
                notes.append(f"{method}: {describe_error(exc)}")
            return None
        except BotoCoreError as exc:
            notes.append(f"{method}: {describe_error(exc)}")
            return None
        finally:
            count()

    request = insights.forecast_request(today=today)
    response = call("get_cost_forecast", request) if request else None
    if response is not None:
        forecast = insights.read_forecast(response, today=today)
        CostForecast.objects.update_or_create(
            source=source,
            month=forecast.month,
            defaults={
                "forecast_start": forecast.start,
                "forecast_end": forecast.end,
                "amount": forecast.amount,
                "lower": forecast.lower,
                "upper": forecast.upper,
                "currency": forecast.currency,
                "fetched_at": timezone.now(),
            },
        )
    elif request:
        notes.append("No forecast this time (Cost Explorer needs enough history to forecast).")

    answers = {
        method: call(method, params) for method, params in insights.commitment_requests(today=today).items()
    }
    for metric in (
        insights.read_savings_plans(
            answers["get_savings_plans_coverage"], answers["get_savings_plans_utilization"], month=month
        ),
        insights.read_reservations(
            answers["get_reservation_coverage"], answers["get_reservation_utilization"], month=month
        ),
    ):
        CommitmentMetric.objects.update_or_create(
            source=source,
            month=metric.month,
            kind=metric.kind,
            defaults={
                "coverage_percent": metric.coverage_percent,
                "utilisation_percent": metric.utilisation_percent,
                "on_demand_cost": metric.on_demand_cost,
                "covered_cost": metric.covered_cost,
                "total_commitment": metric.total_commitment,
                "unused_commitment": metric.unused_commitment,
                "fetched_at": timezone.now(),
            },
        )
    return notes
