"""A meeting's decisions about variances: recorded in the meeting's minutes and shown on the variance's
timeline (through the timeline registry that costdata declares; costdata does not know meetings)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from costdata.models import Variance
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
