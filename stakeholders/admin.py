from django.contrib import admin

from stakeholders.models import (
    AttributedSaving,
    Engagement,
    EngagementScope,
    Ownership,
    Stakeholder,
    Team,
)


class MembershipInline(admin.TabularInline):
    model = Team.members.through
    extra = 0
    autocomplete_fields = ["team", "stakeholder"]
    verbose_name = "team membership"
    verbose_name_plural = "team memberships"


class TeamMemberInline(MembershipInline):
    verbose_name = "member"
    verbose_name_plural = "members"


class StakeholderOwnershipInline(admin.TabularInline):
    model = Ownership
    fk_name = "owner_stakeholder"
    fields = ["scope_kind", "scope_key", "scope_value", "is_primary", "note"]
    extra = 0
    verbose_name = "owned scope"
    verbose_name_plural = "owned scopes (in person)"


class TeamOwnershipInline(StakeholderOwnershipInline):
    fk_name = "owner_team"
    verbose_name_plural = "owned scopes"


class EngagementInline(admin.TabularInline):
    model = Engagement
    fields = ["name", "model", "fee", "currency", "period", "starts_on", "active"]
    extra = 0
    show_change_link = True


@admin.register(Stakeholder)
class StakeholderAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "group", "role", "title", "user", "active", "team_names"]
    list_filter = ["group", "role", "active", "teams"]
    search_fields = ["name", "email", "title", "user__username"]
    autocomplete_fields = ["user"]
    list_select_related = ["user"]
    inlines = [MembershipInline, StakeholderOwnershipInline, EngagementInline]
    actions = ["deactivate"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("teams")

    @admin.display(description="teams")
    def team_names(self, obj: Stakeholder) -> str:
        return ", ".join(team.name for team in obj.teams.all())

    def save_model(self, request, obj, form, change):
        """A change goes through the service, so a new group, role or login ends the person's sessions
        and tokens and a deactivation or new group their calendar feeds, here as on the pages."""
        if not change:
            return super().save_model(request, obj, form, change)
        from stakeholders.services import STAKEHOLDER_FIELDS, stakeholder_update

        values = {name: getattr(obj, name) for name in form.changed_data if name in STAKEHOLDER_FIELDS}
        stakeholder_update(stakeholder=Stakeholder.objects.get(pk=obj.pk), actor=request.user, **values)

    @admin.action(description="Deactivate the selected people (they keep their history)")
    def deactivate(self, request, queryset):
        from stakeholders.services import stakeholder_set_active

        for stakeholder in queryset.filter(active=True):
            stakeholder_set_active(stakeholder=stakeholder, active=False, actor=request.user)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "member_count"]
    list_filter = ["kind", "parent"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["parent"]
    exclude = ["members"]
    inlines = [TeamMemberInline, TeamOwnershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("members")

    @admin.display(description="members")
    def member_count(self, obj: Team) -> int:
        return len(obj.members.all())


@admin.register(Ownership)
class OwnershipAdmin(admin.ModelAdmin):
    list_display = [
        "scope_kind",
        "scope_key",
        "scope_value",
        "owner_team",
        "owner_stakeholder",
        "is_primary",
        "created_at",
    ]
    list_filter = ["scope_kind", "is_primary", "owner_team"]
    search_fields = ["scope_key", "scope_value", "owner_team__name", "owner_stakeholder__name", "note"]
    autocomplete_fields = ["owner_team", "owner_stakeholder"]
    list_select_related = ["owner_team", "owner_stakeholder"]


class EngagementScopeInline(admin.TabularInline):
    model = EngagementScope
    extra = 0


class SavingInline(admin.TabularInline):
    model = AttributedSaving
    fields = ["period_start", "amount", "note", "recorded_at"]
    readonly_fields = ["recorded_at"]
    extra = 0


@admin.register(Engagement)
class EngagementAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "party",
        "model",
        "fee",
        "savings_share",
        "currency",
        "period",
        "starts_on",
        "ends_on",
        "active",
        "roi",
    ]
    list_filter = ["model", "period", "active", "currency"]
    search_fields = ["name", "party__name", "description"]
    autocomplete_fields = ["party"]
    list_select_related = ["party"]
    inlines = [EngagementScopeInline, SavingInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("savings")

    @admin.display(description="ROI to date")
    def roi(self, obj: Engagement) -> str:
        from stakeholders.selectors import engagement_return

        return engagement_return(obj).roi_display


@admin.register(AttributedSaving)
class AttributedSavingAdmin(admin.ModelAdmin):
    list_display = ["engagement", "period_start", "amount", "note", "recorded_at"]
    list_filter = ["engagement"]
    search_fields = ["engagement__name", "note"]
    date_hierarchy = "period_start"
