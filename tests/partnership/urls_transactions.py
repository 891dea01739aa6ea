"""A URLconf for tests/partnership/test_request_stack.py: views that write, then fail, under the same
per-method transactions the product's URLconf gets (common.transactions.atomic_writes_only)."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from common.transactions import atomic_writes_only
from partnership import urls as product_urls
from stakeholders.models import Team


def in_transaction(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"atomic": connection.in_atomic_block})


def write_then_fail(request: HttpRequest) -> JsonResponse:
    Team.objects.create(name="Half written", kind=Team.Kind.TEAM)
    Team.objects.create(name="Half written too", kind=Team.Kind.TEAM)
    raise RuntimeError("failed after two writes")


class WriteThenRefuse(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def post(self, request):  # type: ignore[no-untyped-def]
        Team.objects.create(name="Written before the refusal", kind=Team.Kind.TEAM)
        raise serializers.ValidationError({"name": ["Refused after the write."]})

    def get(self, request):  # type: ignore[no-untyped-def]
        return Response({"atomic": connection.in_atomic_block})


# The product's own URLs follow (the middleware and the error pages name some of them).
urlpatterns = [
    *atomic_writes_only(
        [
            path("in-transaction/", in_transaction),
            path("write-then-fail/", write_then_fail),
            path("write-then-refuse/", WriteThenRefuse.as_view()),
        ]
    ),
    *product_urls.urlpatterns,
]
