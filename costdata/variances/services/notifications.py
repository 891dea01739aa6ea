"""What the procedure tells people: queued e-mails (through the outbox) on each event, and the daily digest."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from common.links import absolute_url
from costdata.variances.models import Variance
from costdata.variances.services.base import Status
from costdata.variances.services.routing import technology_leads
from outbox.services import email_enqueue
from stakeholders.models import Group, Stakeholder


def _recipients(variance: Variance, event: str) -> list[str]:
    if event == "escalated":
        people = [variance.escalated_to] if variance.escalated_to else []
    elif variance.assignee is not None:
        people = [variance.assignee]
    elif variance.owner_team is not None:
        people = list(
            variance.owner_team.members.filter(active=True, group__in=[Group.ENGINEERING, Group.TECHNOLOGY])
        )
    else:
        people = technology_leads(None)
    return sorted({p.email for p in people if p is not None and p.email})


def _notify_on_commit(variance: Variance, event: str) -> None:
    transaction.on_commit(lambda: variance_notify(variance_id=variance.pk, event=event))


SUBJECTS = {
    "assigned": "Variance to explain: {variance}",
    "sent_back": "Explanation sent back: {variance}",
    "escalated": "Overdue variance escalated to you: {variance}",
}


def variance_notify(*, variance_id: int, event: str) -> int:
    """Email the people a procedure event concerns, with a link straight to the explanation form.
    The e-mail (and so the outbox's copy of it) names the variance but carries no figures and no
    explanation text: those are on the variance page, behind its visibility rules.
    Returns the number of deliveries queued (outbox)."""
    variance = (
        Variance.objects.select_related("owner_team", "assignee", "escalated_to")
        .filter(pk=variance_id)
        .first()
    )
    if variance is None or event not in SUBJECTS:
        return 0
    to = _recipients(variance, event)
    if not to:
        return 0
    last_review = variance.explanations.exclude(review_comment="").order_by("-reviewed_at").first()
    context = {
        "variance": variance,
        "event": event,
        "explain_url": absolute_url(reverse("variance-explain", args=[variance.pk])),
        "variance_url": absolute_url(variance.get_absolute_url()),
        "due": variance.due_day,
        "review": last_review,
    }
    email_enqueue(
        kind=f"variance_{event}",
        to=to,
        subject=SUBJECTS[event].format(variance=variance),
        text=render_to_string("costdata/email/variance_event.txt", context),
        reference=f"variance:{variance.pk}",
    )
    return 1


def variance_digest_send(*, now: datetime | None = None) -> int:
    """The daily digest for finance: explanations awaiting review and overdue variances. Nothing is
    sent on a day with nothing to review. Returns the number of deliveries queued (outbox)."""
    now = now or timezone.now()
    awaiting = list(
        Variance.objects.filter(status=Status.EXPLAINED).select_related("owner_team").order_by("month", "pk")
    )
    overdue = list(
        Variance.objects.filter(status__in=Variance.AWAITING_OWNER, due_at__lte=now)
        .select_related("owner_team", "assignee")
        .order_by("due_at")
    )
    if not awaiting and not overdue:
        return 0
    to = sorted(
        Stakeholder.objects.filter(active=True, group=Group.FINANCE)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not to:
        return 0
    context = {
        "awaiting": awaiting,
        "overdue": overdue,
        "list_url": absolute_url(reverse("variance-list")),
        "site_url": absolute_url(),
    }
    email_enqueue(
        kind="variance_digest",
        to=to,
        subject=f"Variances: {len(awaiting)} awaiting review, {len(overdue)} overdue",
        text=render_to_string("costdata/email/variance_digest.txt", context),
        reference=f"variance-digest:{timezone.localdate(now).isoformat()}",
    )
    return 1
