"""The REST API for budgets, their versions and lines, and forecasts. Thin: validate, call one service."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from costdata import permissions
from costdata.planning import selectors as planning_selectors
from costdata.planning import services as budget_services
from costdata.planning.forecasting import parse_month
from costdata.planning.models import Budget, BudgetLine, BudgetVersion, ScopeType

# --- serializers ------------------------------------------------------------------------------------


class BudgetLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = BudgetLine
        fields = ["id", "version", "scope_type", "scope_value", "month", "amount", "currency"]
        read_only_fields = ["id", "currency"]
        validators: list[Any] = []  # the service upserts by (version, scope, month)


class BudgetVersionSerializer(serializers.ModelSerializer):
    is_locked = serializers.BooleanField(read_only=True)
    locked_by = serializers.CharField(
        source="locked_by.username", read_only=True, allow_null=True, default=None
    )
    line_count = serializers.SerializerMethodField()
    copy_from = serializers.PrimaryKeyRelatedField(
        queryset=BudgetVersion.objects.all(), write_only=True, required=False, allow_null=True
    )

    class Meta:
        model = BudgetVersion
        fields = [
            "id",
            "budget",
            "number",
            "name",
            "note",
            "is_locked",
            "locked_at",
            "locked_by",
            "line_count",
            "created_at",
            "copy_from",
        ]
        read_only_fields = ["id", "number", "locked_at", "created_at"]

    def get_line_count(self, version: BudgetVersion) -> int:
        """The lines of the version the reader may see (a count of all would say what exists)."""
        counted = getattr(version, "line_count", None)
        if counted is not None:
            return int(counted)
        return permissions.visible_budget_lines(self.context["request"].user, version.lines.all()).count()


class BudgetSerializer(serializers.ModelSerializer):
    versions = BudgetVersionSerializer(many=True, read_only=True)

    class Meta:
        model = Budget
        fields = ["id", "name", "fiscal_year", "currency", "active_version", "versions", "created_at"]
        read_only_fields = ["id", "active_version", "versions", "created_at"]
        validators: list[Any] = []


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV or XLSX: scope_type, scope_value, month, amount, currency.")


FORECAST_FIRST_YEAR, FORECAST_LAST_YEAR = 2000, 9998


class ForecastQuerySerializer(serializers.Serializer):
    scope_type = serializers.ChoiceField(choices=ScopeType.choices, default=ScopeType.ORGANISATION)
    scope_value = serializers.CharField(required=False, allow_blank=True, default="")
    month = serializers.RegexField(
        r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        help_text="YYYY-MM, 2000-01 to 9998-12; default this month",
    )

    def validate_month(self, value: str) -> str:
        # A forecast compares with the same month a year before and looks at the month after: years
        # outside these bounds cannot be stepped through (and no cloud bill predates 2000).
        if not (FORECAST_FIRST_YEAR <= int(value[:4]) <= FORECAST_LAST_YEAR):
            raise serializers.ValidationError(
                f"Give a month from {FORECAST_FIRST_YEAR}-01 to {FORECAST_LAST_YEAR}-12."
            )
        return value


@extend_schema_serializer(many=False)  # the forecast endpoint answers one object, not a list
class ForecastSerializer(serializers.Serializer):
    scope_type = serializers.CharField()
    scope_value = serializers.CharField()
    month = serializers.DateField()
    currency = serializers.CharField()
    data_through = serializers.DateField()
    basis = serializers.CharField(source="projection.basis")
    actual_to_date = serializers.DecimalField(
        source="projection.actual_to_date", max_digits=40, decimal_places=10
    )
    projected = serializers.DecimalField(source="projection.projected", max_digits=40, decimal_places=10)
    low = serializers.DecimalField(source="projection.low", max_digits=40, decimal_places=10)
    high = serializers.DecimalField(source="projection.high", max_digits=40, decimal_places=10)
    run_rate = serializers.DecimalField(source="projection.run_rate", max_digits=40, decimal_places=10)
    days_remaining = serializers.IntegerField(source="projection.days_remaining")
    budget = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)


# --- budgets ----------------------------------------------------------------------------------------


class BudgetViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Fiscal-year budgets with their versions. Finance and admins create; everyone signed in reads."""

    serializer_class = BudgetSerializer
    permission_classes = [permissions.BudgetPermission]
    filterset_fields = ["fiscal_year"]
    ordering_fields = ["fiscal_year"]

    def get_queryset(self):
        lines = permissions.budget_line_condition(self.request.user)
        return permissions.visible_budgets(
            self.request.user, planning_selectors.budget_list(visible_lines=lines)
        ).order_by("-fiscal_year")

    def perform_create(self, serializer: BaseSerializer[Budget]) -> None:
        serializer.instance = budget_services.budget_create(
            actor=self.request.user, **serializer.validated_data
        )


class BudgetVersionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Versions of a budget: create (optionally copying another's lines), import, export, lock, activate."""

    serializer_class = BudgetVersionSerializer
    permission_classes = [permissions.BudgetPermission]
    filterset_fields = ["budget"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        versions = BudgetVersion.objects.select_related("budget", "locked_by").order_by("budget", "number")
        return permissions.visible_budgets(self.request.user, versions)

    def perform_create(self, serializer: BaseSerializer[BudgetVersion]) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = budget_services.budget_version_create(
            budget=data.pop("budget"),
            name=data.get("name", ""),
            note=data.get("note", ""),
            copy_from=data.get("copy_from"),
            actor=self.request.user,
        )

    @extend_schema(
        summary="Lock the version (finance): it becomes read-only",
        request=None,
        responses=BudgetVersionSerializer,
    )
    @action(detail=True, methods=["post"])
    def lock(self, request: Request, pk: str | None = None) -> Response:
        version = budget_services.budget_version_lock(version=self.get_object(), actor=request.user)
        return Response(self.get_serializer(version).data)

    @extend_schema(summary="Judge variances against this version", request=None, responses=BudgetSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        budget = budget_services.budget_version_activate(version=self.get_object(), actor=request.user)
        return Response(BudgetSerializer(budget, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Replace the version's lines from a CSV or XLSX file (all or nothing)",
        description="Any bad row refuses the whole file: the 400 lists every problem by row and column. "
        "A locked version answers 400.",
        request={"multipart/form-data": ImportSerializer},
        responses={
            200: inline_serializer("BudgetImportResult", {"lines": serializers.IntegerField()}),
            400: OpenApiResponse(description="Row-level problems; nothing was imported."),
        },
    )
    @action(detail=True, methods=["post"], url_path="import")
    def import_lines(self, request: Request, pk: str | None = None) -> Response:
        incoming = ImportSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        upload = incoming.validated_data["file"]
        count = budget_services.budget_version_import(
            version=self.get_object(),
            data=upload.read(),
            filename=upload.name,
            actor=request.user,
        )
        return Response({"lines": count})

    @extend_schema(
        summary="Download the version's lines in the upload layout",
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, enum=["csv", "xlsx"], description="Default csv.")
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str | None = None) -> HttpResponse:
        kind = request.query_params.get("kind", "csv")
        content, content_type, filename = budget_services.budget_version_export(
            version=self.get_object(),
            kind=kind,
            lines=permissions.visible_budget_lines(request.user, BudgetLine.objects.all()),
        )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class BudgetLineViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Monthly amounts per scope. Writes to a locked version answer 400."""

    serializer_class = BudgetLineSerializer
    permission_classes = [permissions.BudgetPermission]
    filterset_fields = ["version", "scope_type", "scope_value", "month"]
    http_method_names = ["get", "post", "put", "delete", "head", "options"]

    def get_queryset(self):
        lines = BudgetLine.objects.order_by("version", "scope_type", "scope_value", "month")
        return permissions.visible_budget_lines(self.request.user, lines)

    def perform_create(self, serializer: BaseSerializer[BudgetLine]) -> None:
        data = serializer.validated_data
        serializer.instance = budget_services.budget_line_set(
            version=data["version"],
            scope_type=data["scope_type"],
            scope_value=data.get("scope_value", ""),
            month=data["month"],
            amount=data["amount"],
            actor=self.request.user,
        )

    def perform_update(self, serializer: BaseSerializer[BudgetLine]) -> None:
        line = serializer.instance
        assert line is not None  # an update always has the line it changes
        data = serializer.validated_data
        if data.get("version", line.version) != line.version:
            raise ValidationError({"version": "A line stays in its version."})
        if (
            data.get("scope_type", line.scope_type),
            data.get("scope_value", line.scope_value),
            data.get("month", line.month),
        ) != (
            line.scope_type,
            line.scope_value,
            line.month,
        ):
            raise ValidationError({"month": "Change the amount; add a new line for another scope or month."})
        serializer.instance = budget_services.budget_line_set(
            version=line.version,
            scope_type=line.scope_type,
            scope_value=line.scope_value,
            month=line.month,
            amount=data.get("amount", line.amount),
            actor=self.request.user,
        )

    def perform_destroy(self, instance: BudgetLine) -> None:
        budget_services.budget_line_delete(line=instance, actor=self.request.user)


# --- forecasts ------------------------------------------------------------------------------------


class ForecastViewSet(viewsets.GenericViewSet):
    """Month-end projection of a scope with its range, and the scope's budget for the month."""

    serializer_class = ForecastSerializer
    permission_classes = [permissions.CostPermission]
    filter_backends: list[Any] = []
    pagination_class = None

    @extend_schema(
        summary="Month-end forecast for one scope",
        description="Cost Explorer's forecast for the organisation where a source gives one, else the run "
        "rate of docs/variance-method.md (basis says which). low/high are the range.",
        parameters=[ForecastQuerySerializer],
        responses={200: ForecastSerializer, 404: OpenApiResponse(description="No cost data for that scope.")},
    )
    def list(self, request: Request) -> Response:
        incoming = ForecastQuerySerializer(data=request.query_params)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        month = (parse_month(data["month"]) if data.get("month") else None) or date.today().replace(day=1)
        if not permissions.scope_visible(
            request.user, scope_type=data["scope_type"], scope_value=data["scope_value"]
        ):
            return Response({"detail": "No cost data for that scope."}, status=status.HTTP_404_NOT_FOUND)
        forecast = planning_selectors.scope_forecast(
            scope_type=data["scope_type"], scope_value=data["scope_value"], month=month
        )
        if forecast is None:
            return Response({"detail": "No cost data for that scope."}, status=status.HTTP_404_NOT_FOUND)
        if not permissions.may_read_budgets(request.user):
            forecast = dataclasses.replace(forecast, budget=None)
        return Response(ForecastSerializer(forecast).data)
