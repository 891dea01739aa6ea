"""The procedure's state machine: assign, explain, accept, send back, close, reassign, escalate, comment.
Every step is atomic, audited and recorded as a transition."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from audit.recording import acting_as_actor, update_audited
from common.types import User
from costdata import permissions
from costdata.variances.models import Explanation, Variance, VarianceTransition
from costdata.variances.rules import (
    ScopeKey,
    ScopeType,
)
from costdata.variances.services.base import Action, Status, TransitionRefused
from costdata.variances.services.notifications import _notify_on_commit
from costdata.variances.services.routing import _deadline_start, _due_at, route_scope, technology_leads
from stakeholders.models import Group, Stakeholder, Team
from stakeholders.selectors import stakeholder_for_user


def _transition(
    variance: Variance,
    action: str,
    *,
    actor: User | None,
    from_status: str,
    comment: str = "",
    at: datetime | None = None,
) -> VarianceTransition:
    return VarianceTransition.objects.create(
        variance=variance,
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        at=at or timezone.now(),
        from_status=from_status,
        to_status=variance.status,
        comment=comment,
    )


def _save(variance: Variance, *names: str) -> None:
    variance.updated_at = timezone.now()
    variance.save(update_fields=[*names, "updated_at"])


@transaction.atomic
def variance_assign(*, variance: Variance, now: datetime | None = None) -> Variance:
    """open -> assigned to the scope's owner with a due date; the assignee is told by email."""
    now = now or timezone.now()
    if variance.status != Status.OPEN:
        raise TransitionRefused(
            f"Only an open variance is assigned; this one is {variance.get_status_display().lower()}."
        )
    route = route_scope(ScopeKey(ScopeType(variance.scope_type), variance.scope_value))
    variance.owner_team, variance.assignee, variance.routing_reason = route.team, route.assignee, route.reason
    variance.status, variance.due_at = Status.ASSIGNED, _due_at(now)
    _save(variance, "owner_team", "assignee", "routing_reason", "status", "due_at")
    who = route.team.name if route.team else (route.assignee.name if route.assignee else "nobody")
    _transition(
        variance,
        Action.ASSIGN,
        actor=None,
        from_status=Status.OPEN,
        comment=f"To {who}: {route.reason}",
        at=now,
    )
    _notify_on_commit(variance, "assigned")
    return variance


def _refuse(variance: Variance, allowed: Iterable[str], step: str) -> None:
    if variance.status not in allowed:
        names = " or ".join(Status(s).label.lower() for s in allowed)
        raise TransitionRefused(
            {
                "status": f"A variance is {step} only when {names}; this one is {variance.get_status_display().lower()}."
            }
        )


def _locked(variance: Variance) -> Variance:
    return Variance.objects.select_for_update().get(pk=variance.pk)


# An explanation's planned action becomes an action item of the programme. Meetings own action items and
# sit above costdata, so they register the function that makes one (MeetingsConfig.ready).
class ActionItemMaker(Protocol):
    def __call__(
        self,
        *,
        explanation: Explanation,
        title: str,
        owner: Stakeholder | None,
        due_on: date | None,
        description: str,
        created_by: User,
    ) -> Any: ...


_action_item_makers: list[ActionItemMaker] = []


def register_action_item_maker(maker: ActionItemMaker) -> None:
    _action_item_makers[:] = [maker]


def _action_item_maker() -> ActionItemMaker:
    if not _action_item_makers:
        raise ImproperlyConfigured("No action item maker is registered (the meetings app is not installed).")
    return _action_item_makers[0]


@acting_as_actor
@transaction.atomic
def variance_explain(
    *,
    variance: Variance,
    actor: User,
    category: str,
    narrative: str,
    expected_duration: str,
    planned_action: str = "",
    action_item_title: str = "",
    action_item_due_on: date | None = None,
) -> Explanation:
    """assigned -> explained. An optional action item is created for the author (meetings)."""
    variance = _locked(variance)
    if not permissions.may_explain_variance(actor, variance):
        raise PermissionDenied("Only engineers and leads of the owning team explain this variance.")
    _refuse(variance, [Status.ASSIGNED], "explained")
    errors = {}
    if category not in Explanation.Category.values:
        errors["category"] = f"Choose one of: {', '.join(Explanation.Category.values)}."
    if not narrative.strip():
        errors["narrative"] = "Say what happened and why."
    if expected_duration not in Explanation.Duration.values:
        errors["expected_duration"] = f"Choose one of: {', '.join(Explanation.Duration.values)}."
    if action_item_title.strip() and stakeholder_for_user(actor) is None:
        errors["action_item_title"] = "Only a stakeholder can own an action item; link your account first."
    if errors:
        raise ValidationError(errors)
    explanation = Explanation.objects.create(
        variance=variance,
        author=actor,
        category=category,
        narrative=narrative.strip(),
        expected_duration=expected_duration,
        planned_action=planned_action.strip(),
    )
    if action_item_title.strip():
        item = _action_item_maker()(
            explanation=explanation,
            title=action_item_title.strip(),
            owner=stakeholder_for_user(actor),
            due_on=action_item_due_on,
            # The item refers to the explanation; its planned action is shown per viewer, never copied.
            description="",
            created_by=actor,
        )
        # What selectors annotate on a read (explanation_follow_ups), known here without one.
        explanation.action_item_id, explanation.action_item_title = item.pk, item.title
    variance.status = Status.EXPLAINED
    _save(variance, "status")
    _transition(
        variance,
        Action.EXPLAIN,
        actor=actor,
        from_status=Status.ASSIGNED,
        comment=explanation.get_category_display(),
    )
    return explanation


