from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from common.pagination import KEYSET_PARAMETERS, KeysetPagination, keyset_page_serializer
from costdata import data_cache, selectors, services
from costdata.models import CostSource, DailyCost, IngestionRun
from costdata.permissions import CostFilter, CostPermission, ReadOrManageSources, cost_filter
from costdata.serializers import (
    CostQuerySerializer,
    CostRowSerializer,
    CostSourceCreateSerializer,
    CostSourceSerializer,
    IngestionRunSerializer,
    PullRequestSerializer,
)


def _as_api_error(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict if hasattr(exc, "message_dict") else {"detail": exc.messages})


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
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        sources = [self._with_freshness(source) for source in page]
        return self.get_paginated_response(self.get_serializer(sources, many=True).data)

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
        try:
            source = services.source_create(**incoming.validated_data)
        except DjangoValidationError as exc:
            raise _as_api_error(exc) from exc
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
        try:
            run = services.source_pull_enqueue(source=source, **incoming.validated_data)
        except DjangoValidationError as exc:
            raise _as_api_error(exc) from exc
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


COST_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, required=True, description="First day (YYYY-MM-DD)."),
    OpenApiParameter("end", OpenApiTypes.DATE, required=True, description="Day after the last (exclusive)."),
    OpenApiParameter(
        "group_by",
        OpenApiTypes.STR,
        description="Up to two of day, month, account, service, provider, source, tag:KEY, "
        "comma-separated, e.g. `month,service` or `day,tag:team`. Each row then has one field per "
        "grouping (`tag` for tag:KEY).",
    ),
    OpenApiParameter("account", OpenApiTypes.STR, description="Only these account ids (comma-separated)."),
    OpenApiParameter("service", OpenApiTypes.STR, description="Only these services (comma-separated)."),
    OpenApiParameter("source", OpenApiTypes.STR, description="Only this source: its name or id."),
    OpenApiParameter(
        "basis",
        OpenApiTypes.STR,
        enum=["unblended", "amortized"],
        description="unblended (default; FOCUS BilledCost) or amortized (FOCUS EffectiveCost).",
    ),
]


class CostViewSet(viewsets.GenericViewSet):
    """Costs aggregated at the grain asked for, exact to the stored twelve places.

    A page's JSON is kept per facts version (costdata.data_cache.response_cached, Postgres and the JSON
    renderer only, as the page cache): a repeated request is authenticated, allowed and throttled as
    any other, then answered with the bytes the same URL rendered for a reader with the same
    visibility, without validating, aggregating, serializing or rendering again. An invalid query is
    never kept, so it is always refused afresh with its 400.
    """

    serializer_class = CostRowSerializer
    permission_classes = [CostPermission]
    filter_backends: list[Any] = []
    # A keyset page over the aggregated rows: no COUNT (which would aggregate everything a second time)
    # and no OFFSET. The groupings plus the currency identify a row, so they alone make the cursor.
    pagination_class = KeysetPagination
    ordering_is_unique = True
    _facts_version: str | None = None

    def get_queryset(self) -> QuerySet:
        # The rows are aggregates (selectors.cost_rows), not a model's queryset; the browsable API only
        # asks for one to offer a filter form, and this view has no filter backends.
        return DailyCost.objects.none()

    def page_cache_version(self) -> str:
        # Pages are cached (Postgres, the default cache) until the facts change: see pagination.py.
        # Read once per request (the view object lives for one request).
        if self._facts_version is None:
            self._facts_version = selectors.facts_version()
        return self._facts_version

    @extend_schema(
        summary="Costs for a window, grouped",
        description="Sums of the cost facts in [start, end), one row per grouping and currency, sorted by "
        "the groupings, then the currency. `amount` is a decimal string at full precision. A 400 names the "
        "parameter at fault. Paginated by cursor: follow `next` until it is null (no total count is "
        "given; `page_size` up to 1000).",
        parameters=COST_PARAMETERS,
        # The 400 body names each parameter at fault ({"end": ["..."]}): the shared Error schema.
        responses={200: CostRowSerializer(many=True)},
    )
    def list(self, request: Request) -> HttpResponseBase:
        visible = cost_filter(request.user)
        renderer = request.accepted_renderer
        seconds = settings.API_PAGE_CACHE_SECONDS
        if not seconds or type(renderer) is not JSONRenderer or connection.vendor != "postgresql":
            return self._page(request, visible)
        media_type = request.accepted_media_type

        def render() -> bytes:
            data = self._page(request, visible).data
            return renderer.render(data, media_type, self.get_renderer_context())  # type: ignore[no-any-return]

        # The URL carries the query, the cursor and the page size, and the scheme and host the links use.
        arguments = (request.build_absolute_uri(), media_type, visible.facts, visible.tag_facts)
        body = data_cache.response_cached(
            "costs", arguments, render, version=self.page_cache_version(), seconds=seconds
        )
        # What DRF's Response would carry after rendering with the JSON renderer (no charset parameter).
        return HttpResponse(body, content_type=renderer.media_type)

    def _page(self, request: Request, visible: CostFilter) -> Response:
        incoming = CostQuerySerializer(data=request.query_params)
        incoming.is_valid(raise_exception=True)
        query = incoming.to_query()
        rows = selectors.cost_rows(query=query, visible=visible.facts, visible_tags=visible.tag_facts)
        page = self.paginate_queryset(rows)
        rows = CostRowSerializer(page, many=True, groupings=query.output_names).data
        return self.get_paginated_response(rows)
