"""Background work for cost data. Thin: load ids, call one service."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from celery import shared_task

from costdata import services
from costdata.models import IngestionRun

logger = logging.getLogger(__name__)


@shared_task(
    name=services.PULL_TASK_NAME,
    bind=True,
    # The pull replaces its window in one transaction, so running it again is safe: a worker that dies
    # mid-pull leaves its message unacknowledged and the broker hands it to another worker.
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(services.PullThrottled,),
    retry_backoff=30,
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
    try:
        run = services.source_pull(
            source_id=source_id,
            start=date.fromisoformat(start) if start else None,
            end=date.fromisoformat(end) if end else None,
            trigger=trigger,
            task_id=self.request.id or "",
            run_id=run_id,
        )
    except services.SourceBusy as exc:
        logger.info("pull of source %s skipped: %s", source_id, exc)
        return {"status": IngestionRun.Status.SKIPPED, "reason": str(exc)}
    except services.PullFailed as exc:
        # Permanent: retrying would fail the same way. The run row already says why.
        logger.warning("pull of source %s failed: %s", source_id, exc)
        return {"status": IngestionRun.Status.FAILED, "reason": str(exc)}
    return {"status": run.status, "run_id": run.pk, "rows": run.rows_written, "requests": run.requests_made}


@shared_task(name="costdata.detect_variances", acks_late=True, reject_on_worker_lost=True)
def detect_variances(months: list[str] | None = None) -> dict[str, Any]:
    """Detection is an upsert by natural key: running it twice, or again after a crash, is safe."""
    from costdata.services.variances import variances_detect

    result = variances_detect(months=[date.fromisoformat(m) for m in months] if months else None)
    return {
        "months": [m.isoformat() for m in result.months],
        "created": result.created,
        "updated": result.updated,
    }


@shared_task(name="costdata.escalate_overdue_variances")
def escalate_overdue_variances() -> list[int]:
    from costdata.services.variances import variances_escalate_overdue

    return variances_escalate_overdue()


@shared_task(name="costdata.send_variance_digest")
def send_variance_digest() -> int:
    from costdata.services.variances import variance_digest_send

    return variance_digest_send()
