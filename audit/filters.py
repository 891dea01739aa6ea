"""The audit trail's filters, shared by the audit page and GET /api/v1/audit/."""

from __future__ import annotations

import django_filters
from auditlog.registry import auditlog
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from audit.models import AuditLogEntry, Channel

ACTIONS = [(value, str(label).capitalize()) for value, label in AuditLogEntry.Action.choices]


def object_type_choices() -> list[tuple[str, str]]:
    """The audited models as `app_label.model`, labelled with their verbose names."""
    return sorted(
        (
            (f"{model._meta.app_label}.{model._meta.model_name}", str(model._meta.verbose_name).capitalize())
            for model in auditlog.get_models()
        ),
        key=lambda choice: choice[1],
    )


class AuditEntryFilter(django_filters.FilterSet):
    object_type = django_filters.ChoiceFilter(
        choices=object_type_choices,
        method="filter_object_type",
        label="Object type",
        help_text="app_label.model, e.g. stakeholders.stakeholder",
    )
    object_id = django_filters.CharFilter(
        field_name="object_pk", label="Object id", help_text="The object's primary key."
    )
    actor = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.order_by("username"),
        label="User",
        help_text="The user who made the change (id).",
    )
    since = django_filters.IsoDateTimeFilter(
        field_name="timestamp", lookup_expr="gte", label="From", help_text="Changes at or after (ISO 8601)."
    )
    until = django_filters.IsoDateTimeFilter(
        field_name="timestamp", lookup_expr="lt", label="Until", help_text="Changes before (ISO 8601)."
    )
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    action = django_filters.ChoiceFilter(choices=ACTIONS)

    class Meta:
        model = AuditLogEntry
        fields = ["object_type", "object_id", "actor", "since", "until", "channel", "action"]

    def filter_object_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        app_label, _, model = value.partition(".")
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)
