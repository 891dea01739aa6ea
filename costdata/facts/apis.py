"""The REST API for the costs themselves: aggregated at the grain asked for, per reader visibility."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from common.pagination import KeysetPagination
from costdata.facts import data_cache, selectors
from costdata.facts.models import DailyCost
from costdata.facts.serializers import (
    CostQuerySerializer,
    CostRowSerializer,
)
from costdata.permissions import CostFilter, CostPermission, cost_filter

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

    A page's JSON is kept per facts version (costdata.facts.data_cache.response_cached, Postgres and the JSON
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
        # Pages are cached (the default cache) until the facts change: see common/pagination.py.
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
        if not seconds or type(renderer) is not JSONRenderer:
            return self._page(request, visible)
        media_type = request.accepted_media_type

        def render() -> bytes:
            data = self._page(request, visible).data
            return renderer.render(data, media_type, self.get_renderer_context())

        # The URL carries the query, the cursor and the page size, and the scheme and host the links use.
        arguments = (request.build_absolute_uri(), media_type, visible.facts, visible.tag_facts)
        body = data_cache.response_cached(
            "costs", arguments, render, version=self.page_cache_version(), seconds=seconds
        )
        # What DRF's Response would carry after rendering with the JSON renderer (no charset parameter).
        return HttpResponse(body, content_type=renderer.media_type)

    def _page(self, request: Request, visible: CostFilter) -> Response:
        incoming = CostQuerySerializer(data=request.query_params, context={"request": request})
        incoming.is_valid(raise_exception=True)
        query = incoming.to_query()
        rows = selectors.cost_rows(query=query, visible=visible.facts, visible_tags=visible.tag_facts)
        page = self.paginate_queryset(rows)
        data = CostRowSerializer(page, many=True, groupings=query.output_names).data
        return self.get_paginated_response(data)
