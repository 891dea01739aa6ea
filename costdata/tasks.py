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
