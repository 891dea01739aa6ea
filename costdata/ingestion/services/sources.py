"""Cost sources and their schedules: adding a source, its beat entry, queueing a manual pull."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from costdata.ingestion import windows
from costdata.ingestion.models import CostSource, IngestionRun

logger = logging.getLogger(__name__)

PULL_TASK_NAME = "costdata.pull_source"


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
    # A periodic task runs on exactly one kind of schedule: an interval replaces any other it had.
    task.interval, task.crontab, task.solar, task.clocked = interval, None, None, None
    task.args = json.dumps([source.pk])
    task.enabled = source.active
    task.save()
    if source.schedule_id != task.pk:
        source.schedule = task
        source.save(update_fields=["schedule"])
    return task


def source_schedule_sync(*, source: CostSource) -> PeriodicTask:
    """Give the source a beat entry if it has none (every DEFAULT_PULL_INTERVAL_HOURS), and keep the
    one it has pulling this source, paused while the source is. When and how often it runs is left as
    an admin set it on the periodic task (another interval, a crontab, ...)."""
    task = source.schedule
    if task is None:
        return source_schedule_set(source=source, interval_hours=settings.DEFAULT_PULL_INTERVAL_HOURS)
    task.task, task.args, task.enabled = PULL_TASK_NAME, json.dumps([source.pk]), source.active
    task.save()
    return task


def backfill_estimate(*, source: CostSource, start: date, end: date) -> tuple[int, Decimal]:
    """About how many Cost Explorer requests a backfill of [start, end) makes, and what they cost.

    One query for services and one per tag key, each paged: the pages a query needed per month of
    window in this source's last successful pulls (one a month without history), times the months.
    """
    queries = 1 + len(source.tag_keys or [])
    months = max(1, -(-(end - start).days // 31))
    runs = source.runs.filter(status=IngestionRun.Status.SUCCEEDED, requests_made__gt=0).exclude(
        window_start=None
    )[:10]
    per_month = [
        run.requests_made / queries / max(1, -(-(run.window_end - run.window_start).days // 31))
        for run in runs
        if run.window_end is not None and run.window_start is not None
    ]
    pages = max(1, round(sum(per_month) / len(per_month))) if per_month else 1
    requests = queries * months * pages
    return requests, settings.COST_EXPLORER_REQUEST_PRICE * requests


def _refuse_costly_backfill(*, source: CostSource, start: date, end: date, confirm: bool) -> None:
    requests, cost = backfill_estimate(source=source, start=start, end=end)
    if requests > settings.BACKFILL_CONFIRM_REQUESTS and not confirm:
        raise ValidationError(
            {
                "confirm": f"This backfill needs about {requests} Cost Explorer requests (about "
                f"{cost:.2f} USD, billed by AWS): send confirm=true to queue it."
            }
        )


QUEUED_STALE_AFTER = timedelta(hours=1)


def _queued_run(source: CostSource) -> IngestionRun | None:
    """The source's pull that is queued and not started yet (at most one: see source_pull_enqueue).
    One queued for over an hour lost its task (a broker without its queue): it is closed as failed,
    so it blocks nothing."""
    waiting = source.runs.filter(status=IngestionRun.Status.QUEUED)
    waiting.filter(started_at__lt=timezone.now() - QUEUED_STALE_AFTER).update(
        status=IngestionRun.Status.FAILED,
        finished_at=timezone.now(),
        error="Never started: its queued task was lost. Queue the pull again.",
    )
    return waiting.order_by("pk").first()


@transaction.atomic
def source_pull_enqueue(
    *, source: CostSource, start: date | None = None, end: date | None = None, confirm: bool = False
) -> IngestionRun:
    """Queue a manual pull: a queued run row now, the task once the transaction commits.

    A source has at most one queued pull: asking again for a refresh while one waits returns it; a
    backfill waits its turn (refused, naming the queued run). A backfill past BACKFILL_CONFIRM_REQUESTS
    estimated requests (each billed) needs `confirm`.
    """
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
        _refuse_costly_backfill(source=source, start=start, end=end, confirm=confirm)
    CostSource.objects.select_for_update().filter(pk=source.pk).first()  # one enqueue at a time
    waiting = _queued_run(source)
    if waiting is not None:
        if start is None:
            return waiting
        raise ValidationError(
            {"start": f"A pull of {source.name} is already queued (run {waiting.pk}); wait for it."}
        )
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
