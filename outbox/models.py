"""One row per outbound message: what was (or will be) sent, to whom, and how its delivery went."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Delivery(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"  # claimed by a worker until claimed_until
        RETRYING = "retrying", "Retrying"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    # A worker may take a row in these states (a "sending" one only once its claim has lapsed).
    CLAIMABLE = (Status.QUEUED, Status.RETRYING)

    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    kind = models.CharField(max_length=64, help_text='What the message is, e.g. "variance_assigned".')
    recipients = models.JSONField(default=list, help_text="The addresses it goes to.")
    subject = models.TextField()
    text_body = models.TextField(help_text="Exactly the text that is sent.")
    html_body = models.TextField(blank=True, help_text="Exactly the HTML alternative that is sent, if any.")
    # [filename, content, mimetype] per attachment; text content only (a meeting's .ics).
    attachments = models.JSONField(default=list, blank=True)
    reference = models.CharField(
        max_length=200, blank=True, help_text='What caused it, e.g. "variance:12" or "meeting:3".'
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, help_text="The last delivery error (type and message).")
    created_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["-created_at"], name="outbox_created_idx"),
            models.Index(fields=["status", "-created_at"], name="outbox_status_created_idx"),
            models.Index(fields=["kind", "-created_at"], name="outbox_kind_created_idx"),
            models.Index(fields=["reference"], name="outbox_reference_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {', '.join(self.recipients)} ({self.status})"
