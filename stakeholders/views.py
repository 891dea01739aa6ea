"""Pages for people, teams, ownership, engagements and readiness. Thin: validate, call, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from stakeholders import known_accounts, permissions, scopes, sections, selectors, services
from stakeholders.filters import OwnershipFilter, StakeholderFilter, TeamFilter
from stakeholders.forms import (
    EngagementForm,
    OwnerLookupForm,
    OwnershipForm,
    OwnershipNoteForm,
    SavingForm,
    StakeholderForm,
    TeamForm,
    add_service_errors,
)
from stakeholders.models import AttributedSaving, Engagement, Group, Ownership, Stakeholder, Team
from stakeholders.permissions import (
    can_edit_people,
    edit_required,
    engagement_edit_required,
    engagement_read_required,
    ownership_required,
    read_required,
    readiness_required,
)


def _safe_next(request: HttpRequest) -> str:
    """The `next` the request names when it stays on this site, else ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else ""


def _next_or(request: HttpRequest, default: str) -> HttpResponseRedirect:
    return redirect(_safe_next(request) or default)


def _render(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    context.setdefault("can_edit", can_edit_people(request.user))
    context.setdefault("can_claim", permissions.can_manage_ownership(request.user))
    return render(request, f"stakeholders/{template}", context)


def _with_owners_teams(claims: QuerySet[Ownership]) -> QuerySet[Ownership]:
    """Claims for the ownership table, which shows "Manage" per claim by permissions.can_manage_claim:
    a claim held by a person is manageable through that person's teams, read here in one query."""
    return claims.prefetch_related("owner_stakeholder__teams")


# --- people -------------------------------------------------------------------------------------


@login_required
@read_required
def stakeholder_index(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    params.setdefault("active", "true")
    people_filter = StakeholderFilter(params, queryset=selectors.stakeholder_list(active_only=False))
    people = list(people_filter.qs) if people_filter.is_valid() else []
    counts = {value: 0 for value in Group.values}
    for person in people:
        counts[person.group] += 1
    summary = [(label, value, counts[value]) for value, label in Group.choices]
    return _render(
        request,
        "stakeholder_list.html",
        {"filter": people_filter, "people": people, "summary": summary, "filtered": bool(request.GET)},
    )


@login_required
@edit_required
def stakeholder_create(request: HttpRequest) -> HttpResponse:
    form = StakeholderForm(request.POST or None, initial={"group": request.GET.get("group", "")})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            person = services.stakeholder_create(actor=request.user, **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Added {person.name}.")
            return redirect("stakeholder-detail", pk=person.pk)
    return _render(request, "stakeholder_form.html", {"form": form, "person": None})


@login_required
@edit_required
def stakeholder_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Stakeholder, pk=pk)
    may_change_access = permissions.can_change_access(request.user)
    form = StakeholderForm(request.POST or None, instance=person, may_change_access=may_change_access)
    if request.method == "POST" and form.is_valid():
        try:
            services.stakeholder_update(stakeholder=person, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            person.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, f"Saved {person.name}.")
            return redirect("stakeholder-detail", pk=person.pk)
    return _render(request, "stakeholder_form.html", {"form": form, "person": person})


@login_required
@edit_required
@require_POST
def stakeholder_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Stakeholder, pk=pk)
    active = request.POST.get("active") == "true"
    services.stakeholder_set_active(stakeholder=person, active=active, actor=request.user)
    messages.success(request, f"{person.name} is {'active again' if active else 'deactivated'}.")
    return redirect("stakeholder-detail", pk=person.pk)


@login_required
def stakeholder_me(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own page, or the list when they have no stakeholder record."""
    me = selectors.stakeholder_for_user(request.user)
    if me is None:
        messages.info(request, "Your login is not linked to a person in the programme yet.")
        return redirect("stakeholder-list" if permissions.can_read(request.user) else "account")
    return redirect("stakeholder-detail", pk=me.pk)


@login_required
def stakeholder_detail(request: HttpRequest, pk: int) -> HttpResponse:
    stakeholder = get_object_or_404(
        permissions.visible_stakeholders(request.user, selectors.stakeholder_list(active_only=False)), pk=pk
    )
    context = {
        "stakeholder": stakeholder,
        "ownerships": _with_owners_teams(selectors.stakeholder_ownerships(stakeholder)),
        "engagements": [
            (engagement, selectors.engagement_return(engagement))
            for engagement in permissions.visible_engagements(
                request.user, selectors.engagement_list()
            ).filter(party=stakeholder)
        ],
        "audit": selectors.audit_for(stakeholder),
        "sections": sections.sections_for(stakeholder, request),
    }
    return _render(request, "stakeholder_detail.html", context)


# --- teams --------------------------------------------------------------------------------------


@login_required
@read_required
def team_index(request: HttpRequest) -> HttpResponse:
    team_filter = TeamFilter(request.GET, queryset=selectors.team_list())
    return _render(request, "team_list.html", {"filter": team_filter, "teams": team_filter.qs})


@login_required
@edit_required
def team_create(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Added {team.name}.")
            return redirect("team-detail", pk=team.pk)
    return _render(request, "team_form.html", {"form": form, "team": None})


@login_required
@edit_required
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk)
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        try:
            services.team_update(team=team, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            team.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, f"Saved {team.name}.")
            return redirect("team-detail", pk=team.pk)
    return _render(request, "team_form.html", {"form": form, "team": team})


@login_required
@edit_required
@require_POST
def team_delete(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk)
    try:
        services.team_delete(team=team, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("team-detail", pk=pk)
    messages.success(request, f"Deleted {team.name}.")
    return redirect("team-list")


@login_required
@read_required
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(selectors.team_list(), pk=pk)
    context = {
        "team": team,
        "ownerships": _with_owners_teams(selectors.team_ownerships(team)),
        "children": team.children.order_by("name"),
        "audit": selectors.audit_for(team),
    }
    return _render(request, "team_detail.html", context)


# --- ownership ----------------------------------------------------------------------------------


def _require_claim(request: HttpRequest, ownership: Ownership) -> None:
    if not permissions.can_manage_claim(request.user, ownership):
        raise PermissionDenied("Technology leads manage the ownership of their own teams only.")


@login_required
@read_required
def ownership_index(request: HttpRequest) -> HttpResponse:
    ownership_filter = OwnershipFilter(request.GET, queryset=_with_owners_teams(selectors.ownership_list()))
    page = Paginator(ownership_filter.qs, 100).get_page(request.GET.get("page"))
    lookup = OwnerLookupForm(request.GET if "account_id" in request.GET else None)
    match = None
    if lookup.is_bound and lookup.is_valid():
        match = selectors.cost_owner_for(**lookup.cleaned_data)
    return _render(
        request,
        "ownership_list.html",
        {"filter": ownership_filter, "page": page, "lookup": lookup, "match": match},
    )


@login_required
@ownership_required
def ownership_create(request: HttpRequest) -> HttpResponse:
    initial = {
        k: request.GET[k]
        for k in ("owner_team", "owner_stakeholder", "scope_kind", "scope_key", "scope_value")
        if k in request.GET
    }
    form = OwnershipForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not permissions.can_manage_ownership(
            request.user, team=data.get("owner_team"), stakeholder=data.get("owner_stakeholder")
        ):
            raise PermissionDenied("Technology leads manage the ownership of their own teams only.")
        try:
            ownership = services.ownership_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        except IntegrityError:
            # Two people claimed the same scope at the same moment; the database kept one primary.
            form.add_error(
                None, "Someone else claimed this scope just now. Look at its claims and try again."
            )
        else:
            primary = " as primary owner" if ownership.is_primary else " (secondary claim)"
            messages.success(request, f"{ownership.owner} now owns {ownership.scope_label}{primary}.")
            owner = ownership.owner
            default = (
                reverse("team-detail", args=[owner.pk])
                if ownership.owner_team_id
                else reverse("stakeholder-detail", args=[owner.pk])
            )
            return _next_or(request, default)
    claims = None
    value = form["scope_value"].value()
    if value:
        claims = _with_owners_teams(
            selectors.scope_claims(
                scope_kind=form["scope_kind"].value() or "",
                scope_key=form["scope_key"].value() or "",
                scope_value=value,
            )
        )
    # The Cancel link and the hidden field carry `next` only when it stays on this site.
    context = {
        "form": form,
        "claims": claims,
        "next": _safe_next(request),
        "list_url": reverse("ownership-list"),
    }
    return _render(request, "ownership_form.html", context)


@login_required
@ownership_required
def ownership_edit(request: HttpRequest, pk: int) -> HttpResponse:
    ownership = get_object_or_404(selectors.ownership_list(), pk=pk)
    _require_claim(request, ownership)
    form = OwnershipNoteForm(request.POST or None, initial={"note": ownership.note})
    if request.method == "POST" and form.is_valid():
        services.ownership_update(ownership=ownership, note=form.cleaned_data["note"], actor=request.user)
        messages.success(request, "Saved the note.")
        return redirect("ownership-edit", pk=pk)
    claims = _with_owners_teams(
        selectors.scope_claims(
            scope_kind=ownership.scope_kind, scope_key=ownership.scope_key, scope_value=ownership.scope_value
        )
    )
    return _render(
        request,
        "ownership_edit.html",
        {"ownership": ownership, "form": form, "claims": claims, "audit": selectors.audit_for(ownership)},
    )


@login_required
@ownership_required
@require_POST
def ownership_make_primary(request: HttpRequest, pk: int) -> HttpResponse:
    ownership = get_object_or_404(Ownership, pk=pk)
    _require_claim(request, ownership)
    ownership = services.ownership_make_primary(ownership=ownership, actor=request.user)
    messages.success(request, f"{ownership.owner} is now the primary owner of {ownership.scope_label}.")
    return _next_or(request, reverse("ownership-edit", args=[pk]))


@login_required
@ownership_required
@require_POST
def ownership_delete(request: HttpRequest, pk: int) -> HttpResponse:
    ownership = get_object_or_404(selectors.ownership_list(), pk=pk)
    _require_claim(request, ownership)
    label, owner = ownership.scope_label, ownership.owner
    try:
        services.ownership_delete(ownership=ownership, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("ownership-edit", pk=pk)
    messages.success(request, f"{owner} no longer claims {label}.")
    return _next_or(request, reverse("ownership-list"))


# --- engagements --------------------------------------------------------------------------------


@login_required
@engagement_read_required
def engagement_index(request: HttpRequest) -> HttpResponse:
    rows = [(e, selectors.engagement_return(e)) for e in selectors.engagement_list()]
    return _render(request, "engagement_list.html", {"rows": rows})


def _engagement_data(form: EngagementForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data["scopes"] = data.pop("scopes_text")
    return data


@login_required
@engagement_edit_required
def engagement_create(request: HttpRequest) -> HttpResponse:
    form = EngagementForm(request.POST or None, initial={"party": request.GET.get("party")})
    if request.method == "POST" and form.is_valid():
        try:
            engagement = services.engagement_create(actor=request.user, **_engagement_data(form))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Added {engagement.name}.")
            return redirect("engagement-detail", pk=engagement.pk)
    return _render(request, "engagement_form.html", {"form": form, "engagement": None})


@login_required
@engagement_edit_required
def engagement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    engagement = get_object_or_404(Engagement, pk=pk)
    form = EngagementForm(request.POST or None, instance=engagement)
    if request.method == "POST" and form.is_valid():
        try:
            services.engagement_update(engagement=engagement, actor=request.user, **_engagement_data(form))
        except ValidationError as error:
            engagement.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, f"Saved {engagement.name}.")
            return redirect("engagement-detail", pk=pk)
    return _render(request, "engagement_form.html", {"form": form, "engagement": engagement})


@login_required
@engagement_read_required
def engagement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    engagement = get_object_or_404(selectors.engagement_list(), pk=pk)
    form = SavingForm(request.POST or None)
    if request.method == "POST":
        if not permissions.can_manage_engagements(request.user):
            raise PermissionDenied("You may view engagements but not record savings.")
        if form.is_valid():
            try:
                saving = services.saving_record(
                    engagement=engagement, actor=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Recorded savings for {saving.period_label}.")
                return redirect("engagement-detail", pk=pk)
    context = {
        "engagement": engagement,
        "returns": selectors.engagement_return(engagement),
        "saving_form": form,
        "savings": engagement.savings.order_by("period_start"),
        "audit": selectors.audit_for(engagement),
    }
    return _render(request, "engagement_detail.html", context)


@login_required
@engagement_edit_required
@require_POST
def saving_delete(request: HttpRequest, pk: int) -> HttpResponse:
    saving = get_object_or_404(AttributedSaving.objects.select_related("engagement"), pk=pk)
    engagement_pk = saving.engagement_id
    services.saving_delete(saving=saving, actor=request.user)
    messages.success(request, "Removed the savings figure.")
    return redirect("engagement-detail", pk=engagement_pk)


# --- readiness ----------------------------------------------------------------------------------


@login_required
@readiness_required
def readiness(request: HttpRequest) -> HttpResponse:
    result = selectors.programme_readiness(accounts=known_accounts.known_accounts())
    return _render(request, "readiness.html", {"readiness": result, "scope_kinds": scopes.KIND_LABELS})
