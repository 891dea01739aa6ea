from django.contrib import admin

from stakeholders.models import Stakeholder, Team


@admin.register(Stakeholder)
class StakeholderAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "group", "role", "title", "user", "active"]
    list_filter = ["group", "role", "active"]
    search_fields = ["name", "email", "title"]
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
