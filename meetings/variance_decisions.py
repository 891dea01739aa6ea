"""A meeting's decisions about variances: recorded in the meeting's minutes and shown on the variance's
timeline (through the timeline registry that costdata declares; costdata does not know meetings)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from costdata.models import Variance
from costdata.permissions import visible_variances
from costdata.variances.selectors import TimelineEntry
from meetings.models import Meeting, VarianceDecision
from meetings.permissions import can_manage_programme
from meetings.services import decision_create


@transaction.atomic
def variance_decision_record(
    *, variance: Variance, meeting: Meeting, text: str, actor: Any = None
) -> VarianceDecision:
    """A meeting's decision about a variance: recorded in the meeting's minutes and linked to it."""
    if actor is not None and not can_manage_programme(actor):
        raise PermissionDenied("Only finance, technology leads and admins record meeting decisions.")
    decision = decision_create(meeting=meeting, text=text, recorded_by=actor)
    return VarianceDecision.objects.create(variance=variance, decision=decision)


def decision_timeline_entries(variance: Variance) -> list[TimelineEntry]:
    """The meetings' decisions about one variance, as entries of its timeline (registered in apps.py)."""
    links = VarianceDecision.objects.filter(variance=variance).select_related(
        "decision", "decision__meeting", "decision__recorded_by"
    )
    return [TimelineEntry(link.decision.created_at, "decision", decision=link.decision) for link in links]


def decision_variance_links(*, meeting: Meeting, viewer: Any) -> dict[int, tuple[str, str]]:
    """Per decision id of the meeting, the variance it decided on as the viewer is shown it: its name and
    page when the viewer may see it, else "a variance you cannot see" with no link."""
    links = list(VarianceDecision.objects.filter(decision__meeting=meeting).select_related("variance"))
    seen = set(
        visible_variances(
            viewer, Variance.objects.filter(pk__in=[link.variance_id for link in links])
        ).values_list("pk", flat=True)
    )
    return {
        link.decision_id: (str(link.variance), link.variance.get_absolute_url())
        if link.variance_id in seen
        else ("a variance you cannot see", "")
        for link in links
    }
