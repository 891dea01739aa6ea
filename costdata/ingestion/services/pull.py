"""The Cost Explorer pull: the lease on a source, the window, fetching every page, and the run record."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import date, timedelta
from functools import partial
from typing import Any

from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
)
from django.conf import settings
from django.db.models import Min, Q
from django.utils import timezone

from costdata.commitments.services import source_insights_pull
from costdata.dashboards.warming import dashboards_warm_enqueue
from costdata.facts.models import DailyCost, DailyTagCost
from costdata.facts.services import (
    SERVICE_COLUMNS,
    TAG_COLUMNS,
    PullResult,
    QueryResult,
    RowSpool,
    SourceDeleted,
    cost_window_replace,
    csv_line_parts,
)
from costdata.ingestion import windows
from costdata.ingestion.cost_explorer import METRICS, PageNormaliser, RollupSums
from costdata.ingestion.models import CostSource, IngestionRun
from costdata.ingestion.services.errors import (
    RESTART_ERRORS,
    PullFailed,
    SourceBusy,
    classify_error,
    describe_error,
    error_code,
)
from costdata.variances.services import months_to_detect, variances_detect_enqueue

logger = logging.getLogger(__name__)


ACCOUNT_DIMENSION = {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}
# Failures before a request leaves the machine (nothing signed, or no connection made): not a request
# Cost Explorer saw or bills. Anything else that fails was sent and counts.
NEVER_SENT = (NoCredentialsError, PartialCredentialsError, ParamValidationError, EndpointConnectionError)
SERVICE_DIMENSION = {"Type": "DIMENSION", "Key": "SERVICE"}


# --- the lock ------------------------------------------------------------------------------------
def source_lease_claim(source_id: int, run: IngestionRun) -> bool:
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


def source_busy_reason(source_id: int) -> str:
    """Why a pull did not start: which run holds the source's lease, since when and until when."""
    source = CostSource.objects.select_related("locked_by_run").get(pk=source_id)
    holder = source.locked_by_run
    if holder is None or source.locked_until is None:
        return "Another pull of this source is running; this one did not start."
    by = f"task {holder.task_id}" if holder.task_id else "a command-line pull"
    since = timezone.localtime(holder.started_at).strftime("%Y-%m-%d %H:%M:%S %Z")
    until = timezone.localtime(source.locked_until).strftime("%Y-%m-%d %H:%M:%S %Z")
    return (
        f"Another pull of this source is running: run #{holder.pk} ({holder.get_trigger_display().lower()}, "
        f"{by}) since {since}, holding the lease until {until}; this one did not start."
    )


def source_lease_renew(source_id: int, run: IngestionRun) -> None:
    """Extend the lease while the pull makes progress, so only a stalled or dead pull ever loses it."""
    CostSource.objects.filter(pk=source_id, locked_by_run=run).update(
        locked_until=timezone.now() + timedelta(seconds=settings.PULL_LOCK_SECONDS)
    )


def source_lease_release(source_id: int, run: IngestionRun) -> None:
    CostSource.objects.filter(pk=source_id, locked_by_run=run).update(locked_until=None, locked_by_run=None)


# --- the window ----------------------------------------------------------------------------------
def source_refresh_window(*, source: CostSource, today: date) -> tuple[date, date]:
    """The window a scheduled pull reads: see costdata.ingestion.windows.refresh_window.

    What the source has read is the union of its successful runs' windows (not the days it holds rows
    for: a day without any cost has no row, and was read all the same).
    """
    held = DailyCost.objects.filter(source=source)
    history = windows.earliest_history_day(today)
    read = [
        (start, end)
        for start, end in IngestionRun.objects.filter(
            source=source,
            status=IngestionRun.Status.SUCCEEDED,
            window_start__isnull=False,
            window_end__gt=history,
        ).values_list("window_start", "window_end")
        if start is not None and end is not None  # as the filter says: mypy cannot see it
    ]
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
        first_unread_day=windows.first_unread_day(read, since=history, until=today),
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
        except NEVER_SENT:
            raise
        except Exception:
            count(None)  # a refused request was still made (and may still be billed)
            raise
        count(page)
        yield page
        token = page.get("NextPageToken")
        if not token:
            return


