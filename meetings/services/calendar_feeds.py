"""Writes for calendar feeds: secret URLs that serve a cadence's or a person's meetings as iCalendar."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.recording import acting_as_actor
from common.types import AnyUser, User
from meetings.models import Cadence, CalendarFeed
from stakeholders.models import Group, Stakeholder
from stakeholders.roles import engagements_in_force


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@acting_as_actor(arg="created_by")
@transaction.atomic
def calendar_feed_create(
    *, cadence: Cadence | None = None, stakeholder: Stakeholder | None = None, created_by: User | None = None
) -> tuple[CalendarFeed, str]:
    """A new secret feed URL. Returns the feed and its token, which is never stored and shown only now."""
    if (cadence is None) == (stakeholder is None):
        raise ValidationError({"cadence": "A feed is for one cadence or one stakeholder."})
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(
        kind=CalendarFeed.Kind.CADENCE if cadence else CalendarFeed.Kind.STAKEHOLDER,
        cadence=cadence,
        stakeholder=stakeholder,
        token_hash=token_hash(token),
        token_hint=token[:6],
        created_by=created_by,
    )
    return feed, token


@acting_as_actor
@transaction.atomic
def calendar_feed_revoke(*, feed: CalendarFeed, actor: AnyUser | None = None) -> CalendarFeed:
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
    return feed


@acting_as_actor(arg="created_by")
@transaction.atomic
def calendar_feed_rotate(*, feed: CalendarFeed, created_by: User | None = None) -> tuple[CalendarFeed, str]:
    """Revoke a feed and issue its replacement for the same subject."""
    calendar_feed_revoke(feed=feed, actor=created_by)
    return calendar_feed_create(cadence=feed.cadence, stakeholder=feed.stakeholder, created_by=created_by)


def _may_follow(person: Stakeholder) -> bool:
    """A person's feed opens only while they are active, and a third party's only while one of its
    engagements is in force (started, not ended: as its pages and API tokens)."""
    if not person.active:
        return False
    if person.group != Group.THIRD_PARTY:
        return True
    return person.engagements.filter(engagements_in_force(on=timezone.localdate())).exists()


def calendar_feed_resolve(*, token: str) -> CalendarFeed | None:
    """The active feed a token opens, or None. Records when it was last read (at most once a minute)."""
    feed = (
        CalendarFeed.objects.select_related("cadence", "stakeholder")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if feed is not None and feed.stakeholder is not None and not _may_follow(feed.stakeholder):
        return None
    if feed is not None:
        now = timezone.now()
        if feed.last_used_at is None or now - feed.last_used_at > timedelta(minutes=1):
            CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return feed
