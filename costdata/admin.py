from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from costdata.ingestion import services
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

# Every field of a run shown, none editable: a run is a record of what happened.
_RUN_FIELDS: tuple[str, ...] = (
    "started_at",
    "trigger",
    "window_start",
    "window_end",
    "status",
    "rows_written",
    "requests_made",
    "error",
)


class IngestionRunInline(admin.TabularInline):
    model = IngestionRun
    extra = 0
    can_delete = False
    fields = readonly_fields = _RUN_FIELDS
    ordering = ["-started_at"]
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CostSource)
class CostSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "active", "role_arn", "schedule_link", "page_link"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "role_arn"]
    # The schedule is the source's own periodic task, made for it: linked, never re-pointed by hand
    # (pointing a source at another source's task would make that task pull this one instead).
    readonly_fields = ["schedule_link", "locked_until", "locked_by_run", "created_at", "page_link"]
    exclude = ["schedule"]
    inlines = [IngestionRunInline]
    actions = ["pull_now"]

    @admin.display(description="Page")
    def page_link(self, obj: CostSource) -> str:
        if not obj.pk:
            return ""
        label = "Import a FOCUS file" if obj.kind == CostSource.Kind.FOCUS_FILE else "Freshness and runs"
        name = "source-import" if obj.kind == CostSource.Kind.FOCUS_FILE else "source-detail"
        return format_html('<a href="{}">{}</a>', reverse(name, args=[obj.pk]), label)

    @admin.display(description="Schedule")
    def schedule_link(self, obj: CostSource) -> str:
        task = obj.schedule
        if task is None:
            return "Imported files: no schedule" if not obj.pulls_from_cost_explorer else "None yet"
        return format_html(
            '<a href="{}" title="Change when it runs">{}</a>',
            reverse("admin:django_celery_beat_periodictask_change", args=[task.pk]),
            obj.schedule_description,
        )

    def save_model(self, request, obj: CostSource, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Every Cost Explorer source gets its own beat entry, whichever way it was added; pausing the
        # source pauses its schedule. When it runs is edited on the periodic task, and kept here.
        if obj.pulls_from_cost_explorer:
            services.source_schedule_sync(source=obj)

    @admin.action(description="Pull the selected sources now")
    def pull_now(self, request, queryset) -> None:
        for source in queryset:
            try:
                run = services.source_pull_enqueue(source=source)
            except ValidationError as exc:
                self.message_user(request, f"{source.name}: {' '.join(exc.messages)}", messages.WARNING)
            else:
                self.message_user(
                    request,
                    format_html(
                        '{}: pull queued (run {}); <a href="{}">follow it on the source\'s page</a>.',
                        source.name,
                        run.pk,
                        reverse("source-detail", args=[source.pk]),
                    ),
                )


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


# --- budgets and variances ----------------------------------------------------------------------------
# Budgets change through their services (imports are all or nothing, locked versions are read-only);
# the procedure's steps go through costdata.variances.services so each one is audited. The admin shows
# both and edits only what has no rule: draft versions' lines and the thresholds.
from costdata import models as variance_models  # noqa: E402


def _version_locked(obj) -> bool:
    version = obj if isinstance(obj, variance_models.BudgetVersion) else getattr(obj, "version", None)
    return bool(version is not None and version.is_locked)


class BudgetLineInline(admin.TabularInline):
    model = variance_models.BudgetLine
    extra = 0
    fields = ["scope_type", "scope_value", "month", "amount", "currency"]

    def has_add_permission(self, request, obj=None) -> bool:
        return not _version_locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not _version_locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not _version_locked(obj) and super().has_delete_permission(request, obj)


@admin.register(variance_models.Budget)
class BudgetAdmin(admin.ModelAdmin):
    list_display = ["name", "fiscal_year", "currency", "active_version"]
    readonly_fields = ["created_by", "created_at"]


@admin.register(variance_models.BudgetVersion)
class BudgetVersionAdmin(admin.ModelAdmin):
    list_display = ["budget", "number", "name", "locked_at"]
    list_filter = ["budget"]
    inlines = [BudgetLineInline]
    readonly_fields = ["number", "locked_at", "locked_by", "created_by", "created_at"]
    actions = ["lock_versions"]

    def has_change_permission(self, request, obj=None) -> bool:
        return not _version_locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not _version_locked(obj) and super().has_delete_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return False  # versions are numbered by budget_version_create: add them on the budget pages

    @admin.action(description="Lock the selected versions (read-only from now on)")
    def lock_versions(self, request, queryset) -> None:
        from costdata.planning import services as budget_services

        for version in queryset:
            try:
                budget_services.budget_version_lock(version=version, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{version}: {'; '.join(exc.messages)}", messages.ERROR)


@admin.register(variance_models.VarianceThreshold)
class VarianceThresholdAdmin(admin.ModelAdmin):
    list_display = ["scope_type", "scope_value", "percent", "absolute", "spike_percent", "spike_absolute"]
    list_filter = ["scope_type"]


@admin.register(variance_models.Holiday)
class HolidayAdmin(admin.ModelAdmin):
    """The organisation's holidays: due dates of variances skip them like weekends."""

    list_display = ["day", "name"]
    date_hierarchy = "day"
    search_fields = ["name"]


_TRANSITION_FIELDS: tuple[str, ...] = ("at", "action", "actor", "from_status", "to_status", "comment")


class VarianceTransitionInline(admin.TabularInline):
    model = variance_models.VarianceTransition
    extra = 0
    can_delete = False
    fields = readonly_fields = _TRANSITION_FIELDS

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ExplanationInline(admin.StackedInline):
    model = variance_models.Explanation
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in variance_models.Explanation._meta.fields if f.name != "id"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(variance_models.Variance)
class VarianceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "month", "status", "owner_team", "assignee", "due_at"]
    list_filter = ["status", "kind", "scope_type", "month"]
    search_fields = ["scope_value", "natural_key"]
    inlines = [ExplanationInline, VarianceTransitionInline]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # detection opens variances
