from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from costdata import selectors
from costdata.models import CostSource
from costdata.serializers import CostSourceSerializer, IngestionRunSerializer


class CostSourceViewSet(viewsets.ReadOnlyModelViewSet):
    """Cost sources with their freshness: data up to, last refresh, days still estimated, last run."""

    serializer_class = CostSourceSerializer
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

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        sources = [self._with_freshness(source) for source in page]
        return self.get_paginated_response(self.get_serializer(sources, many=True).data)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return Response(self.get_serializer(self._with_freshness(self.get_object())).data)

    @extend_schema(responses=IngestionRunSerializer(many=True))
    @action(detail=True, methods=["get"])
    def runs(self, request: Request, pk: str | None = None) -> Response:
        runs = selectors.source_runs(source=self.get_object())
        page = self.paginate_queryset(runs)
        return self.get_paginated_response(IngestionRunSerializer(page, many=True).data)
