"""Background work for cost data. Thin: load ids, call one service."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from celery import shared_task
from django import db
from django.conf import settings
from django.db import InterfaceError, OperationalError

from costdata.ingestion import services
from costdata.ingestion.services import deliveries
from costdata.ingestion.services.errors import PullTimedOut
from costdata.models import IngestionRun

logger = logging.getLogger(__name__)


# A lost database (a restart, a failover) is retried this many times, backing off from PULL_RETRY_BACKOFF_SECONDS.
DATABASE_RETRIES = 5
DATABASE_LOST = (OperationalError, InterfaceError)


@shared_task(
    name=services.PULL_TASK_NAME,
    bind=True,
    # The pull replaces its window in one transaction, so running it again is safe: a worker that dies
    # mid-pull leaves its message unacknowledged and the broker hands it to another worker (the pool
    # requeues it at once when only the pool process died; Redis after the visibility timeout when the
    # whole worker did). PULL_MAX_DELIVERIES caps how often a pull may be cut off that way.
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(services.PullThrottled, PullTimedOut),
    retry_backoff=settings.PULL_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=5,
)
def pull_source(
    self: Any,
    source_id: int,
    start: str | None = None,
    end: str | None = None,
    trigger: str = IngestionRun.Trigger.SCHEDULE,
    run_id: int | None = None,
) -> dict[str, Any]:
    task_id = self.request.id or ""
    try:
        done = deliveries.pull_already_done(source_id=source_id, task_id=task_id)
        if done is not None:
            logger.info("pull of source %s already done by run %s: redelivery ignored", source_id, done.pk)
            return {**_outcome(done), "redelivered": True}
        interrupted = deliveries.pull_interrupted_runs_close(source_id=source_id, task_id=task_id)
        if interrupted >= settings.PULL_MAX_DELIVERIES:
            run = deliveries.pull_give_up(
                source_id=source_id, task_id=task_id, deliveries=interrupted, trigger=trigger
            )
            logger.error("pull of source %s: %s", source_id, run.error)
            return {"status": IngestionRun.Status.FAILED, "run_id": run.pk, "reason": run.error}
        if interrupted:
            logger.warning("pull of source %s redelivered after %s lost deliveries", source_id, interrupted)
        run = services.source_pull(
            source_id=source_id,
            start=date.fromisoformat(start) if start else None,
            end=date.fromisoformat(end) if end else None,
            trigger=trigger,
            task_id=task_id,
            run_id=run_id,
        )
    except services.SourceBusy as exc:
        logger.info("pull of source %s skipped: %s", source_id, exc)
        return {"status": IngestionRun.Status.SKIPPED, "reason": str(exc)}
    except services.PullFailed as exc:
        if isinstance(exc.__cause__, DATABASE_LOST):
            # The run recorded the lost connection itself; the database is worth another try.
            lost: Exception = exc.__cause__
        else:
            # Permanent: retrying would fail the same way. The run row already says why.
            logger.warning("pull of source %s failed: %s", source_id, exc)
            return {"status": IngestionRun.Status.FAILED, "reason": str(exc)}
    except DATABASE_LOST as exc:
        # The database went away mid-pull (a restart, a failover). The window is replaced in one
        # transaction, so nothing is half-written; the run could not even record its failure.
        lost = exc
    else:
        return _outcome(run)
    # Drop the dead connection, record the loss on a fresh one if the database answers again, retry.
    _database_lost(source_id=source_id, task_id=task_id, exc=lost)
    countdown = min(settings.PULL_RETRY_BACKOFF_SECONDS * 2**self.request.retries, 900)
    raise self.retry(exc=lost, countdown=countdown, max_retries=DATABASE_RETRIES) from lost


def _outcome(run: IngestionRun) -> dict[str, Any]:
    return {"status": run.status, "run_id": run.pk, "rows": run.rows_written, "requests": run.requests_made}


def _database_lost(*, source_id: int, task_id: str, exc: Exception) -> None:
    reason = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
    logger.warning("pull of source %s lost the database: %s; retrying", source_id, reason)
    if not db.connection.in_atomic_block:  # run eagerly inside a transaction: leave it to its owner
        db.connections.close_all()
    try:
        deliveries.pull_database_lost(source_id=source_id, task_id=task_id, reason=reason)
    except (OperationalError, InterfaceError):
        # Still away: the retry closes the run as interrupted when it starts.
        logger.warning(
            "pull of source %s: the database is still away; the retry will record the run", source_id
        )
        if not db.connection.in_atomic_block:
            db.connections.close_all()


@shared_task(name="costdata.detect_variances", acks_late=True, reject_on_worker_lost=True)
def detect_variances(months: list[str] | None = None) -> dict[str, Any]:
    """Detection is an upsert by natural key: running it twice, or again after a crash, is safe."""
    from costdata.variances.services import variances_detect

    result = variances_detect(months=[date.fromisoformat(m) for m in months] if months else None)
    return {
        "months": [m.isoformat() for m in result.months],
        "created": result.created,
        "updated": result.updated,
    }


@shared_task(name="costdata.escalate_overdue_variances")
def escalate_overdue_variances() -> list[int]:
    from costdata.variances.services import variances_escalate_overdue

    return variances_escalate_overdue()


@shared_task(name="costdata.send_variance_digest")
def send_variance_digest() -> int:
    from costdata.variances.services import variance_digest_send

    return variance_digest_send()


@shared_task(name="costdata.warm_dashboards", ignore_result=True)
def warm_dashboards() -> int:
    """After new data: fill the dashboards' cache for the views people open first (a later request
    for the same data version reads it instead of the facts)."""
    from costdata.dashboards.warming import dashboards_warm

    return dashboards_warm()
