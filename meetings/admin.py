from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone

from meetings import services
from meetings.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    Cadence,
    CalendarFeed,
    Decision,
    GlossaryTerm,
    Meeting,
    ReviewPack,
    Topic,
)


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(admin.ModelAdmin):
    list_display = ["term", "slug", "aliases", "updated_at"]
    search_fields = ["term", "definition", "aliases"]
    prepopulated_fields = {"slug": ["term"]}


class DueFilter(admin.SimpleListFilter):
    title = "review due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("yes", "Due now"), ("no", "Not due")]

    def queryset(self, request, queryset):
        due = {t.pk for t in queryset if t.is_due(timezone.localdate())}
        if self.value() == "yes":
            return queryset.filter(pk__in=due)
        if self.value() == "no":
            return queryset.exclude(pk__in=due)
        return queryset


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "owning_group", "review_frequency_days", "last_discussed", "is_due_now", "active"]
    list_filter = ["owning_group", "active", DueFilter]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members", "glossary_terms"]

    @admin.display(boolean=True, description="Due")
    def is_due_now(self, obj: Topic) -> bool:
        return obj.is_due(timezone.localdate())


class MeetingInline(admin.TabularInline):
    model = Meeting
    fields = ["title", "starts_at", "status", "sequence"]
    readonly_fields = ["sequence"]
    extra = 0
    show_change_link = True
    ordering = ["-starts_at"]


@admin.register(Cadence)
class CadenceAdmin(admin.ModelAdmin):
    list_display = ["name", "scope_team", "rrule", "timezone", "start_time", "duration_minutes", "active"]
    list_filter = ["active", "timezone", "scope_team"]
    search_fields = ["name", "purpose"]
    filter_horizontal = ["participants"]
    inlines = [MeetingInline]
    actions = ["materialise"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.cadence_materialise(cadence=form.instance)

    def get_form(
        self, request: HttpRequest, obj: Cadence | None = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm[Any]]:
        from meetings.forms import CadenceAdminForm

        kwargs["form"] = CadenceAdminForm
        return super().get_form(request, obj, change, **kwargs)

    @admin.action(description="Schedule the next meetings now")
    def materialise(self, request, queryset):
        for cadence in queryset:
            result = services.cadence_materialise(cadence=cadence)
            self.message_user(
                request,
                f"{cadence}: {len(result.created)} created, {len(result.moved)} moved, {len(result.cancelled)} cancelled.",
                messages.INFO,
            )


class AttendanceInline(admin.TabularInline):
    model = Attendance
    autocomplete_fields = ["stakeholder"]
    extra = 0


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    fields = ["position", "title", "source", "topic", "action_item", "discussed", "notes"]
    readonly_fields = ["source"]
    raw_id_fields = ["action_item"]
    extra = 0


class DecisionInline(admin.TabularInline):
    model = Decision
    fields = ["text", "topic", "recorded_by"]
    readonly_fields = ["recorded_by"]
    extra = 0


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    fk_name = "origin_meeting"
    fields = ["title", "owner", "due_on", "status"]
    autocomplete_fields = ["owner"]
    extra = 0


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["title", "starts_at", "timezone", "status", "cadence", "agenda_sent_at"]
    list_filter = ["status", "cadence", ("starts_at", admin.DateFieldListFilter)]
    search_fields = ["title", "minutes"]
    date_hierarchy = "starts_at"
    readonly_fields = ["uid", "sequence", "occurrence", "agenda_sent_at"]
    inlines = [AttendanceInline, AgendaItemInline, DecisionInline, ActionItemInline]
    actions = ["rebuild_agenda"]

    @admin.action(description="Rebuild the agenda of planned meetings")
    def rebuild_agenda(self, request, queryset):
        for meeting in queryset.filter(status=Meeting.Status.PLANNED):
            services.meeting_agenda_build(meeting=meeting)


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "due_on", "status", "origin_meeting", "topic", "closed_at"]
    list_filter = ["status", "owner__group", ("due_on", admin.DateFieldListFilter), "topic"]
    search_fields = ["title", "description", "owner__name", "owner__email"]
    autocomplete_fields = ["owner"]
    raw_id_fields = ["origin_meeting"]
    readonly_fields = ["created_by", "created_at", "closed_at"]


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "meeting", "topic", "recorded_by", "created_at"]
    list_filter = ["topic"]
    search_fields = ["text", "meeting__title"]
    raw_id_fields = ["meeting"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "cadence", "stakeholder", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["kind", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["cadence__name", "stakeholder__name", "token_hint"]
    readonly_fields = [
        "kind",
        "cadence",
        "stakeholder",
        "token_hash",
        "token_hint",
        "created_by",
        "created_at",
        "last_used_at",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request):
        # Tokens are shown once when created on the cadence or stakeholder page; the admin never sees one.
        return False

    @admin.action(description="Revoke the selected feeds")
    def revoke(self, request, queryset):
        for feed in queryset:
            services.calendar_feed_revoke(feed=feed)


@admin.register(ReviewPack)
class ReviewPackAdmin(admin.ModelAdmin):
    """Packs are frozen records of what a meeting saw: read-only here."""

    list_display = ["meeting", "version", "generated_at", "generated_by"]
    list_filter = ["generated_at"]
    search_fields = ["meeting__title"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
