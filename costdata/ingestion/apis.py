"""The REST API for cost sources and their ingestion runs: read, add, pull now."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from common.pagination import KEYSET_PARAMETERS, KeysetPagination, keyset_page_serializer
from costdata.facts import selectors
from costdata.ingestion import services
from costdata.ingestion.serializers import (
    CostSourceCreateSerializer,
    CostSourceSerializer,
    IngestionRunSerializer,
    PullRequestSerializer,
)
from costdata.models import CostSource, IngestionRun
from costdata.permissions import ReadOrManageSources


class CostSourceViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Cost sources with their freshness: data up to, last refresh, days still estimated, last run."""

    serializer_class = CostSourceSerializer
    permission_classes = [ReadOrManageSources]
    filterset_fields = ["kind", "active"]
    ordering_fields = ["name"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.source_list()

    def _with_freshness(self, source: CostSource) -> CostSource:
        freshness = selectors.source_freshness(source=source)
        source.data_up_to = freshness.data_up_to
        source.refreshed_at = freshness.refreshed_at
        source.estimated_days = freshness.estimated_days
        source.last_run = freshness.last_run
        return source

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        sources = [self._with_freshness(source) for source in (queryset if page is None else page)]
        data = self.get_serializer(sources, many=True).data
        return Response(data) if page is None else self.get_paginated_response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self._with_freshness(self.get_object())).data)

    @extend_schema(
        summary="Add a cost source (admins only)",
        request=CostSourceCreateSerializer,
        responses={201: CostSourceSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = CostSourceCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        source = services.source_create(**incoming.validated_data)
        return Response(
            self.get_serializer(self._with_freshness(source)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Queue a pull of this source now (admins only)",
        description="Without a body, reads the computed refresh window; with start and end (exclusive), "
        "backfills that range (up to the 13 months Cost Explorer keeps). Returns the queued run.",
        request=PullRequestSerializer,
        responses={202: IngestionRunSerializer},
    )
    @action(detail=True, methods=["post"])
    def pull(self, request: Request, pk: str | None = None) -> Response:
        source = self.get_object()
        incoming = PullRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        run = services.source_pull_enqueue(source=source, **incoming.validated_data)
        return Response(IngestionRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="The source's run history, newest first",
        responses=keyset_page_serializer("IngestionRunCursorPage", IngestionRunSerializer),
        parameters=KEYSET_PARAMETERS,
    )
    @action(detail=True, methods=["get"], pagination_class=KeysetPagination)
    def runs(self, request: Request, pk: str | None = None) -> Response:
        # Runs pile up (several a day per source): a keyset page, never a count of the history.
        runs = selectors.source_runs(source=self.get_object())
        page = self.paginate_queryset(runs)
        return self.get_paginated_response(IngestionRunSerializer(page, many=True).data)


class IngestionRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Every source's runs, newest first: window, status, rows, requests, error."""

    serializer_class = IngestionRunSerializer
    pagination_class = KeysetPagination
    permission_classes = [ReadOrManageSources]
    filterset_fields = ["source", "status", "trigger"]
    ordering_fields = ["started_at"]

    def get_queryset(self):
        return IngestionRun.objects.select_related("source").order_by("-started_at", "-id")
