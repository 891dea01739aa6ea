"""Writes about people, teams, ownership and third-party engagements.

Every service validates the whole change before touching the database (a ValidationError naming the
field, nothing saved) and runs in one transaction. The audit trail (django-auditlog, see
audit/recording.py) records every row written, including the bulk ones; `@acting_as_actor` names the
`actor` argument as the one who made the change when the caller passes one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction

from audit.recording import acting_as_actor, log_bulk_created, update_audited
from common.types import AnyUser
from common.updates import apply_changes
from stakeholders import access, ownership_notices, permissions
from stakeholders import roi as roi_rules
from stakeholders.models import (
    AttributedSaving,
    Engagement,
    EngagementScope,
    Group,
    Ownership,
    Stakeholder,
    Team,
)

Actor = AnyUser | None

STAKEHOLDER_FIELDS = ("name", "email", "title", "group", "role", "user", "active")
# What a person's login may do: changed by admins only, and the change ends the login's sessions.
ACCESS_FIELDS = ("group", "role", "user")
TEAM_FIELDS = ("name", "kind", "parent", "description")
ENGAGEMENT_FIELDS = (
    "party",
    "name",
    "model",
    "fee",
    "savings_share",
    "currency",
    "period",
    "starts_on",
    "ends_on",
    "description",
    "active",
)


# --- stakeholders -------------------------------------------------------------------------------


@acting_as_actor
@transaction.atomic
def stakeholder_create(
    *,
    name: str,
    email: str,
    group: str,
    role: str,
    title: str = "",
    user: Any = None,
    active: bool = True,
    teams: Iterable[Team] = (),
    actor: Actor = None,
) -> Stakeholder:
    if user is not None and actor is not None and not permissions.can_change_access(actor):
        raise PermissionDenied("Only an admin links a login to a person.")
    stakeholder = Stakeholder(
        name=name, email=email.strip().lower(), title=title, group=group, role=role, user=user, active=active
    )
    stakeholder.full_clean()
    stakeholder.save()
    stakeholder.teams.set(list(teams))
    return stakeholder


@acting_as_actor
@transaction.atomic
def stakeholder_update(
    *, stakeholder: Stakeholder, teams: Iterable[Team] | None = None, actor: Actor = None, **values: Any
) -> Stakeholder:
    """Change a person. Their group, role or linked login only by an admin (`actor`); such a change ends
    the sessions and tokens of the logins linked before and after, and a new group or a deactivation
    tells the apps to end what they issued to the person (access.access_narrowed)."""
    if "email" in values:
        values["email"] = values["email"].strip().lower()
    access_changes = [f for f in ACCESS_FIELDS if f in values and getattr(stakeholder, f) != values[f]]
    if access_changes and actor is not None and not permissions.can_change_access(actor):
        raise PermissionDenied("Only an admin changes a person's group, role or login.")
    user_id, was_active = stakeholder.user_id, stakeholder.active
    changes = apply_changes(instance=stakeholder, changes=values, fields=STAKEHOLDER_FIELDS)
    if changes:
        stakeholder.full_clean()
        stakeholder.save(update_fields=list(changes))
        _after_access_change(stakeholder, changed=access_changes, user_id=user_id, was_active=was_active)
    if teams is not None:
        # set() adds and removes only the difference; the audit trail records each as a members change.
        stakeholder.teams.set(list(teams))
    return stakeholder


@acting_as_actor
@transaction.atomic
def stakeholder_set_active(*, stakeholder: Stakeholder, active: bool, actor: Actor = None) -> Stakeholder:
    """Deactivate (or bring back) a person. Their claims and history stay; they leave the lists."""
    if stakeholder.active == active:
        return stakeholder
    stakeholder.active = active
    stakeholder.save(update_fields=["active"])
    if not active:
        access.access_narrowed(stakeholder=stakeholder)
    return stakeholder


def _after_access_change(
    stakeholder: Stakeholder, *, changed: list[str], user_id: int | None, was_active: bool
) -> None:
    """What a saved change to a person's access ends (see stakeholder_update). A new role within the
    same group gives the same rights: it ends the sessions (the person signs in again) but keeps tokens."""
    users = {pk for pk in (user_id, stakeholder.user_id) if pk is not None}
    if changed:
        access.sessions_end(user_ids=users)
    if "group" in changed or "user" in changed:
        access.tokens_revoke(user_ids=users)
    if "group" in changed or (was_active and not stakeholder.active):
        access.access_narrowed(stakeholder=stakeholder)


# --- teams --------------------------------------------------------------------------------------


def _check_team_parent(team: Team) -> None:
    parent = team.parent
    if parent is None:
        return
    if team.pk and parent.pk == team.pk:
        raise ValidationError({"parent": "A team cannot be its own parent."})
    if parent.kind != Team.Kind.BUSINESS_UNIT:
        raise ValidationError({"parent": f"{parent.name} is a team, not a business unit."})
    if team.kind == Team.Kind.BUSINESS_UNIT:
        raise ValidationError({"parent": "A business unit does not belong to another business unit."})


@acting_as_actor
@transaction.atomic
def team_create(
    *,
    name: str,
    kind: str = Team.Kind.TEAM,
    parent: Team | None = None,
    description: str = "",
    members: Iterable[Stakeholder] = (),
    actor: Actor = None,
) -> Team:
    team = Team(name=name.strip(), kind=kind, parent=parent, description=description)
    team.full_clean()
    _check_team_parent(team)
    team.save()
    team.members.set(list(members))
    return team


@acting_as_actor
@transaction.atomic
def team_update(
    *, team: Team, members: Iterable[Stakeholder] | None = None, actor: Actor = None, **values: Any
) -> Team:
    if "name" in values:
        values["name"] = values["name"].strip()
    changes = apply_changes(instance=team, changes=values, fields=TEAM_FIELDS)
    if changes:
        team.full_clean()
        _check_team_parent(team)
        if "kind" in changes and team.kind == Team.Kind.TEAM and team.children.exists():
            raise ValidationError({"kind": "Teams belong to this business unit; move them first."})
        team.save(update_fields=list(changes))
    if members is not None:
        team.members.set(list(members))
    return team


@acting_as_actor
@transaction.atomic
def team_delete(*, team: Team, actor: Actor = None) -> None:
    if team.children.exists():
        raise ValidationError({"team": f"Teams belong to {team.name}; move or delete them first."})
    team.delete()


# --- ownership ----------------------------------------------------------------------------------


def _same_scope(ownership: Ownership) -> models.QuerySet[Ownership]:
    return Ownership.objects.filter(
        scope_kind=ownership.scope_kind, scope_key=ownership.scope_key, scope_value=ownership.scope_value
    ).exclude(pk=ownership.pk)


def _owner_errors(team: Team | None, stakeholder: Stakeholder | None) -> None:
    if (team is None) == (stakeholder is None):
        raise ValidationError({"owner": "Choose exactly one owner: a team or a stakeholder."})


@acting_as_actor
@transaction.atomic
def ownership_create(
    *,
    scope_kind: str,
    scope_value: str,
    scope_key: str = "",
    owner_team: Team | None = None,
    owner_stakeholder: Stakeholder | None = None,
    is_primary: bool | None = None,
    note: str = "",
    actor: Actor = None,
) -> Ownership:
    """Claim a scope for an owner.

    The first claim on a scope is its primary owner whatever `is_primary` says (a claimed scope always
    has one). Asking for primary on a scope that already has one is refused: use
    ownership_make_primary to hand it over. An `actor` must be allowed to claim for this owner and on
    this scope (permissions.can_claim_scope: a technology lead only on a scope nobody claims or whose
    primary claim is their teams'), checked against the claims as locked here.
    """
    _owner_errors(owner_team, owner_stakeholder)
    ownership = Ownership(
        scope_kind=scope_kind,
        scope_key=scope_key.strip() if scope_kind != "account" else scope_key,
        scope_value=scope_value.strip() if scope_kind != "account" else scope_value,
        owner_team=owner_team,
        owner_stakeholder=owner_stakeholder,
        note=note,
    )
    ownership.is_primary = False
    ownership.full_clean()  # field formats (12-digit account id), duplicate claims
    others = _same_scope(ownership).select_for_update()
    current = next((o for o in others if o.is_primary), None)
    if actor is not None and not (
        permissions.can_manage_claim(actor, ownership) and permissions.can_claim_scope(actor, primary=current)
    ):
        raise PermissionDenied(f"{ownership.scope_label} belongs to another team; ask finance or an admin.")
    if current is None:
        ownership.is_primary = True
    elif is_primary:
        raise ValidationError(
            {
                "is_primary": f"{ownership.scope_label} already has a primary owner ({current.owner}); "
                "make this claim primary from that owner's claim instead of adding a second primary."
            }
        )
    ownership.save()
    return ownership


@acting_as_actor
@transaction.atomic
def ownership_update(*, ownership: Ownership, note: str, actor: Actor = None) -> Ownership:
    """Only the note is edited in place: a different scope or owner is a different claim."""
    if ownership.note != note:
        ownership.note = note
        ownership.full_clean()
        ownership.save(update_fields=["note"])
    return ownership


@acting_as_actor
@transaction.atomic
def ownership_make_primary(*, ownership: Ownership, actor: Actor = None) -> Ownership:
    """Hand a scope's primary ownership to this claim; the previous primary stays as a secondary claim.

    An `actor` must manage this claim and be allowed to take the scope from its primary owner
    (permissions.can_claim_scope); the previous owner's technology leads are told by e-mail.
    """
    ownership = Ownership.objects.select_for_update().get(pk=ownership.pk)
    if ownership.is_primary:
        return ownership
    previous = list(_same_scope(ownership).select_for_update().filter(is_primary=True))
    if actor is not None and not (
        permissions.can_manage_claim(actor, ownership)
        and all(permissions.can_claim_scope(actor, primary=p) for p in previous)
    ):
        raise PermissionDenied(
            f"Another team owns {ownership.scope_label}; finance or an admin hands it over."
        )
    # Demote first: the one-primary-per-scope constraint is checked per statement.
    update_audited(Ownership.objects.filter(pk__in=[o.pk for o in previous]), is_primary=False)
    ownership.is_primary = True
    ownership.save(update_fields=["is_primary"])
    for demoted in previous:
        ownership_notices.primary_taken(demoted=demoted, ownership=ownership, actor=actor)
    return ownership


@acting_as_actor
@transaction.atomic
def ownership_delete(*, ownership: Ownership, actor: Actor = None) -> None:
    """Drop a claim. The primary claim of a scope others still claim cannot go until one of them is primary."""
    ownership = Ownership.objects.select_for_update().get(pk=ownership.pk)
    others = list(_same_scope(ownership).select_for_update())
    if ownership.is_primary and others:
        names = ", ".join(str(o.owner) for o in others)
        raise ValidationError(
            {
                "is_primary": f"{ownership.owner} is the primary owner of {ownership.scope_label}; "
                f"make another claim primary first ({names})."
            }
        )
    ownership.delete()


# --- third-party engagements --------------------------------------------------------------------


def _check_engagement(engagement: Engagement) -> None:
    errors: dict[str, str] = {}
    if engagement.party_id and engagement.party.group != Group.THIRD_PARTY:
        errors["party"] = (
            f"{engagement.party.name} is not a third party (group: {engagement.party.get_group_display()})."
        )
    if engagement.model == Engagement.Model.SHARE_OF_SAVINGS:
        if engagement.savings_share is None or engagement.savings_share <= 0:
            errors["savings_share"] = "A share-of-savings engagement needs the share paid, e.g. 0.25 for 25%."
    elif engagement.savings_share is not None:
        errors["savings_share"] = "Only a share-of-savings engagement has a savings share."
    elif engagement.fee is not None and engagement.fee <= 0:
        errors["fee"] = f"A {engagement.get_model_display().lower()} engagement has a fee above zero."
    if engagement.currency and (len(engagement.currency) != 3 or not engagement.currency.isalpha()):
        errors["currency"] = "Use a three-letter ISO 4217 currency code, e.g. USD."
    if errors:
        raise ValidationError(errors)


def _set_engagement_scopes(engagement: Engagement, scope_list: Iterable[dict[str, str]]) -> list[str]:
    wanted = []
    for index, data in enumerate(scope_list):
        scope = EngagementScope(
            engagement=engagement,
            scope_kind=data.get("scope_kind", ""),
            scope_key=data.get("scope_key", ""),
            scope_value=data.get("scope_value", ""),
        )
        try:
            scope.full_clean(exclude=["engagement"], validate_constraints=False)
        except ValidationError as error:
            raise ValidationError(
                {f"scopes[{index}].{field}": messages for field, messages in error.message_dict.items()}
            ) from error
        wanted.append(scope)
    keys = {s.scope for s in wanted}
    if len(keys) != len(wanted):
        raise ValidationError({"scopes": "The same scope is listed twice."})
    existing = {s.scope: s for s in engagement.scopes.all()}
    if set(existing) == keys:
        return []
    engagement.scopes.exclude(pk__in=[s.pk for k, s in existing.items() if k in keys]).delete()
    log_bulk_created(EngagementScope.objects.bulk_create([s for s in wanted if s.scope not in existing]))
    return sorted(str(k) for k in keys)


@acting_as_actor
@transaction.atomic
def engagement_create(
    *,
    party: Stakeholder,
    name: str,
    model: str,
    fee: Decimal,
    currency: str,
    period: str,
    starts_on: date,
    ends_on: date | None = None,
    savings_share: Decimal | None = None,
    description: str = "",
    active: bool = True,
    scopes: Iterable[dict[str, str]] = (),
    actor: Actor = None,
) -> Engagement:
    engagement = Engagement(
        party=party,
        name=name,
        model=model,
        fee=fee,
        savings_share=savings_share,
        currency=(currency or "").upper(),
        period=period,
        starts_on=starts_on,
        ends_on=ends_on,
        description=description,
        active=active,
    )
    engagement.full_clean()
    _check_engagement(engagement)
    engagement.save()
    _set_engagement_scopes(engagement, scopes)
    return engagement


@acting_as_actor
@transaction.atomic
def engagement_update(
    *,
    engagement: Engagement,
    scopes: Iterable[dict[str, str]] | None = None,
    actor: Actor = None,
    **values: Any,
) -> Engagement:
    if "currency" in values:
        values["currency"] = (values["currency"] or "").upper()
    period_before = engagement.period
    changes = apply_changes(instance=engagement, changes=values, fields=ENGAGEMENT_FIELDS)
    if changes:
        engagement.full_clean()
        _check_engagement(engagement)
        if engagement.period != period_before:
            for saving in engagement.savings.all():
                if message := roi_rules.period_start_error(saving.period_start, engagement.period):
                    raise ValidationError({"period": f"Recorded savings do not fit: {message}"})
        engagement.save(update_fields=list(changes))
    if scopes is not None:
        _set_engagement_scopes(engagement, scopes)
    return engagement


@acting_as_actor
@transaction.atomic
def saving_record(
    *, engagement: Engagement, period_start: date, amount: Decimal, note: str = "", actor: Actor = None
) -> AttributedSaving:
    """Attribute savings to an engagement for one period; recording a period again replaces its figure."""
    if message := roi_rules.period_start_error(period_start, engagement.period):
        raise ValidationError({"period_start": message})
    if roi_rules.period_end(period_start, engagement.period) <= engagement.starts_on:
        raise ValidationError(
            {
                "period_start": f"The engagement starts on {engagement.starts_on.isoformat()}; this period is before it."
            }
        )
    if engagement.ends_on and period_start >= engagement.ends_on:
        raise ValidationError(
            {
                "period_start": f"The engagement ended on {engagement.ends_on.isoformat()}; this period is after it."
            }
        )
    saving = (
        AttributedSaving.objects.select_for_update()
        .filter(engagement=engagement, period_start=period_start)
        .first()
    )
    if saving is None:
        saving = AttributedSaving(engagement=engagement, period_start=period_start, amount=amount, note=note)
        saving.full_clean()
        saving.save()
    else:
        saving.amount, saving.note = amount, note
        saving.full_clean()
        saving.save(update_fields=["amount", "note"])
    return saving


@acting_as_actor
@transaction.atomic
def saving_delete(*, saving: AttributedSaving, actor: Actor = None) -> None:
    saving.delete()
