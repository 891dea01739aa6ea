"""What a pull task does about its own earlier deliveries: runs cut off by a lost worker or database.

The broker redelivers a pull whose worker died (acks_late, reject_on_worker_lost) with the same task id,
so the runs of one task id are its deliveries. A run of this task still marked running when the task
starts again was cut off: it is closed as interrupted, and after PULL_MAX_DELIVERIES interrupted
deliveries the task gives up instead of being killed forever (a pull that runs the worker out of
memory each time, say). The window was never half-written: it is replaced in one transaction.
A task whose run already succeeded is not pulled again when it is delivered once more (its
acknowledgement was lost with a Redis restart): each Cost Explorer request is billed.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from costdata.ingestion.models import CostSource, IngestionRun

INTERRUPTED = "Interrupted"


def interrupted_error(delivery: int) -> str:
    return (
        f"{INTERRUPTED}: the worker running this pull was lost (delivery {delivery}: killed, out of "
        "memory or restarted) before it finished; the task was redelivered. The data it would have "
        "replaced was kept."
    )


def pull_already_done(*, source_id: int, task_id: str) -> IngestionRun | None:
    """The run by which this task already succeeded, if any: its acknowledgement was lost (Redis
    restarted while it ran) and the broker delivered it again. Pulling again would only cost requests."""
    if not task_id:
        return None
    return IngestionRun.objects.filter(
        source_id=source_id, task_id=task_id, status=IngestionRun.Status.SUCCEEDED
    ).first()


@transaction.atomic
def pull_interrupted_runs_close(*, source_id: int, task_id: str) -> int:
    """Mark this task's runs still running as interrupted; return how many deliveries were interrupted."""
    if not task_id:
        return 0
    runs = IngestionRun.objects.select_for_update().filter(source_id=source_id, task_id=task_id)
    earlier = runs.filter(error__startswith=INTERRUPTED).count()
    now = timezone.now()
    for run in runs.filter(status=IngestionRun.Status.RUNNING).order_by("started_at", "pk"):
        earlier += 1
        run.status = IngestionRun.Status.FAILED
        run.error = interrupted_error(earlier)
        run.finished_at = now
        run.save(update_fields=["status", "error", "finished_at"])
    return earlier


@transaction.atomic
def pull_give_up(*, source_id: int, task_id: str, deliveries: int, trigger: str) -> IngestionRun:
    """Record that the task stopped trying, and free the lease its lost deliveries still hold."""
    last = (
        IngestionRun.objects.filter(source_id=source_id, task_id=task_id)
        .order_by("-started_at", "-pk")
        .first()
    )
    now = timezone.now()
    run = IngestionRun.objects.create(
        source_id=source_id,
        trigger=trigger,
        task_id=task_id,
        status=IngestionRun.Status.FAILED,
        window_start=last.window_start if last else None,
        window_end=last.window_end if last else None,
        started_at=now,
        finished_at=now,
        error=(
            f"Gave up after {deliveries} deliveries: the worker was lost during each one (killed, out of "
            "memory or restarted). The data the pull would have replaced was kept; the next scheduled "
            "pull tries again."
        ),
    )
    _lease_release(source_id=source_id, task_id=task_id)
    return run


@transaction.atomic
def pull_database_lost(*, source_id: int, task_id: str, reason: str) -> int:
    """Close this task's running runs as failed for a lost database connection; free their lease."""
    if not task_id:
        return 0
    closed = IngestionRun.objects.filter(
        source_id=source_id, task_id=task_id, status=IngestionRun.Status.RUNNING
    ).update(
        status=IngestionRun.Status.FAILED,
        error=(
            f"The database connection was lost during the pull ({reason}); nothing was written and "
            "the pull will be retried."
        ),
        finished_at=timezone.now(),
    )
    _lease_release(source_id=source_id, task_id=task_id)
    return closed


def _lease_release(*, source_id: int, task_id: str) -> None:
    CostSource.objects.filter(pk=source_id, locked_by_run__task_id=task_id).update(
        locked_until=None, locked_by_run=None
    )
