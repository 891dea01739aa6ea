"""Calendar feeds: create, revoke or rotate a secret URL, and the feed it serves."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from meetings import calendar, permissions, selectors, services
from meetings.models import (
    Cadence,
    CalendarFeed,
)
from meetings.views.base import next_url, require
from stakeholders.models import Stakeholder

# --- Calendar feeds ------------------------------------------------------------------------------


def _feed_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("calendar-feed", args=[token]))


@login_required
@require_POST
def feed_create(request: HttpRequest) -> HttpResponse:
    cadence = Cadence.objects.filter(pk=request.POST.get("cadence") or 0).first()
    stakeholder = Stakeholder.objects.filter(pk=request.POST.get("stakeholder") or 0).first()
    subject = cadence or stakeholder
    if subject is None:
        raise Http404("No such cadence or stakeholder.")
    require(permissions.can_manage_feed(request.user, subject))
    feed, token = services.calendar_feed_create(
        cadence=cadence, stakeholder=None if cadence else stakeholder, created_by=request.user
    )
    request.session["new_feed_url"] = _feed_url(request, token)
    messages.success(request, "New calendar feed. Copy its address now: it is shown only once.")
    return redirect(next_url(request, reverse("home")))


@login_required
@require_POST
def feed_action(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    feed = get_object_or_404(CalendarFeed, pk=pk)
    require(permissions.can_manage_feed(request.user, feed.cadence or feed.stakeholder))
    if verb == "revoke":
        services.calendar_feed_revoke(feed=feed, actor=request.user)
        messages.success(request, "Feed revoked: calendars subscribed to it stop updating.")
    elif verb == "rotate":
        _, token = services.calendar_feed_rotate(feed=feed, created_by=request.user)
        request.session["new_feed_url"] = _feed_url(request, token)
        messages.success(request, "Feed rotated: the old address stopped working. Copy the new one now.")
    else:
        raise Http404
    return redirect(next_url(request, reverse("home")))


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The subscribable feed. The secret token in the URL is the credential, so no login is needed."""
    feed = services.calendar_feed_resolve(token=token)
    if feed is None:
        raise Http404("No such feed, or it was revoked.")
    if feed.cadence is not None:
        name = feed.cadence.name
    else:  # a feed is for one cadence or one stakeholder
        name = f"Partnership meetings: {feed.stakeholder.name if feed.stakeholder else ''}"
    body = calendar.calendar_bytes(selectors.feed_meetings(feed=feed), name=name)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
