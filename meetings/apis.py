"""REST API for the programme (/api/v1/...). Thin: validate with a serializer, call a service, respond."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from meetings import calendar, filters, permissions, selectors, services
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
from meetings.serializers import (
    ActionItemSerializer,
    AgendaItemSerializer,
    AttendanceSerializer,
    CadenceSerializer,
    CalendarFeedCreatedSerializer,
    CalendarFeedSerializer,
    DecisionSerializer,
    GlossaryTermSerializer,
    MeetingSerializer,
    TopicSerializer,
)


class GlossaryTermViewSet(viewsets.ModelViewSet):
    """The glossary: plain-language definitions, each with an anchor URL on /glossary/."""

    serializer_class = GlossaryTermSerializer
    permission_classes = [permissions.TopicPermission]
    queryset = GlossaryTerm.objects.all()
    filterset_class = filters.GlossaryTermFilter
    ordering_fields = ["term", "updated_at"]
    ordering = ["term"]

    def perform_create(self, serializer):
        serializer.instance = services.glossary_term_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        services.glossary_term_update(
            item=serializer.instance,
            actor=self.request.user,
            **serializer.validated_data,
        )


class TopicViewSet(viewsets.ModelViewSet):
    """The topic catalogue. `?due=true` lists topics whose review frequency has elapsed."""

    serializer_class = TopicSerializer
    permission_classes = [permissions.TopicPermission]
    queryset = Topic.objects.prefetch_related("members", "glossary_terms")
    filterset_class = filters.TopicFilter
    ordering_fields = ["name", "last_discussed", "review_frequency_days", "owning_group"]
    ordering = ["name"]

    def perform_create(self, serializer):
        serializer.instance = services.topic_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        services.topic_update(
            topic=serializer.instance,
            actor=self.request.user,
            **serializer.validated_data,
        )


class CadenceViewSet(viewsets.ModelViewSet):
    """Review cadences. Creating or changing the rule schedules (or moves) the next meetings at once."""

    serializer_class = CadenceSerializer
    permission_classes = [permissions.ProgrammePermission]
    queryset = Cadence.objects.select_related("scope_team").prefetch_related("participants")
    filterset_class = filters.CadenceFilter
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        # The time zone may be left out: the model's default applies, as in the admin and the form.
        data["timezone_name"] = data.pop("timezone", Cadence._meta.get_field("timezone").default)
        serializer.instance = services.cadence_create(actor=self.request.user, **data)

    def perform_update(self, serializer):
        services.cadence_update(
            cadence=serializer.instance,
            actor=self.request.user,
            **serializer.validated_data,
        )

    def perform_destroy(self, instance):
        if instance.meetings.exists():
            raise serializers.ValidationError(
                {"detail": "This cadence has meetings: set it inactive instead."}
            )
        instance.delete()

    @extend_schema(request=None, responses={200: dict})
    @action(detail=True, methods=["post"])
    def materialise(self, request: Request, pk: str | None = None) -> Response:
        result = services.cadence_materialise(cadence=self.get_object())
        return Response({"created": result.created, "moved": result.moved, "cancelled": result.cancelled})


class MeetingViewSet(viewsets.ModelViewSet):
    """Meetings with their attendance, agenda and decisions. Filter by cadence, status, stakeholder, dates.
    Listed: the meetings you read (meetings.permissions.visible_meetings)."""

    serializer_class = MeetingSerializer
    permission_classes = [permissions.ProgrammePermission]
    queryset = Meeting.objects.select_related("cadence").prefetch_related(
        "attendances__stakeholder", "agenda_items", "decisions"
    )
    filterset_class = filters.MeetingFilter
    ordering_fields = ["starts_at", "title", "status"]
    ordering = ["starts_at"]

    def get_queryset(self):
        return permissions.visible_meetings(self.request.user, super().get_queryset())

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("status", None)
        minutes = data.pop("minutes", "")
        data["timezone_name"] = data.pop("timezone", "Europe/London")
        meeting = services.meeting_create(actor=self.request.user, **data)
        if minutes:
            services.meeting_minutes_update(meeting=meeting, minutes=minutes, actor=self.request.user)
        serializer.instance = meeting

    def perform_update(self, serializer):
        services.meeting_update(
            meeting=serializer.instance,
            actor=self.request.user,
            **serializer.validated_data,
        )

    def perform_destroy(self, instance):
        if instance.status == Meeting.Status.HELD:
            raise serializers.ValidationError(
                {"status": "A held meeting is part of the record: it cannot be deleted."}
            )
        instance.delete()

    @extend_schema(request=None, responses=AgendaItemSerializer(many=True))
    @action(detail=True, methods=["post"], url_path="build-agenda", pagination_class=None)
    def build_agenda(self, request: Request, pk: str | None = None) -> Response:
        items = services.meeting_agenda_build(meeting=self.get_object())
        return Response(AgendaItemSerializer(items, many=True, context={"request": request}).data)

    @extend_schema(request=None, responses={200: dict})
    @action(detail=True, methods=["post"], url_path="send-agenda")
    def send_agenda(self, request: Request, pk: str | None = None) -> Response:
        sent = services.meeting_agenda_send(meeting_id=self.get_object().pk, force=True)
        return Response({"sent": sent})

    @extend_schema(responses={(200, "text/calendar"): str})
    @action(detail=True, methods=["get"])
    def ics(self, request: Request, pk: str | None = None) -> HttpResponse:
        meeting = self.get_object()
        response = HttpResponse(
            calendar.calendar_bytes([meeting], name=meeting.title),
            content_type="text/calendar; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
        return response


class AttendanceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Who is expected at a meeting and who came. POST or PATCH sets one person's attendance."""

    serializer_class = AttendanceSerializer
    permission_classes = [permissions.ProgrammePermission]
    queryset = Attendance.objects.select_related("stakeholder", "meeting")
    filterset_class = filters.AttendanceFilter
    ordering_fields = ["stakeholder__name", "status"]
    ordering = ["stakeholder__name"]

    def get_queryset(self):
        return permissions.visible_meeting_records(self.request.user, super().get_queryset())

    def perform_create(self, serializer):
        serializer.instance = services.attendance_set(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        instance = serializer.instance
        serializer.instance = services.attendance_set(
            actor=self.request.user,
            meeting=instance.meeting,
            stakeholder=instance.stakeholder,
            status=serializer.validated_data.get("status", instance.status),
        )


class AgendaItemViewSet(viewsets.ModelViewSet):
    """Agenda items. Providers add items when an agenda is built; POST adds a manual item."""

    serializer_class = AgendaItemSerializer
    permission_classes = [permissions.ProgrammePermission]
    queryset = AgendaItem.objects.select_related("meeting")
    filterset_class = filters.AgendaItemFilter
    ordering_fields = ["meeting", "position"]
    ordering = ["meeting", "position"]

    def get_queryset(self):
        return permissions.visible_meeting_records(self.request.user, super().get_queryset())

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.agenda_item_add(
            meeting=data["meeting"],
            title=data["title"],
            detail=data.get("detail", ""),
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        services.agenda_item_update(
            item=serializer.instance,
            discussed=data.get("discussed"),
            notes=data.get("notes"),
        )


class DecisionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Decisions are the meeting's record: added and, if wrong, removed, but not rewritten."""

    serializer_class = DecisionSerializer
    permission_classes = [permissions.ProgrammePermission]
    queryset = Decision.objects.select_related("meeting", "topic")
    filterset_class = filters.DecisionFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]

    def get_queryset(self):
        return permissions.visible_meeting_records(self.request.user, super().get_queryset())

    def perform_create(self, serializer):
        serializer.instance = services.decision_create(
            recorded_by=self.request.user, **serializer.validated_data
        )


class ActionItemViewSet(viewsets.ModelViewSet):
    """Action items. Managers assign to anyone; the owner may update their own item but not reassign it."""

    serializer_class = ActionItemSerializer
    permission_classes = [permissions.ActionItemPermission]
    queryset = ActionItem.objects.select_related("owner", "origin_meeting", "topic", "explanation__variance")
    filterset_class = filters.ActionItemFilter
    ordering_fields = ["due_on", "status", "created_at", "updated_at"]
    ordering = ["due_on", "id"]

    def get_queryset(self):
        return permissions.visible_action_items(self.request.user, super().get_queryset())

    def perform_create(self, serializer):
        serializer.instance = services.action_item_create(
            created_by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        services.action_item_update(
            item=serializer.instance,
            actor=self.request.user,
            **serializer.validated_data,
        )


class CalendarFeedViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Secret calendar subscription URLs. The URL is returned once, on create or rotate; only its hash is kept."""

    serializer_class = CalendarFeedSerializer
    permission_classes = [permissions.FeedPermission]
    filterset_class = filters.CalendarFeedFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]

    def get_queryset(self):
        feeds = selectors.calendar_feed_list()
        if permissions.can_manage_programme(self.request.user):
            return feeds
        stakeholder = permissions.stakeholder_of(self.request.user)
        return feeds.filter(stakeholder=stakeholder) if stakeholder else feeds.none()

    @extend_schema(responses={201: CalendarFeedCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        feed, token = services.calendar_feed_create(created_by=request.user, **serializer.validated_data)
        return Response(
            CalendarFeedCreatedSerializer(feed, context={"token": token}).data, status=status.HTTP_201_CREATED
        )

    def _check(self, feed: CalendarFeed) -> None:
        if not permissions.can_manage_feed(self.request.user, feed.cadence or feed.stakeholder):
            self.permission_denied(self.request, message="You may only manage your own calendar feed.")

    @extend_schema(request=None, responses=CalendarFeedSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        feed = self.get_object()
        self._check(feed)
        return Response(
            CalendarFeedSerializer(services.calendar_feed_revoke(feed=feed, actor=request.user)).data
        )

    @extend_schema(request=None, responses={201: CalendarFeedCreatedSerializer})
    @action(detail=True, methods=["post"])
    def rotate(self, request: Request, pk: str | None = None) -> Response:
        feed = self.get_object()
        self._check(feed)
        new, token = services.calendar_feed_rotate(feed=feed, created_by=request.user)
        return Response(
            CalendarFeedCreatedSerializer(new, context={"token": token}).data, status=status.HTTP_201_CREATED
        )
