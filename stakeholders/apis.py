"""REST API for people, teams, ownership, engagements and readiness. Writes go through services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from stakeholders import known_accounts, permissions, scopes, selectors, services
from stakeholders.filters import EngagementFilter, OwnershipFilter, StakeholderFilter, TeamFilter
from stakeholders.permissions import (
    EngagementPermission,
    OwnershipPermission,
    ReadAllWriteLeads,
    ReadinessPermission,
)
from stakeholders.serializers import (
    EngagementInputSerializer,
    EngagementSerializer,
    OwnerMatchSerializer,
    OwnershipInputSerializer,
    OwnershipNoteSerializer,
    OwnershipSerializer,
    ReadinessSerializer,
    SavingInputSerializer,
    SavingSerializer,
    StakeholderInputSerializer,
    StakeholderSerializer,
    TeamInputSerializer,
    TeamSerializer,
)


class ServiceViewSet(viewsets.ModelViewSet):
    """A ModelViewSet whose writes validate with an input serializer and act through a service."""

    permission_classes = [ReadAllWriteLeads]
    input_serializer_class: type[serializers.Serializer]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def _input(self, request: Request, *, partial: bool = False) -> dict[str, Any]:
        serializer = self.input_serializer_class(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _respond(self, instance: Any, code: int = status.HTTP_200_OK) -> Response:
        instance = self.get_queryset().get(pk=instance.pk)
        return Response(self.get_serializer(instance).data, status=code)

    def _create(self, request: Request, service: Callable[..., Any]) -> Response:
        data = self._input(request)
        instance = service(actor=request.user, **data)
        return self._respond(instance, status.HTTP_201_CREATED)


@extend_schema(request=StakeholderInputSerializer, responses=StakeholderSerializer)
class StakeholderViewSet(ServiceViewSet):
    """People in the programme. DELETE deactivates (history and claims stay); POST reactivate/ undoes it."""

    serializer_class = StakeholderSerializer
    input_serializer_class = StakeholderInputSerializer
    filterset_class = StakeholderFilter
    ordering_fields = ["name", "email", "group", "role", "active"]
    ordering = ["name"]

    def get_queryset(self):
        return permissions.visible_stakeholders(
            self.request.user, selectors.stakeholder_list(active_only=False)
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._create(request, services.stakeholder_create)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        stakeholder = self.get_object()
        data = self._input(request, partial=kwargs.get("partial", False))
        services.stakeholder_update(stakeholder=stakeholder, actor=request.user, **data)
        return self._respond(stakeholder)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.stakeholder_set_active(stakeholder=self.get_object(), active=False, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def reactivate(self, request: Request, pk: str | None = None) -> Response:
        stakeholder = services.stakeholder_set_active(
            stakeholder=self.get_object(), active=True, actor=request.user
        )
        return self._respond(stakeholder)


@extend_schema(request=TeamInputSerializer, responses=TeamSerializer)
class TeamViewSet(ServiceViewSet):
    """Teams and business units with their members (ids in, ids and names out)."""

    serializer_class = TeamSerializer
    input_serializer_class = TeamInputSerializer
    filterset_class = TeamFilter
    ordering_fields = ["name", "kind"]
    ordering = ["name"]

    def get_queryset(self):
        return permissions.visible_teams(self.request.user, selectors.team_list())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._create(request, services.team_create)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        team = self.get_object()
        data = self._input(request, partial=kwargs.get("partial", False))
        services.team_update(team=team, actor=request.user, **data)
        return self._respond(team)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.team_delete(team=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(request=OwnershipInputSerializer, responses=OwnershipSerializer)
class OwnershipViewSet(ServiceViewSet):
    """Claims on cost scopes. Only the note changes in place; POST make-primary/ hands over a scope."""

    serializer_class = OwnershipSerializer
    input_serializer_class = OwnershipInputSerializer
    filterset_class = OwnershipFilter
    ordering_fields = ["scope_kind", "scope_key", "scope_value", "is_primary", "created_at"]
    ordering = ["scope_kind", "scope_key", "scope_value", "-is_primary"]
    permission_classes = [OwnershipPermission]

    def get_queryset(self):
        return permissions.visible_ownerships(self.request.user, selectors.ownership_list())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._input(request)
        if not permissions.can_manage_ownership(
            request.user, team=data.get("owner_team"), stakeholder=data.get("owner_stakeholder")
        ):
            raise PermissionDenied("Technology leads manage the ownership of their own teams only.")
        instance = services.ownership_create(actor=request.user, **data)
        return self._respond(instance, status.HTTP_201_CREATED)

    @extend_schema(request=OwnershipNoteSerializer)
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ownership = self.get_object()
        serializer = OwnershipNoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        extra = set(request.data) - {"note"}
        if extra:
            raise serializers.ValidationError(
                {
                    field: "A claim's scope and owner do not change; add a new claim instead."
                    for field in extra
                }
            )
        services.ownership_update(
            ownership=ownership, note=serializer.validated_data["note"], actor=request.user
        )
        return self._respond(ownership)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.ownership_delete(ownership=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"], url_path="make-primary")
    def make_primary(self, request: Request, pk: str | None = None) -> Response:
        ownership = services.ownership_make_primary(ownership=self.get_object(), actor=request.user)
        return self._respond(ownership)

    @extend_schema(
        parameters=[
            OpenApiParameter("account_id", OpenApiTypes.STR, required=True),
            OpenApiParameter("service", OpenApiTypes.STR),
            OpenApiParameter("tag", OpenApiTypes.STR, many=True, description="key=value, repeatable"),
            OpenApiParameter(
                "cost_category", OpenApiTypes.STR, many=True, description="name=value, repeatable"
            ),
        ],
        responses=OwnerMatchSerializer,
    )
    @action(detail=False, methods=["get"])
    def resolve(self, request: Request) -> Response:
        """Who owns a cost row: 200 with the owner and the deciding scope, 404 when nobody does."""
        if not permissions.can_read(request.user):
            raise PermissionDenied("Ownership is for the organisation's staff.")
        params = request.query_params
        errors: dict[str, str] = {}
        account_id = params.get("account_id", "").strip()
        if not account_id:
            errors["account_id"] = "Give the row's 12-digit account id."
        elif message := scopes.account_id_error(account_id):
            errors["account_id"] = message
        pairs: dict[str, dict[str, str]] = {"tag": {}, "cost_category": {}}
        for name, found in pairs.items():
            for item in params.getlist(name):
                key, sep, value = item.partition("=")
                if not sep or not key.strip():
                    errors[name] = f"Write each {name} as key=value; got {item!r}."
                else:
                    found[key.strip()] = value.strip()
        if errors:
            raise serializers.ValidationError(errors)
        match = selectors.cost_owner_for(
            account_id=account_id,
            service=params.get("service", "").strip(),
            tags=pairs["tag"],
            cost_categories=pairs["cost_category"],
        )
        if match is None:
            return Response({"detail": "Nobody owns this cost row."}, status=status.HTTP_404_NOT_FOUND)
        ownership = match.ownership
        return Response(
            {
                "owner_type": ownership.owner_kind,
                "owner_id": match.owner.pk,
                "owner_name": match.owner.name,
                "scope_kind": match.scope.kind,
                "scope_key": match.scope.key,
                "scope_value": match.scope.value,
                "scope": str(match.scope),
                "ownership": ownership.pk,
                "considered": [str(scope) for scope in match.considered],
            }
        )


@extend_schema(request=EngagementInputSerializer, responses=EngagementSerializer)
class EngagementViewSet(ServiceViewSet):
    """Third-party engagements with their ROI per period ("returns")."""

    serializer_class = EngagementSerializer
    input_serializer_class = EngagementInputSerializer
    filterset_class = EngagementFilter
    ordering_fields = ["name", "starts_on", "fee"]
    ordering = ["name"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    permission_classes = [EngagementPermission]

    def get_queryset(self):
        return permissions.visible_engagements(self.request.user, selectors.engagement_list())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._create(request, services.engagement_create)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        engagement = self.get_object()
        data = self._input(request, partial=kwargs.get("partial", False))
        services.engagement_update(engagement=engagement, actor=request.user, **data)
        return self._respond(engagement)


@extend_schema(request=SavingInputSerializer, responses=SavingSerializer)
class SavingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Savings attributed to an engagement per period. POSTing a period again replaces its figure."""

    permission_classes = [EngagementPermission]
    serializer_class = SavingSerializer
    filterset_fields = ["engagement"]
    ordering_fields = ["period_start", "amount"]
    ordering = ["engagement", "period_start"]

    def get_queryset(self):
        if not permissions.can_read_engagements(self.request.user):
            return selectors.saving_list().none()
        return selectors.saving_list()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = SavingInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        saving = services.saving_record(actor=request.user, **serializer.validated_data)
        return Response(SavingSerializer(saving).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.saving_delete(saving=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReadinessApi(APIView):
    """What the programme is missing against COST01-BP02's "define key members" step."""

    permission_classes = [ReadinessPermission]

    @extend_schema(responses=ReadinessSerializer)
    def get(self, request: Request) -> Response:
        readiness = selectors.programme_readiness(accounts=known_accounts.known_accounts())
        checks = [_check(c) for c in readiness.checks]
        return Response(
            {"ready": readiness.ready, "findings": [c for c in checks if not c["ok"]], "checks": checks}
        )


def _check(check: selectors.ReadinessCheck) -> dict[str, Any]:
    return {
        "code": check.code,
        "title": check.title,
        "ok": check.ok,
        "detail": check.detail,
        "missing": check.missing,
    }
