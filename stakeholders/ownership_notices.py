"""Telling a team that its scope changed hands: an e-mail (through the outbox) to its technology leads.

The message names the scope, the new and the previous owner and who made the change, and links to the
scope's claims; it holds no figures (DESIGN: amounts reach a person only through the visibility rules).
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse

from common.links import absolute_url
from common.types import AnyUser
from outbox.services import email_enqueue
from stakeholders.models import Group, Ownership, Stakeholder


def _answering_teams(ownership: Ownership) -> set[int]:
    """The owning team and its business unit, or the teams (and units) of the owning person."""
    person = ownership.owner_stakeholder
    teams = [ownership.owner_team] if ownership.owner_team else list(person.teams.all()) if person else []
    return {pk for team in teams for pk in (team.pk, team.parent_id) if pk is not None}


def owner_leads(ownership: Ownership) -> list[Stakeholder]:
    """The active technology leads who answer for a claim's owner."""
    leads = Stakeholder.objects.filter(
        active=True, group=Group.TECHNOLOGY, teams__in=_answering_teams(ownership)
    ).distinct()
    return list(leads.order_by("email"))


def primary_taken(*, demoted: Ownership, ownership: Ownership, actor: AnyUser | None) -> int:
    """Queue the e-mail to the leads of `demoted`'s owner, now that `ownership` is primary; the actor is
    not told of their own change. Returns the number of deliveries queued (0 or 1)."""
    acting = getattr(actor, "pk", None)
    leads = [lead for lead in owner_leads(demoted) if acting is None or lead.user_id != acting]
    to = sorted({lead.email for lead in leads if lead.email})
    if not to:
        return 0
    context = {
        "scope": ownership.scope_label,
        "owner": ownership.owner,
        "previous": demoted.owner,
        "actor": getattr(getattr(actor, "stakeholder", None), "name", None) or getattr(actor, "username", ""),
        "url": absolute_url(reverse("ownership-edit", args=[demoted.pk])),
    }
    email_enqueue(
        kind="ownership_primary_changed",
        to=to,
        subject=f"{ownership.scope_label} now has another primary owner",
        text=render_to_string("stakeholders/email/ownership_primary_changed.txt", context),
        reference=f"ownership:{demoted.pk}",
    )
    return 1
