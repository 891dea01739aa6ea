"""A person's calendar feeds end with their access: revoked when they are deactivated or change group.

Registered into stakeholders.access in MeetingsConfig.ready (stakeholders may not import meetings).
"""

from __future__ import annotations

from meetings.models import CalendarFeed
from meetings.services import calendar_feed_revoke
from stakeholders.access import register_access_hook
from stakeholders.models import Stakeholder


def revoke_person_feeds(stakeholder: Stakeholder) -> None:
    """Revoke every live feed of the person's own meetings (a cadence's feeds are nobody's)."""
    feeds = CalendarFeed.objects.filter(
        kind=CalendarFeed.Kind.STAKEHOLDER, stakeholder=stakeholder, revoked_at__isnull=True
    )
    for feed in feeds.select_for_update():
        calendar_feed_revoke(feed=feed)


def register_feed_revocation() -> None:
    register_access_hook(revoke_person_feeds)