def _pending_explanation(variance: Variance) -> Explanation:
    explanation = (
        variance.explanations.filter(outcome=Explanation.Outcome.PENDING)
        .order_by("-created_at", "-pk")
        .first()
    )
    if explanation is None:  # pragma: no cover - an explained variance always has one
        raise TransitionRefused("This variance has no explanation awaiting review.")
    return explanation


@acting_as_actor
@transaction.atomic
def variance_accept(*, variance: Variance, actor: User, comment: str = "") -> Variance:
    """explained -> accepted, by finance; never by the explanation's author."""
    variance = _locked(variance)
    if not permissions.may_review_variances(actor):
        raise PermissionDenied("Only finance accepts explanations.")
    _refuse(variance, [Status.EXPLAINED], "accepted")
    explanation = _pending_explanation(variance)
    _refuse_own(explanation, actor, "accept it")
    explanation.outcome = Explanation.Outcome.ACCEPTED
    explanation.reviewed_by, explanation.reviewed_at, explanation.review_comment = (
        actor,
        timezone.now(),
        comment.strip(),
    )
    explanation.save(update_fields=["outcome", "reviewed_by", "reviewed_at", "review_comment"])
    variance.status = Status.ACCEPTED
    _save(variance, "status")
    _transition(variance, Action.ACCEPT, actor=actor, from_status=Status.EXPLAINED, comment=comment.strip())
    return variance


@acting_as_actor
@transaction.atomic
def variance_send_back(*, variance: Variance, actor: User, comment: str) -> Variance:
    """explained -> assigned again with a new due date and finance's question; the assignee is told."""
    variance = _locked(variance)
    if not permissions.may_review_variances(actor):
        raise PermissionDenied("Only finance sends explanations back.")
    _refuse(variance, [Status.EXPLAINED], "sent back")
    if not comment.strip():
        raise ValidationError({"comment": "Say what the explanation is missing."})
    explanation = _pending_explanation(variance)
    _refuse_own(explanation, actor, "send it back")
    explanation.outcome = Explanation.Outcome.SENT_BACK
    explanation.reviewed_by, explanation.reviewed_at, explanation.review_comment = (
        actor,
        timezone.now(),
        comment.strip(),
    )
    explanation.save(update_fields=["outcome", "reviewed_by", "reviewed_at", "review_comment"])
    variance.status, variance.due_at, variance.escalated_at, variance.escalated_to = (
        Status.ASSIGNED,
        _due_at(timezone.now()),
        None,
        None,
    )
    _save(variance, "status", "due_at", "escalated_at", "escalated_to")
    _transition(
        variance, Action.SEND_BACK, actor=actor, from_status=Status.EXPLAINED, comment=comment.strip()
    )
    _notify_on_commit(variance, "sent_back")
    return variance


@acting_as_actor
@transaction.atomic
def variance_close(*, variance: Variance, actor: User, comment: str = "") -> Variance:
    """accepted -> closed, by finance: nothing more to follow up."""
    variance = _locked(variance)
    if not permissions.may_review_variances(actor):
        raise PermissionDenied("Only finance closes variances.")
    _refuse(variance, [Status.ACCEPTED], "closed")
    accepted = (
        variance.explanations.filter(outcome=Explanation.Outcome.ACCEPTED).order_by("-created_at").first()
    )
    if accepted is not None:
        _refuse_own(accepted, actor, "close the variance")
    variance.status = Status.CLOSED
    _save(variance, "status")
    _transition(variance, Action.CLOSE, actor=actor, from_status=Status.ACCEPTED, comment=comment.strip())
    return variance


def _refuse_own(explanation: Explanation, actor: User, step: str) -> None:
    """Separation of duties: whoever wrote an explanation never reviews it (accept, send back, close)."""
    if explanation.author_id is not None and explanation.author_id == actor.pk:
        raise TransitionRefused(
            {"actor": f"You wrote this explanation: somebody else in finance must {step}."}
        )


