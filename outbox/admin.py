"""Deliveries, read-only: what was sent to whom and how it went; failed ones can be queued again."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from outbox import services
from outbox.models import Delivery


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "channel",
        "recipient_list",
        "subject",
        "status",
        "attempts",
        "sent_at",
    ]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["recipients", "reference"]
    date_hierarchy = "created_at"
    list_select_related = False
    actions = ["retry_failed"]
    fieldsets = [
        (None, {"fields": ["kind", "channel", "reference", "recipients", "subject"]}),
        (
            "Delivery",
            {"fields": ["status", "attempts", "last_error", "created_at", "sent_at", "claimed_until"]},
        ),
        ("What is sent", {"fields": ["text_body", "html_body", "attachment_names"]}),
    ]
    readonly_fields = ["attachment_names"]

    @admin.display(description="recipients")
    def recipient_list(self, obj: Delivery) -> str:
        return ", ".join(obj.recipients)

    @admin.display(description="attachments")
    def attachment_names(self, obj: Delivery) -> str:
        return ", ".join(f"{name} ({mimetype})" for name, _content, mimetype in obj.attachments) or "-"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Delivery | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Delivery | None = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        # The model's own change permission: the admin form is read-only, the action is the one write.
        return request.user.has_perm("outbox.change_delivery")

    @admin.action(description="Retry failed deliveries", permissions=["retry"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        queued = services.deliveries_retry(deliveries=queryset)
        skipped = queryset.count() - queued
        self.message_user(request, f"{queued} delivery(ies) queued again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} skipped: only failed deliveries are retried.", messages.WARNING
            )
