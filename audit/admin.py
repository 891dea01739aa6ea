"""Admin for the project's own tables: the audit trail, read-only."""

from __future__ import annotations

from auditlog.admin import LogEntryAdmin
from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditLogEntry

if admin.site.is_registered(AuditLogEntry):  # auditlog's own admin registers the swapped model first
    admin.site.unregister(AuditLogEntry)


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(LogEntryAdmin):
    """auditlog's log admin plus the channel; nothing can be added, changed or deleted here."""

    list_display = ["created", "resource_url", "action", "channel", "msg_short", "user_url", "cid_url"]
    list_filter = ["action", "channel", *LogEntryAdmin.list_filter]
    fieldsets = [
        (None, {"fields": ["created", "user_url", "channel", "resource_url", "cid", "remote_addr"]}),
        ("Changes", {"fields": ["action", "msg"]}),
    ]
    readonly_fields = [*LogEntryAdmin.readonly_fields, "channel", "cid", "remote_addr"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditLogEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditLogEntry | None = None) -> bool:
        return False
