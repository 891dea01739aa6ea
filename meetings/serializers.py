"""API shapes. Writes go through meetings.services; these validate input and present output."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.links import absolute_url
from meetings import permissions, recurrence
from meetings.cost_items import ItemView, action_item_origin, cost_item_views
from meetings.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    Cadence,
    CalendarFeed,
    Decision,
    GlossaryTerm,
    Meeting,
    Topic,
)
from stakeholders.models import Group


class GlossaryTermSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="The term's anchor on the glossary page.")

    class Meta:
        model = GlossaryTerm
        fields = ["id", "term", "slug", "definition", "example", "aliases", "url", "updated_at"]
        extra_kwargs = {"slug": {"required": False}}

    def get_url(self, obj: GlossaryTerm) -> str:
        return obj.get_absolute_url()


class TopicSerializer(serializers.ModelSerializer):
    is_due = serializers.SerializerMethodField()
    next_review_on = serializers.SerializerMethodField()
    processes = serializers.ListField(child=serializers.CharField(max_length=120), required=False)
    glossary_terms = serializers.SlugRelatedField(
        many=True, slug_field="slug", queryset=GlossaryTerm.objects.all(), required=False
    )

    class Meta:
        model = Topic
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "owning_group",
            "members",
            "processes",
            "review_frequency_days",
            "last_discussed",
            "next_review_on",
            "is_due",
            "glossary_terms",
            "active",
        ]
        read_only_fields = ["last_discussed"]
        extra_kwargs = {"slug": {"required": False}, "members": {"required": False}}

    def get_is_due(self, obj: Topic) -> bool:
        return obj.is_due(timezone.localdate())

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_next_review_on(self, obj: Topic):
        return obj.next_review_on()


class CadenceSerializer(serializers.ModelSerializer):
    preset = serializers.ChoiceField(
        choices=list(recurrence.PRESETS.items()),
        write_only=True,
        required=False,
        help_text="Build the rule from a preset anchored on starts_on instead of giving rrule.",
    )
    rrule = serializers.CharField(max_length=500, required=False, help_text="RFC 5545 RRULE without DTSTART.")
    participant_groups = serializers.ListField(
        child=serializers.ChoiceField(choices=Group.choices), required=False
    )
    rule_description = serializers.SerializerMethodField()
    next_occurrences = serializers.SerializerMethodField()

    class Meta:
        model = Cadence
        fields = [
            "id",
            "name",
            "purpose",
            "scope_team",
            "preset",
            "rrule",
            "rule_description",
            "timezone",
            "starts_on",
            "start_time",
            "duration_minutes",
            "participants",
            "participant_groups",
            "agenda_template",
            "location",
            "occurrences_ahead",
            "agenda_days_before",
            "active",
            "next_occurrences",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"participants": {"required": False}}

    def get_rule_description(self, obj: Cadence) -> str:
        return recurrence.describe(obj.rrule)

    @extend_schema_field(serializers.ListField(child=serializers.DateTimeField()))
    def get_next_occurrences(self, obj: Cadence) -> list[str]:
        rule = recurrence.build_rule(obj.rrule, obj.dtstart)
        return [dt.isoformat() for dt in recurrence.occurrences_after(rule, timezone.now(), 5)]

    def validate_timezone(self, value: str) -> str:
        try:
            recurrence.validate_timezone(value)
        except recurrence.RecurrenceError as exc:
            raise serializers.ValidationError(str(exc)) from exc
        return value.strip()

    def validate_duration_minutes(self, value: int) -> int:
        if not 5 <= value <= 24 * 60:
            raise serializers.ValidationError("A meeting lasts between 5 minutes and 24 hours.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance = self.instance
        starts_on = attrs.get("starts_on", getattr(instance, "starts_on", None))
        start_time = attrs.get("start_time", getattr(instance, "start_time", None))
        tz_name = attrs.get("timezone", getattr(instance, "timezone", None))
        preset = attrs.pop("preset", None)
        if preset:
            if "rrule" in attrs:
                raise serializers.ValidationError({"preset": "Give a preset or an rrule, not both."})
            if starts_on is None:
                raise serializers.ValidationError({"starts_on": "A preset is anchored on starts_on."})
            attrs["rrule"] = recurrence.preset_rule(preset, starts_on)
        rule = attrs.get("rrule", getattr(instance, "rrule", None))
        if not rule:
            raise serializers.ValidationError({"rrule": "Give an RFC 5545 rule or a preset."})
        if starts_on and start_time and tz_name:
            try:
                recurrence.build_rule(
                    rule,
                    recurrence.series_start(starts_on, start_time, recurrence.validate_timezone(tz_name)),
                )
            except recurrence.RecurrenceError as exc:
                raise serializers.ValidationError({"rrule": str(exc)}) from exc
        if "rrule" in attrs:
            attrs["rrule"] = recurrence.normalise_rule(attrs["rrule"])
        return attrs


class AttendanceSerializer(serializers.ModelSerializer):
    stakeholder_name = serializers.CharField(source="stakeholder.name", read_only=True)

    class Meta:
        model = Attendance
        fields = ["id", "meeting", "stakeholder", "stakeholder_name", "status", "updated_at"]


def _viewer(serializer: serializers.BaseSerializer) -> Any:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class AgendaItemListSerializer(serializers.ListSerializer):
    """Renders the cost items of a page of agenda items per viewer in one read."""

    def to_representation(self, data: Any) -> list[Any]:
        items = list(data.all() if hasattr(data, "all") else data)
        views = cost_item_views(items=items, viewer=_viewer(self))
        return [AgendaItemSerializer.represent(self.child, item, views[item.pk]) for item in items]


class AgendaItemSerializer(serializers.ModelSerializer):
    """A cost item's title, detail and url are what the viewer may see of its variance (stored: only the
    reference); every other item as stored."""

    class Meta:
        list_serializer_class = AgendaItemListSerializer
        model = AgendaItem
        fields = [
            "id",
            "meeting",
            "position",
            "key",
            "source",
            "title",
            "detail",
            "url",
            "topic",
            "action_item",
            "discussed",
            "notes",
        ]
        read_only_fields = ["position", "key", "source", "url", "topic", "action_item"]

    def to_representation(self, instance: AgendaItem) -> dict[str, Any]:
        view = cost_item_views(items=[instance], viewer=_viewer(self))[instance.pk]
        return self.represent(self, instance, view)

    @staticmethod
    def represent(serializer: Any, instance: AgendaItem, view: ItemView) -> dict[str, Any]:
        data = serializers.ModelSerializer.to_representation(serializer, instance)
        data.update(title=view.title, detail=view.detail, url=view.url)
        return dict(data)


class DecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Decision
        fields = ["id", "meeting", "text", "topic", "recorded_by", "created_at"]
        read_only_fields = ["recorded_by"]


class ActionItemSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    is_open = serializers.BooleanField(read_only=True)
    from_explanation = serializers.SerializerMethodField(
        help_text="For an item made from a variance's explanation: the variance's id and page, and the "
        "planned action if you may see the variance (else null)."
    )

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "title",
            "description",
            "owner",
            "owner_name",
            "due_on",
            "status",
            "is_open",
            "origin_meeting",
            "topic",
            "created_by",
            "created_at",
            "updated_at",
            "closed_at",
            "from_explanation",
        ]
        read_only_fields = ["created_by", "closed_at"]

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_from_explanation(self, obj: ActionItem) -> dict[str, Any] | None:
        origin = action_item_origin(item=obj, viewer=_viewer(self))
        if origin is None:
            return None
        return {
            "variance": origin.variance_id,
            "label": origin.label,
            "url": origin.url,
            "planned_action": origin.planned_action,
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = self.context["request"].user
        if self.instance is None:
            if not permissions.can_create_action_item(user, attrs.get("owner")):
                raise serializers.ValidationError({"owner": "You may only take an action item yourself."})
        elif (
            "owner" in attrs
            and attrs["owner"] != self.instance.owner
            and not permissions.can_reassign_action_item(user)
        ):
            raise serializers.ValidationError(
                {"owner": "Only admins and finance or technology leads reassign action items."}
            )
        return attrs


class MeetingSerializer(serializers.ModelSerializer):
    attendances = AttendanceSerializer(many=True, read_only=True)
    agenda_items = AgendaItemSerializer(many=True, read_only=True)
    decisions = DecisionSerializer(many=True, read_only=True)
    ends_at = serializers.DateTimeField(read_only=True)
    ics_url = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "title",
            "cadence",
            "starts_at",
            "ends_at",
            "duration_minutes",
            "timezone",
            "status",
            "location",
            "minutes",
            "uid",
            "sequence",
            "occurrence",
            "agenda_sent_at",
            "ics_url",
            "attendances",
            "agenda_items",
            "decisions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["uid", "sequence", "occurrence", "agenda_sent_at"]

    def get_ics_url(self, obj: Meeting) -> str:
        return reverse("meeting-ics", args=[obj.pk])

    def validate_timezone(self, value: str) -> str:
        try:
            recurrence.validate_timezone(value)
        except recurrence.RecurrenceError as exc:
            raise serializers.ValidationError(str(exc)) from exc
        return value.strip()


class CalendarFeedSerializer(serializers.ModelSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = CalendarFeed
        fields = [
            "id",
            "kind",
            "cadence",
            "stakeholder",
            "token_hint",
            "is_active",
            "created_at",
            "revoked_at",
            "last_used_at",
        ]
        read_only_fields = ["kind", "token_hint", "revoked_at", "last_used_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("cadence") is None) == (attrs.get("stakeholder") is None):
            raise serializers.ValidationError({"cadence": "Give a cadence or a stakeholder, not both."})
        subject = attrs.get("cadence") or attrs.get("stakeholder")
        if not permissions.can_manage_feed(self.context["request"].user, subject):
            raise serializers.ValidationError({"stakeholder": "You may only create your own calendar feed."})
        return attrs


class CalendarFeedCreatedSerializer(CalendarFeedSerializer):
    """Returned once, when a feed is created or rotated: the only time its URL is visible."""

    url = serializers.SerializerMethodField(
        help_text="The secret subscription URL. Shown once; store it now."
    )

    class Meta(CalendarFeedSerializer.Meta):
        fields = [*CalendarFeedSerializer.Meta.fields, "url"]

    def get_url(self, obj: CalendarFeed) -> str:
        return absolute_url(reverse("calendar-feed", args=[self.context["token"]]))
