"""The programme's e-mails: an action item's new owner, and each meeting's agenda when it is due.

Each is queued in the outbox, which delivers and retries it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from audit.recording import update_audited
from common.links import absolute_url
from meetings import calendar, selectors
from meetings.cost_items import variance_id_of
from meetings.models import ActionItem, Cadence, Meeting
from meetings.services.meetings import meeting_agenda_build
from outbox.services import email_enqueue

logger = logging.getLogger(__name__)

SEND_AGENDAS_TASK_NAME = "meetings.agendas_send_due"


def action_item_notify_assigned(*, action_item_id: int) -> int:
    """Tell the owner an action item is theirs. Returns the number of deliveries queued (outbox)."""
    item = (
        ActionItem.objects.select_related("owner", "origin_meeting", "explanation")
        .filter(pk=action_item_id)
        .first()
    )
    if item is None or not item.owner.email:
        return 0
    context = {"item": item, "site_url": absolute_url()}
    email_enqueue(
        kind="action_item_assigned",
        to=[item.owner.email],
        subject=f"Action item for you: {item.title}",
        text=render_to_string("meetings/email/action_item_assigned.txt", context),
        reference=f"action_item:{item.pk}",
    )
    return 1


@transaction.atomic
def meeting_agenda_send(*, meeting_id: int, force: bool = False) -> int:
    """Email the agenda (with the meeting's .ics) to its attendees, once. Returns deliveries queued.

    The send is claimed with a conditional update (agenda_sent_at IS NULL), so two workers running the
    schedule at once send it once. The claim and the queued delivery commit together; the outbox
    retries a failed delivery.
    """
    now = timezone.now()
    claim = Meeting.objects.filter(pk=meeting_id, status=Meeting.Status.PLANNED)
    if not force:
        claim = claim.filter(agenda_sent_at__isnull=True)
    if update_audited(claim, agenda_sent_at=now) == 0:
        return 0
    meeting = selectors.meeting_detail(pk=meeting_id)
    items = meeting_agenda_build(meeting=meeting)
    recipients = sorted(
        {
            a.stakeholder.email
            for a in meeting.attendances.all()
            if a.stakeholder.active and a.stakeholder.email
        }
    )
    if not recipients:
        return 0
    # A cost item's figures are the variance's, shown per viewer on the meeting page: the e-mail names
    # the item by its reference only and links there.
    lines = [(item.title, "" if variance_id_of(item) is not None else item.detail) for item in items]
    context = {"meeting": meeting, "items": lines, "site_url": absolute_url()}
    ics = calendar.calendar_bytes([meeting], name=meeting.title).decode()
    email_enqueue(
        kind="agenda",
        to=recipients,
        subject=f"Agenda: {meeting.title}, {meeting.local_start():%a %d %b %Y %H:%M} {meeting.timezone}",
        text=render_to_string("meetings/email/agenda.txt", context),
        reference=f"meeting:{meeting.pk}",
        attachments=[(f"meeting-{meeting.pk}.ics", ics, "text/calendar")],
    )
    return 1


def agendas_send_due(*, now: datetime | None = None) -> list[int]:
    """Send the agenda of every planned meeting that is within its cadence's notice period."""
    now = now or timezone.now()
    default_days = getattr(settings, "MEETINGS_AGENDA_DAYS_BEFORE", 3)
    notices = Cadence.objects.exclude(agenda_days_before=None).values_list("agenda_days_before", flat=True)
    horizon = now + timedelta(days=max([default_days, *(days for days in notices if days is not None)]))
    sent = []
    candidates = Meeting.objects.select_related("cadence").filter(
        status=Meeting.Status.PLANNED, agenda_sent_at__isnull=True, starts_at__gt=now, starts_at__lte=horizon
    )
    for meeting in candidates:
        days = meeting.cadence.effective_agenda_days_before() if meeting.cadence else default_days
        if meeting.starts_at > now + timedelta(days=days):
            continue
        try:
            if meeting_agenda_send(meeting_id=meeting.pk):
                sent.append(meeting.pk)
        except Exception:  # one unreachable mail server must not hold back the other meetings
            logger.exception("agenda send failed meeting_id=%s", meeting.pk)
    return sent
