from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from costdata import services
from costdata.models import (
    CloudAccount,
    CommitmentMetric,
    CostForecast,
    CostSource,
    DailyCost,
    DailyTagCost,
    IngestionRun,
    MonthlyCost,
)


class IngestionRunInline(admin.TabularInline):
    model = IngestionRun
    extra = 0
    can_delete = False
    fields = [
        "started_at",
        "trigger",
        "window_start",
        "window_end",
        "status",
        "rows_written",
        "requests_made",
        "error",
    ]
    readonly_fields = fields
    ordering = ["-started_at"]
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CostSource)
class CostSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "active", "role_arn", "schedule", "page_link"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "role_arn"]
    readonly_fields = ["locked_until", "locked_by_run", "created_at", "page_link"]
    inlines = [IngestionRunInline]
    actions = ["pull_now"]

    @admin.display(description="Page")
    def page_link(self, obj: CostSource) -> str:
        if not obj.pk:
            return ""
        label = "Import a FOCUS file" if obj.kind == CostSource.Kind.FOCUS_FILE else "Freshness and runs"
        name = "source-import" if obj.kind == CostSource.Kind.FOCUS_FILE else "source-detail"
        return format_html('<a href="{}">{}</a>', reverse(name, args=[obj.pk]), label)

    def save_model(self, request, obj: CostSource, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Every Cost Explorer source gets its own beat entry, whichever way it was added; pausing the
        # source pauses its schedule. The interval itself is edited on the periodic task.
        if obj.pulls_from_cost_explorer:
            every = obj.schedule.interval.every if obj.schedule and obj.schedule.interval else None
            services.source_schedule_set(
                source=obj, interval_hours=every or settings.DEFAULT_PULL_INTERVAL_HOURS
            )

    @admin.action(description="Pull the selected sources now")
    def pull_now(self, request, queryset) -> None:
        for source in queryset:
            try:
                run = services.source_pull_enqueue(source=source)
            except ValidationError as exc:
                self.message_user(request, f"{source.name}: {' '.join(exc.messages)}", messages.WARNING)
            else:
                self.message_user(request, f"{source.name}: pull queued (run {run.pk}).")


@admin.register(IngestionRun)
class IngestionRunAdmin(admin.ModelAdmin):
    list_display = [
        "source",
        "started_at",
        "trigger",
        "window_start",
        "window_end",
        "status",
        "rows_written",
        "requests_made",
        "error",
    ]
    list_filter = ["status", "trigger", "source"]
    search_fields = ["error", "notes", "task_id"]
    date_hierarchy = "started_at"
    readonly_fields = [f.name for f in IngestionRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CloudAccount)
class CloudAccountAdmin(admin.ModelAdmin):
    list_display = ["account_id", "name", "provider", "updated_at"]
    list_filter = ["provider"]
    search_fields = ["account_id", "name"]


class FactAdmin(admin.ModelAdmin):
    """Facts are written only by ingestion: read-only here."""

    list_filter = ["source", "estimated", "currency"]
    date_hierarchy = "day"
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DailyCost)
class DailyCostAdmin(FactAdmin):
    list_display = [
        "day",
        "source",
        "account_id",
        "service",
        "unblended",
        "amortized",
        "currency",
        "estimated",
    ]
    search_fields = ["account_id", "service"]


@admin.register(DailyTagCost)
class DailyTagCostAdmin(FactAdmin):
    list_display = [
        "day",
        "source",
        "account_id",
        "tag_key",
        "tag_value",
        "unblended",
        "amortized",
        "currency",
        "estimated",
    ]
    search_fields = ["account_id", "tag_key", "tag_value"]


@admin.register(MonthlyCost)
class MonthlyCostAdmin(FactAdmin):
    date_hierarchy = "month"
    list_display = [
        "month",
        "source",
        "provider",
        "account_id",
        "service",
        "unblended",
        "amortized",
        "currency",
        "estimated",
    ]
    search_fields = ["account_id", "service"]


@admin.register(CostForecast)
class CostForecastAdmin(FactAdmin):
    date_hierarchy = "month"
    list_filter = ["source", "currency"]
    list_display = [
        "month",
        "source",
        "forecast_start",
        "forecast_end",
        "amount",
        "lower",
        "upper",
        "currency",
        "fetched_at",
    ]


@admin.register(CommitmentMetric)
class CommitmentMetricAdmin(FactAdmin):
    date_hierarchy = "month"
    list_filter = ["source", "kind"]
    list_display = [
        "month",
        "source",
        "kind",
        "coverage_percent",
        "utilisation_percent",
        "unused_commitment",
        "fetched_at",
    ]