class _FetchProgress:
    """The requests a fetch has made, and how far through its queries it is (for on_request)."""

    def __init__(
        self, *, start: date, end: date, queries: int, on_request: Callable[[int, float], None] | None
    ) -> None:
        self.start, self.window_days = start, max((end - start).days, 1)
        self.queries, self.queries_done = queries, 0
        self.on_request = on_request
        self.requests = 0

    def count(self, page: Mapping[str, Any] | None) -> None:
        """One request made: `page` is its answer, None if it was refused."""
        self.requests += 1
        if self.on_request and page is not None:
            within = 1.0 if not page.get("NextPageToken") else self._within_query(page)
            self.on_request(self.requests, (self.queries_done + within) / self.queries)

    def _within_query(self, page: Mapping[str, Any]) -> float:
        """How far into the window a page of a query reaches (pages come in day order)."""
        days = [r.get("TimePeriod", {}).get("Start", "") for r in page.get("ResultsByTime") or []]
        try:
            last = date.fromisoformat(max(days)) if days else self.start
        except ValueError:
            return 0.0
        return min(((last - self.start).days + 1) / self.window_days, 1.0)


def _query_spooled(
    client: Any,
    *,
    start: date,
    end: date,
    group_by: list[dict[str, str]],
    tag_key: str | None,
    source_id: int,
    provider: str,
    progress: _FetchProgress,
) -> QueryResult:
    """One query's pages normalised into a spool; the window restarts once if Cost Explorer asks."""
    for attempt in (1, 2):
        spool = RowSpool(
            model=DailyCost if tag_key is None else DailyTagCost,
            columns=SERVICE_COLUMNS if tag_key is None else TAG_COLUMNS,
        )
        # The service query's rows are summed by month as they are normalised: MonthlyCost is
        # written from these sums instead of a GROUP BY over the loaded rows.
        monthly = RollupSums() if tag_key is None else None
        normaliser = PageNormaliser(
            tag_grouping=tag_key is not None, start=start, end=end, rollups=[monthly] if monthly else []
        )
        parts = csv_line_parts(source_id=source_id, provider=provider, tag_key=tag_key)
        try:
            for page in _query_pages(client, start=start, end=end, group_by=group_by, count=progress.count):
                spool.add_lines(normaliser.feed_csv(page, **parts))
        except ClientError as exc:
            spool.close()
            if error_code(exc) in RESTART_ERRORS and attempt == 1:
                logger.warning("restarting window %s..%s after %s", start, end, error_code(exc))
                continue
            raise
        except BaseException:
            spool.close()
            raise
        return QueryResult(spool, normaliser.estimated_days, normaliser.account_names, monthly)
    raise AssertionError("unreachable")


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

    on_request(requests made, fraction of the whole fetch done) is called after every page. A failure
    closes the spools already filled and carries the requests made (`requests_made`) to the run.
    """
    progress = _FetchProgress(start=start, end=end, queries=1 + len(tag_keys), on_request=on_request)
    query = partial(
        _query_spooled,
        client,
        start=start,
        end=end,
        source_id=source_id,
        provider=provider,
        progress=progress,
    )
    results: list[QueryResult] = []
    try:
        service = query(group_by=[ACCOUNT_DIMENSION, SERVICE_DIMENSION], tag_key=None)
        results.append(service)
        tags = {}
        for key in tag_keys:
            progress.queries_done += 1
            tags[key] = query(group_by=[ACCOUNT_DIMENSION, {"Type": "TAG", "Key": key}], tag_key=key)
            results.append(tags[key])
    except Exception as exc:
        for done in results:
            done.spool.close()
        exc.requests_made = progress.requests  # type: ignore[attr-defined]
        raise
    return PullResult(service=service, tags=tags, requests=progress.requests)


def cost_explorer_for(source: CostSource, *, today: date) -> Any:
    if source.kind == CostSource.Kind.DEMO:
        from costdata.ingestion.demo_source import DemoCostExplorer

        return DemoCostExplorer(today=today)
    from costdata.ingestion.aws import cost_explorer_client

    return cost_explorer_client(role_arn=source.role_arn, external_id=source.external_id)


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
    run = _run_begin(source=source, run_id=run_id, trigger=trigger, task_id=task_id)
    _lease_take_or_skip(source=source, run=run)
    try:
        start, end = _run_window(source=source, run=run, start=start, end=end, today=today)
        if progress:
            progress(0.0, f"reading {start}..{end} (end exclusive)")
        if client is None:
            client = cost_explorer_for(source, today=today)
        written, estimated_days = _window_fetch_and_replace(
            source=source, run=run, client=client, start=start, end=end, progress=progress
        )
        if with_insights:
            run.notes = _insights_notes(source=source, run=run, client=client, today=today)
    except Exception as exc:
        run.requests_made = getattr(exc, "requests_made", run.requests_made)
        _fail(run, exc)
        source_lease_release(source.pk, run)
        raise classify_error(exc, role_arn=source.role_arn) from exc
    _run_succeed(run, written=written, estimated_days=estimated_days)
    source_lease_release(source.pk, run)
    variances_detect_enqueue(months=months_to_detect(start=start, end=end, today=today))
    dashboards_warm_enqueue()
    logger.info("pulled %s %s..%s: %s rows, %s requests", source.name, start, end, written, run.requests_made)
    return run


def _run_begin(*, source: CostSource, run_id: int | None, trigger: str, task_id: str) -> IngestionRun:
    """The pull's run: the one an admin queued (it becomes this pull; a redelivery finds it running and
    starts afresh), or a new one."""
    queued = (
        IngestionRun.objects.filter(pk=run_id, source=source, status=IngestionRun.Status.QUEUED).first()
        if run_id
        else None
    )
    if queued is None:
        return IngestionRun.objects.create(source=source, trigger=trigger, task_id=task_id)
    queued.status, queued.started_at, queued.task_id = IngestionRun.Status.RUNNING, timezone.now(), task_id
    queued.save(update_fields=["status", "started_at", "task_id"])
    return queued


def _lease_take_or_skip(*, source: CostSource, run: IngestionRun) -> None:
    """Take the source's lease, or record the run as skipped, saying who holds it, and raise SourceBusy."""
    if source_lease_claim(source.pk, run):
        return
    run.status = IngestionRun.Status.SKIPPED
    run.error = source_busy_reason(source.pk)
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])
    raise SourceBusy(run.error)


