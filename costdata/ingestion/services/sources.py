"""Cost sources and their schedules: adding a source, its beat entry, queueing a manual pull."""

from __future__ import annotations

import json
import logging
from datetime import date

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
