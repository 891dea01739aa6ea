"""The REST API for variances and explanations. Thin: validate, call one service (budgets and forecasts:
costdata.planning.apis).

Transitions of the procedure are explicit actions (POST /variances/{id}/accept/ and so on), never a
writable `status` field, so each has its own permission rule and its own error.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from common.pagination import KeysetPagination
from costdata import permissions
from costdata.models import (
    Explanation,
    Variance,
    VarianceTransition,
)
from costdata.planning.forecasting import parse_month
from costdata.variances import selectors as variance_selectors
from costdata.variances import services as sop
from stakeholders.models import Stakeholder, Team

# --- serializers ------------------------------------------------------------------------------------


class ExplanationSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True, allow_null=True, default=None)
    reviewed_by = serializers.CharField(
        source="reviewed_by.username", read_only=True, allow_null=True, default=None
    )
    action_item = serializers.SerializerMethodField()
    action_item_title = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=300
    )
    action_item_due_on = serializers.DateField(write_only=True, required=False, allow_null=True)

    class Meta:
        model = Explanation
        fields = [
            "id",
            "variance",
            "author",
            "category",
            "narrative",
            "expected_duration",
            "planned_action",
            "action_item",
            "action_item_title",
            "action_item_due_on",
            "outcome",
            "review_comment",
            "reviewed_by",
            "reviewed_at",
            "created_at",
        ]
        read_only_fields = ["id", "outcome", "review_comment", "reviewed_at", "created_at"]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_action_item(self, explanation: Explanation) -> int | None:
        """The action item made from the planned action (kept by the meetings app), if any."""
        return getattr(explanation, "action_item_id", None)


class TransitionSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = VarianceTransition
        fields = ["action", "actor", "at", "from_status", "to_status", "comment"]


class VarianceSerializer(serializers.ModelSerializer):
    owner_team_name = serializers.CharField(
        source="owner_team.name", read_only=True, allow_null=True, default=None
    )
    assignee_name = serializers.CharField(
        source="assignee.name", read_only=True, allow_null=True, default=None
    )
    is_overdue = serializers.BooleanField(read_only=True)
    scope_label = serializers.CharField(read_only=True)

    class Meta:
        model = Variance
        fields = [
            "id",
            "scope_type",
            "scope_value",
            "scope_label",
            "month",
            "kind",
            "day",
            "day_estimated",
            "currency",
            *Variance.FIGURE_FIELDS,
            "figures_final",
            "status",
            "owner_team",
            "owner_team_name",
            "assignee",
            "assignee_name",
            "routing_reason",
            "due_at",
            "is_overdue",
            "escalated_at",
            "escalated_to",
            "detected_at",
            "last_detected_at",
        ]
        read_only_fields = fields


class VarianceDetailSerializer(VarianceSerializer):
    explanations = ExplanationSerializer(many=True, read_only=True)
    transitions = TransitionSerializer(many=True, read_only=True)

    class Meta(VarianceSerializer.Meta):
        fields = [*VarianceSerializer.Meta.fields, "thresholds", "explanations", "transitions"]
        read_only_fields = fields


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class SendBackSerializer(serializers.Serializer):
    comment = serializers.CharField(help_text="What the explanation is missing.")


class ReassignSerializer(serializers.Serializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=Stakeholder.objects.all(), required=False, allow_null=True
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class DetectSerializer(serializers.Serializer):
    months = serializers.ListField(
        child=serializers.RegexField(r"^(?!0000)\d{4}-(0[1-9]|1[0-2])$"),
        required=False,
        help_text="YYYY-MM months; default the latest month of data and the one before.",
    )


class DetectResultSerializer(serializers.Serializer):
    months = serializers.ListField(child=serializers.DateField())
    scopes = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    closed_months = serializers.ListField(child=serializers.DateField())
    skipped_months = serializers.ListField(child=serializers.DateField())


# --- variances --------------------------------------------------------------------------------------


class VarianceViewSet(viewsets.ReadOnlyModelViewSet):
    """Variances with their figures, owner and due date; filter by status, owner, scope, month, overdue.
    The procedure's steps are explicit actions."""

    permission_classes = [permissions.VariancePermission]
    pagination_class = KeysetPagination
    filterset_class = variance_selectors.VarianceFilter
    ordering_fields = ["month", "due_at", "detected_at"]

    def get_queryset(self):
        variances = permissions.visible_variances(self.request.user, variance_selectors.variance_list())
        if self.action == "retrieve":
            explanations = variance_selectors.explanation_follow_ups(
                Explanation.objects.select_related("author")
            )
            return variances.prefetch_related(
                Prefetch("explanations", queryset=explanations), "transitions__actor"
            )
        return variances

    def get_serializer_class(self):
        return VarianceDetailSerializer if self.action != "list" else VarianceSerializer

    def _respond(self, variance: Variance) -> Response:
        return Response(VarianceDetailSerializer(variance_selectors.variance_detail(pk=variance.pk)).data)

    @extend_schema(
        summary="Accept the explanation (finance; never its author)",
        request=CommentSerializer,
        responses=VarianceDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        incoming = CommentSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        variance = sop.variance_accept(
            variance=self.get_object(), actor=request.user, **incoming.validated_data
        )
        return self._respond(variance)

    @extend_schema(
        summary="Send the explanation back with a comment (finance)",
        request=SendBackSerializer,
        responses=VarianceDetailSerializer,
    )
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request: Request, pk: str | None = None) -> Response:
        incoming = SendBackSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        variance = sop.variance_send_back(
            variance=self.get_object(), actor=request.user, **incoming.validated_data
        )
        return self._respond(variance)

    @extend_schema(
        summary="Close an accepted variance (finance)",
        request=CommentSerializer,
        responses=VarianceDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        incoming = CommentSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        variance = sop.variance_close(
            variance=self.get_object(), actor=request.user, **incoming.validated_data
        )
        return self._respond(variance)

    @extend_schema(
        summary="Hand the variance to another team or person (technology leads)",
        request=ReassignSerializer,
        responses=VarianceDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def reassign(self, request: Request, pk: str | None = None) -> Response:
        incoming = ReassignSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        variance = sop.variance_reassign(
            variance=self.get_object(), actor=request.user, **incoming.validated_data
        )
        return self._respond(variance)

    @extend_schema(
        summary="Comment on the variance (finance, technology leads, the business unit's owner)",
        request=SendBackSerializer,
        responses={201: TransitionSerializer},
    )
    @action(detail=True, methods=["post"])
    def comment(self, request: Request, pk: str | None = None) -> Response:
        incoming = SendBackSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        transition = sop.variance_comment(
            variance=self.get_object(), actor=request.user, **incoming.validated_data
        )
        return Response(TransitionSerializer(transition).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Run detection now (finance and admins)",
        request=DetectSerializer,
        responses=DetectResultSerializer,
    )
    @action(detail=False, methods=["post"])
    def detect(self, request: Request) -> Response:
        if not permissions.may_run_detection(request.user):
            raise PermissionDenied("Only finance and administrators run variance detection.")
        incoming = DetectSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        months = [parse_month(m) for m in incoming.validated_data.get("months", [])] or None
        result = sop.variances_detect(months=months, actor=request.user)
        return Response(DetectResultSerializer(result).data)


class ExplanationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Explanations of variances. Engineers and leads of the owning team file them (POST)."""

    serializer_class = ExplanationSerializer
    permission_classes = [permissions.VariancePermission]
    pagination_class = KeysetPagination
    filterset_fields = ["variance", "outcome", "category"]

    def get_queryset(self):
        explanations = variance_selectors.explanation_follow_ups(
            Explanation.objects.select_related("author", "reviewed_by").order_by("-created_at", "-pk")
        )
        return permissions.visible_explanations(self.request.user, explanations)

    @extend_schema(
        summary="File an explanation for an assigned variance",
        responses={201: ExplanationSerializer, 403: OpenApiResponse(description="Not of the owning team.")},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: BaseSerializer[Explanation]) -> None:
        data = dict(serializer.validated_data)
        variance = data.pop("variance")
        if not permissions.variance_visible(self.request.user, variance):
            raise ValidationError({"variance": f'Invalid pk "{variance.pk}" - object does not exist.'})
        serializer.instance = sop.variance_explain(
            variance=variance,
            actor=self.request.user,
            category=data["category"],
            narrative=data["narrative"],
            expected_duration=data["expected_duration"],
            planned_action=data.get("planned_action", ""),
            action_item_title=data.get("action_item_title", ""),
            action_item_due_on=data.get("action_item_due_on"),
        )
