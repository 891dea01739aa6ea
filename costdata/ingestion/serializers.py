"""Serializers of cost sources and ingestion runs."""

from typing import Any

from rest_framework import serializers

from costdata.ingestion.models import CostSource, IngestionRun


class IngestionRunSerializer(serializers.ModelSerializer):
    # A declared field, not Field.source (a string): Any, as DRF's own stubs cannot say both.
    source: Any = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = IngestionRun
        fields = [
            "id",
            "source",
            "trigger",
            "window_start",
            "window_end",
            "status",
            "rows_written",
            "requests_made",
            "estimated_days",
            "started_at",
            "finished_at",
            "error",
            "notes",
        ]


class CostSourceSerializer(serializers.ModelSerializer):
    data_up_to = serializers.DateField(read_only=True, allow_null=True)
    refreshed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    estimated_days = serializers.IntegerField(read_only=True)
    last_run = IngestionRunSerializer(read_only=True, allow_null=True)

    class Meta:
        model = CostSource
        fields = [
            "id",
            "name",
            "kind",
            "role_arn",
            "tag_keys",
            "active",
            "data_up_to",
            "refreshed_at",
            "estimated_days",
            "last_run",
        ]


class CostSourceCreateSerializer(serializers.Serializer):
    """Input for POST /sources/: validated here, created by costdata.ingestion.services.source_create."""

    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=CostSource.Kind.choices)
    role_arn = serializers.CharField(max_length=600, required=False, allow_blank=True, default="")
    external_id = serializers.CharField(max_length=1224, required=False, allow_blank=True, default="")
    tag_keys = serializers.ListField(
        child=serializers.CharField(max_length=128), required=False, default=list, max_length=20
    )
    interval_hours = serializers.IntegerField(required=False, min_value=1, max_value=24 * 7, allow_null=True)


class PullRequestSerializer(serializers.Serializer):
    """Input for POST /sources/{id}/pull/: a backfill window, or nothing for the computed refresh window."""

    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False, help_text="Exclusive.")
    confirm = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Queue a backfill estimated past BACKFILL_CONFIRM_REQUESTS billed requests (the refusal says how many).",
    )
