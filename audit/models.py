"""The audit trail's table: django-auditlog's log entry plus the channel a change came through.

django-auditlog records every change to the registered models (settings.AUDITLOG_INCLUDE_TRACKING_MODELS)
from the models' signals; `audit.recording` fills in who, through which channel and under which
correlation id. Rows are append-only: the admin and the API offer no edit or delete, and on Postgres a
trigger (migration partnership 0003) refuses UPDATE and DELETE on the table.
"""

from __future__ import annotations

from auditlog.models import AbstractLogEntry
from django.db import models


class Channel(models.TextChoices):
    PAGE = "page", "Page"
    API = "api", "API"
    ADMIN = "admin", "Admin"
    TASK = "task", "Task"
    COMMAND = "command", "Command"
    SYSTEM = "system", "System"
    LEGACY = "legacy", "Before the audit library"


class AuditLogEntry(AbstractLogEntry):
    """One change to one object: who, when, old and new values, and through which channel."""

    channel = models.CharField(
        max_length=12,
        choices=Channel.choices,
        default=Channel.SYSTEM,
        db_index=True,
        help_text="page, api, admin, task or command; system when no entry point set one.",
    )
    actor_username = models.CharField(
        max_length=150,
        blank=True,
        default="",
        db_default="",  # rows written by older code (and old migrations) get it too
        help_text="Who acted, kept when their account is deleted (as actor_email is).",
    )

    class Meta(AbstractLogEntry.Meta):
        db_table = "partnership_auditlogentry"  # the table predates this package
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log entries"
        ordering = ["-timestamp", "-pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "timestamp"], name="audit_object_time"),
            models.Index(fields=["actor", "timestamp"], name="audit_actor_time"),
        ]

    @property
    def change_rows(self) -> list:
        """The changed fields as (field, old, new) rows for pages and the API."""
        from audit.selectors import changes_of

        return changes_of(self)

    @property
    def object_type(self) -> str:
        return f"{self.content_type.app_label}.{self.content_type.model}"