def _run_window(
    *, source: CostSource, run: IngestionRun, start: date | None, end: date | None, today: date
) -> tuple[date, date]:
    """The window to read (the refresh window unless a backfill names one), recorded on the run."""
    if start is None or end is None:
        start, end = source_refresh_window(source=source, today=today)
    else:
        windows.validate_backfill(start=start, end=end, today=today)
    run.window_start, run.window_end = start, end
    run.save(update_fields=["window_start", "window_end"])
    return start, end


def _window_fetch_and_replace(
    *,
    source: CostSource,
    run: IngestionRun,
    client: Any,
    start: date,
    end: date,
    progress: Callable[[float, str], None] | None,
) -> tuple[int, int]:
    """Fetch the window (renewing the lease at every page) and replace it. Returns the rows written and
    the number of days still estimated."""

    def on_request(made: int, fraction: float) -> None:
        source_lease_renew(source.pk, run)
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
    return written, len(result.service.estimated_days)


def _insights_notes(*, source: CostSource, run: IngestionRun, client: Any, today: date) -> str:
    """Pull the month's forecast and commitments; their requests count to the run. The costs are in by
    now: a failure here becomes a note on the run rather than failing it."""

    def count_insight() -> None:
        run.requests_made += 1

    try:
        notes = source_insights_pull(source=source, client=client, today=today, count=count_insight)
    except Exception as exc:
        logger.exception("forecast and commitments of %s not stored", source.name)
        notes = [f"Forecast and commitments not stored: {describe_error(exc)}"]
    return "\n".join(notes)


def _run_succeed(run: IngestionRun, *, written: int, estimated_days: int) -> None:
    run.status = IngestionRun.Status.SUCCEEDED
    run.rows_written = written
    run.estimated_days = estimated_days
    run.finished_at = timezone.now()
    run.save(
        update_fields=["status", "rows_written", "requests_made", "estimated_days", "notes", "finished_at"]
    )


def _fail(run: IngestionRun, exc: BaseException) -> None:
    if isinstance(exc, SourceDeleted):  # the run's row went with its source
        logger.warning("pull of a deleted source stopped: %s", exc)
        return
    run.status = IngestionRun.Status.FAILED
    run.error = describe_error(exc, role_arn=run.source.role_arn)
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "requests_made", "finished_at"])
    logger.warning("pull of %s failed: %s", run.source.name, run.error)
