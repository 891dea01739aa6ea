from rest_framework import serializers

from costdata.models import CostSource, IngestionRun


class IngestionRunSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="name", read_only=True)

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
