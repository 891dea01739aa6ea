"""The meeting page's form and the API endpoint that record a meeting's decision about a variance."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from common.page_errors import error_messages
from costdata import permissions as cost_permissions
from costdata.models import Variance
from costdata.variances import selectors as variance_selectors
from meetings.forms import MeetingVarianceDecisionForm
from meetings.models import Meeting, VarianceDecision
from meetings.permissions import can_manage_programme
from meetings.variance_decisions import variance_decision_record


@login_required
@require_POST
def meeting_variance_decision(request: HttpRequest, meeting_pk: int) -> HttpResponse:
    """The meeting page's form: record the meeting's decision about a variance (the API's service)."""
    if not can_manage_programme(request.user):
        raise PermissionDenied("Only finance, technology leads and admins record meeting decisions.")
    meeting = get_object_or_404(Meeting, pk=meeting_pk)
    back = meeting.get_absolute_url() + "#decisions"
    form = MeetingVarianceDecisionForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                label = form.fields[field].label or field if field in form.fields else ""
                messages.error(request, f"{label}: {error}" if label else str(error))
        return redirect(back)
    try:
        link = variance_decision_record(
            variance=form.cleaned_data["variance"],
            meeting=meeting,
            text=form.cleaned_data["text"],
            actor=request.user,
        )
    except ValidationError as error:
        for message in error_messages(error):
            messages.error(request, message)
        return redirect(back)
    messages.success(request, f"Decision recorded against {link.variance}.")
    return redirect(back)


class VarianceDecisionRequestSerializer(serializers.Serializer):
    meeting = serializers.PrimaryKeyRelatedField(queryset=Meeting.objects.all())
    text = serializers.CharField()


class VarianceDecisionSerializer(serializers.Serializer):
    decision = serializers.IntegerField(source="decision_id")
    meeting = serializers.IntegerField(source="decision.meeting_id")
    text = serializers.CharField(source="decision.text")


class VarianceDecisionCreate(GenericAPIView):
    """POST /api/v1/variances/{id}/decisions/: the variance is looked up as the variances API does
    (a variance the reader may not see is a 404)."""

    permission_classes = [cost_permissions.VariancePermission]
    serializer_class = VarianceDecisionRequestSerializer

    def get_queryset(self) -> QuerySet[Variance]:
        return cost_permissions.visible_variances(self.request.user, variance_selectors.variance_list())

    @extend_schema(
        operation_id="variances_decisions_create",
        summary="Record a meeting's decision about this variance (finance, technology leads, admins)",
        request=VarianceDecisionRequestSerializer,
        responses={201: VarianceDecisionSerializer},
        tags=["variances"],
    )
    def post(self, request: Request, pk: int) -> Response:
        incoming = VarianceDecisionRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        link: VarianceDecision = variance_decision_record(
            variance=self.get_object(), actor=request.user, **incoming.validated_data
        )
        return Response(VarianceDecisionSerializer(link).data, status=status.HTTP_201_CREATED)
