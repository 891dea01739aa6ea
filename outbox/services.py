"""Queue outbound messages and deliver them, each exactly once where the transport allows.

A message is recorded as a Delivery in the caller's transaction and handed to the `outbox.deliver`
task only when that transaction commits: a change that rolls back sends nothing, and a delivery that
fails never undoes the change that caused it.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from outbox.models import Delivery

logger = logging.getLogger(__name__)

# Transient failures of the transport: worth another attempt. socket.timeout is TimeoutError, and it
# and ConnectionError are OSErrors.
DELIVERY_ERRORS: tuple[type[Exception], ...] = (smtplib.SMTPException, OSError)
# Seconds a mail server may take before the attempt counts as failed (unless EMAIL_TIMEOUT says).
SEND_TIMEOUT_SECONDS = 60
# How long a worker's claim on a row lasts: longer than the task's hard time limit (outbox.tasks), so a
# claim lapses only when the worker holding it is gone.
CLAIM_SECONDS = 5 * 60
ERROR_MAX_CHARS = 2000

Attachment = tuple[str, str, str]  # filename, text content, mimetype


def email_enqueue(
    *,
    kind: str,
    to: list[str],
    subject: str,
    text: str,
    html: str | None = None,
    reference: str = "",
    attachments: Sequence[Attachment] = (),
) -> Delivery:
    """Record an e-mail and send it once the surrounding transaction commits (at once outside one)."""
    if not to:
        raise ValueError("An e-mail needs at least one recipient.")
    delivery = Delivery.objects.create(
        channel=Delivery.Channel.EMAIL,
        kind=kind,
        recipients=list(to),
        subject=subject,
        text_body=text,
        html_body=html or "",
        attachments=[list(a) for a in attachments],
        reference=reference,
    )
    transaction.on_commit(partial(_schedule, delivery.pk))
    return delivery


def _schedule(delivery_id: int) -> None:
    from outbox.tasks import deliver

    try:
        deliver.delay(delivery_id)
    except Exception:  # a broker outage must not fail the change that caused the message
        logger.exception("could not queue delivery_id=%s; it stays queued for an admin to retry", delivery_id)


def delivery_claim(*, delivery_id: int) -> Delivery | None:
    """Take the row for this attempt (None when it is sent, failed, or another worker holds it).

    One conditional UPDATE, so two deliveries of the same task message (a redelivery after a lost
    worker) never both send."""
    now = timezone.now()
    claimable = Q(status__in=Delivery.CLAIMABLE) | Q(status=Delivery.Status.SENDING, claimed_until__lt=now)
    claimed = Delivery.objects.filter(claimable, pk=delivery_id).update(
        status=Delivery.Status.SENDING,
        attempts=F("attempts") + 1,
        claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
    )
    return Delivery.objects.get(pk=delivery_id) if claimed else None


def delivery_attempt(*, delivery_id: int, final: bool) -> bool:
    """One attempt at a delivery: claim, send, record. Returns whether it sent.

    A transport error is recorded (retrying, or failed on the `final` attempt) and raised again for the
    task to retry; any other error fails the delivery at once."""
    delivery = delivery_claim(delivery_id=delivery_id)
    if delivery is None:
        logger.info("delivery_id=%s not claimable (sent, failed or held): nothing sent", delivery_id)
        return False
    try:
        _send_email(delivery)
    except Exception as exc:
        retry = isinstance(exc, DELIVERY_ERRORS) and not final
        _record(delivery, status=Delivery.Status.RETRYING if retry else Delivery.Status.FAILED, error=exc)
        logger.warning(
            "delivery_id=%s attempt %s failed (%s): %s",
            delivery.pk,
            delivery.attempts,
            "will retry" if retry else "gave up",
            type(exc).__name__,
        )
        raise
    _record(delivery, status=Delivery.Status.SENT)
    logger.info("delivery_id=%s kind=%s sent on attempt %s", delivery.pk, delivery.kind, delivery.attempts)
    return True


def _record(delivery: Delivery, *, status: str, error: BaseException | None = None) -> None:
    changes: dict[str, object] = {"status": status, "claimed_until": None}
    if status == Delivery.Status.SENT:
        changes["sent_at"] = timezone.now()
    if error is not None:
        # The exception's type and message only: SMTP errors carry the server's reply, never credentials.
        changes["last_error"] = f"{type(error).__name__}: {error}"[:ERROR_MAX_CHARS]
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(**changes)


def _send_email(delivery: Delivery) -> None:
    connection = mail.get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or SEND_TIMEOUT_SECONDS)
    message = mail.EmailMultiAlternatives(
        subject=delivery.subject, body=delivery.text_body, to=delivery.recipients, connection=connection
    )
    if delivery.html_body:
        message.attach_alternative(delivery.html_body, "text/html")
    for filename, content, mimetype in delivery.attachments:
        message.attach(filename, content, mimetype)
    message.send()


@transaction.atomic
def deliveries_retry(*, deliveries: QuerySet[Delivery]) -> int:
    """Queue failed deliveries again (and any whose worker vanished mid-send). Returns how many."""
    stuck = Q(status=Delivery.Status.FAILED) | Q(
        status=Delivery.Status.SENDING, claimed_until__lt=timezone.now()
    )
    ids = list(deliveries.filter(stuck).select_for_update().values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=ids).update(status=Delivery.Status.QUEUED, claimed_until=None)
    for delivery_id in ids:
        transaction.on_commit(partial(_schedule, delivery_id))
    return len(ids)
