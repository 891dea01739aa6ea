"""Background delivery of outbound messages. Thin: take the id, call the service."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from outbox import services


@shared_task(
    name="outbox.deliver",
    bind=True,
    # Safe to run twice: the service claims the row with a conditional UPDATE before sending, so a
    # redelivered message finds it sent (or held) and sends nothing.
    acks_late=True,
    autoretry_for=services.DELIVERY_ERRORS,
    # Exponential: 30 s, 1, 2, 4, 8 minutes (at most 10): a mail server that is down for a while.
    retry_backoff=30,
    retry_backoff_max=600,
    # Off: the schedule stays predictable for whoever reads a delivery's attempts; messages come a few
    # at a time, so there is no herd of retries to spread out.
    retry_jitter=False,
    max_retries=getattr(settings, "OUTBOX_MAX_RETRIES", 5),
    # Under services.CLAIM_SECONDS, so a worker's claim outlives the attempt it covers.
    soft_time_limit=120,
    time_limit=150,
    ignore_result=True,
)
def deliver(self: Any, delivery_id: int) -> bool:
    final = self.request.retries >= self.max_retries
    return services.delivery_attempt(delivery_id=delivery_id, final=final)
