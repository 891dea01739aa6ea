from django.contrib import admin

from costdata.models import CloudAccount, CostSource, DailyCost, DailyTagCost, IngestionRun


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
    list_display = ["name", "kind", "active", "role_arn", "schedule"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "role_arn"]
    readonly_fields = ["locked_until", "locked_by_run", "created_at"]
    inlines = [IngestionRunInline]


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