def _check_assignee(assignee: Stakeholder, team: Team | None) -> None:
    """A variance goes only to an active engineer or technology lead of the team that will own it."""
    if not assignee.active:
        raise ValidationError({"assignee": f"{assignee.name} is no longer active."})
    if assignee.group not in (Group.ENGINEERING, Group.TECHNOLOGY):
        raise ValidationError({"assignee": f"{assignee.name} is not an engineer or a technology lead."})
    if team is None or not assignee.teams.filter(pk=team.pk).exists():
        where = team.name if team is not None else "the owning team"
        raise ValidationError({"assignee": f"{assignee.name} is not a member of {where}."})


@acting_as_actor
@transaction.atomic
def variance_reassign(
    *,
    variance: Variance,
    actor: User,
    team: Team | None = None,
    assignee: Stakeholder | None = None,
    comment: str = "",
) -> Variance:
    """Hand an unexplained variance to another team or person; a new due date runs from now."""
    variance = _locked(variance)
    if not permissions.may_reassign_variance(actor, variance):
        raise PermissionDenied("Only technology leads of the owning team reassign this variance.")
    _refuse(variance, [Status.OPEN, Status.ASSIGNED], "reassigned")
    if team is None and assignee is None:
        raise ValidationError({"assignee": "Choose a team or a person to hand the variance to."})
    if assignee is not None:
        _check_assignee(assignee, team or variance.owner_team)
    previous = variance.status
    if team is not None:
        variance.owner_team = team
    variance.assignee = assignee
    variance.status, variance.due_at, variance.escalated_at, variance.escalated_to = (
        Status.ASSIGNED,
        _due_at(timezone.now()),
        None,
        None,
    )
    who = ", ".join(x for x in (team.name if team else "", assignee.name if assignee else "") if x)
    variance.routing_reason = f"reassigned to {who}"
    _save(
        variance,
        "owner_team",
        "assignee",
        "status",
        "due_at",
        "escalated_at",
        "escalated_to",
        "routing_reason",
    )
    text = f"To {who}" + (f": {comment.strip()}" if comment.strip() else "")
    _transition(variance, Action.REASSIGN, actor=actor, from_status=previous, comment=text)
    _notify_on_commit(variance, "assigned")
    return variance


def variances_escalate_overdue(*, now: datetime | None = None) -> list[int]:
    """Every assigned variance past its due date and not yet escalated goes to the team's technology
    lead (its business unit's, else the organisation's). Each is claimed by a conditional update, so
    two workers never escalate the same variance twice."""
    now = now or timezone.now()
    escalated = []
    candidates = Variance.objects.filter(status=Status.ASSIGNED, due_at__lte=now, escalated_at__isnull=True)
    for variance_id in candidates.values_list("pk", flat=True):
        # A holiday entered after the due date was set moves the deadline on (never earlier: removing
        # a holiday does not take days away from an owner).
        started = _deadline_start(variance_id)
        deadline = _due_at(started) if started is not None else None
        if deadline is not None and deadline > now:
            Variance.objects.filter(pk=variance_id, status=Status.ASSIGNED, due_at__lt=deadline).update(
                due_at=deadline, updated_at=now
            )
            continue
        with transaction.atomic():
            claimed = update_audited(
                Variance.objects.filter(pk=variance_id, status=Status.ASSIGNED, escalated_at__isnull=True),
                escalated_at=now,
                updated_at=now,
            )
            if claimed != 1:
                continue
            variance = Variance.objects.select_related("owner_team", "owner_team__parent").get(pk=variance_id)
            leads = [p for p in technology_leads(variance.owner_team) if p.pk != variance.assignee_id]
            leads = leads or technology_leads(None)
            variance.escalated_to = leads[0] if leads else None
            variance.save(update_fields=["escalated_to"])
            to = variance.escalated_to.name if variance.escalated_to else "nobody (no technology lead)"
            _transition(
                variance,
                Action.ESCALATE,
                actor=None,
                from_status=Status.ASSIGNED,
                comment=f"Due by the end of {variance.due_day:%d %b %Y}; escalated to {to}",
                at=now,
            )
            _notify_on_commit(variance, "escalated")
        escalated.append(variance_id)
    return escalated


@acting_as_actor
@transaction.atomic
def variance_comment(*, variance: Variance, actor: User, comment: str) -> VarianceTransition:
    """A remark on the variance's timeline (its status stays): finance, leads, admins, and the owner of
    the business unit it belongs to."""
    if not permissions.may_comment_on_variance(actor, variance):
        raise PermissionDenied("Only finance, technology leads and the business unit's owner comment here.")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "Write the comment."})
    if len(comment) > 4000:
        raise ValidationError({"comment": "At most 4000 characters."})
    return _transition(variance, Action.COMMENT, actor=actor, from_status=variance.status, comment=comment)
