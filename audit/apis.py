"""GET /api/v1/audit/: the audit trail, filtered and paginated. Admins and finance only (404 for others)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated

from audit.access import ReadAuditTrail
from audit.filters import AuditEntryFilter
from audit.models import AuditLogEntry
from audit.selectors import audit_entries, changes_of


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.CharField(allow_blank=True)
    new = serializers.CharField(allow_blank=True)


class AuditEntrySerializer(serializers.ModelSerializer):
    object_type = serializers.SerializerMethodField(help_text="app_label.model, e.g. costdata.variance")
    object_id = serializers.CharField(source="object_pk")
    action = serializers.CharField(source="get_action_display")
    actor_username = serializers.SerializerMethodField(
        help_text="Who acted (kept when the account is deleted)."
    )
    changes = serializers.SerializerMethodField(help_text="Each changed field with its old and new value.")

    class Meta:
        model = AuditLogEntry
        fields = [
            "id",
            "timestamp",
            "object_type",
            "object_id",
            "object_repr",
            "action",
            "channel",
            "actor",
            "actor_username",
            "actor_email",
            "remote_addr",
            "cid",
            "changes",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor_username(self, entry: AuditLogEntry) -> str | None:
        if entry.actor is not None:
            return entry.actor.get_username()
        return entry.actor_username or None

    def get_object_type(self, entry: AuditLogEntry) -> str:
        return f"{entry.content_type.app_label}.{entry.content_type.model}"

    @extend_schema_field(FieldChangeSerializer(many=True))
    def get_changes(self, entry: AuditLogEntry) -> list[dict[str, str]]:
        return [{"field": c.field, "old": c.old, "new": c.new} for c in changes_of(entry)]


@extend_schema(tags=["audit"])
class AuditEntryList(generics.ListAPIView):
    """Recorded changes, newest first: filter by object (object_type + object_id), actor, since/until
    (ISO 8601; until is exclusive), channel and action."""

    serializer_class = AuditEntrySerializer
    permission_classes = [IsAuthenticated, ReadAuditTrail]
    filterset_class = AuditEntryFilter
    ordering_fields = ["timestamp"]
    ordering = ["-timestamp", "-pk"]

    def get_queryset(self) -> QuerySet[AuditLogEntry]:
        return audit_entries()
