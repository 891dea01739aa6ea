"""Pages for one meeting: the list, its page and form, its .ics, and what is done during it (attendance,
minutes, decisions, action items, agenda, status), each answering JSON to meeting.js or redirecting back."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from common.page_errors import add_form_errors
from common.types import AnyUser
from meetings import calendar, forms, permissions, selectors, services
from meetings.cost_items import cost_item_views
from meetings.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    Cadence,
    Meeting,
)
from meetings.variance_decisions import decision_variance_links
from meetings.views.base import form_page, page_of, require, require_read, wants_json

# --- Meetings ------------------------------------------------------------------------------------


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    require_read(request)
    q, status, when = (
        request.GET.get("q", "").strip(),
        request.GET.get("status", ""),
        request.GET.get("when", "upcoming"),
    )
    cadence_id = request.GET.get("cadence") or None
    now = timezone.now()
    meetings = selectors.meeting_list(
        viewer=request.user,
        q=q,
        status=status,
        cadence_id=int(cadence_id) if cadence_id and cadence_id.isdigit() else None,
        start=now if when == "upcoming" else None,
        end=now if when == "past" else None,
    )
    if when == "past":
        meetings = meetings.order_by("-starts_at")
    context = {
        "page": page_of(request, meetings),
        "q": q,
        "status": status,
        "when": when,
        "cadence_id": cadence_id,
        "cadences": Cadence.objects.all(),
        "statuses": Meeting.Status.choices,
        "can_edit": permissions.can_manage_programme(request.user),
    }
    return render(request, "meetings/meeting_list.html", context)


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_read(request)
    try:
        meeting = selectors.meeting_detail(pk=pk, viewer=request.user)
    except Meeting.DoesNotExist as exc:
        raise Http404 from exc
    can_edit = permissions.can_manage_programme(request.user)
    stakeholder = permissions.stakeholder_of(request.user)
    carried = {i.action_item_id for i in meeting.agenda_items.all() if i.action_item_id}
    agenda = list(meeting.agenda_items.all())
    views = cost_item_views(items=agenda, viewer=request.user)
    context = {
        "meeting": meeting,
        "attendances": meeting.attendances.all(),
        "attendance_statuses": Attendance.Status.choices,
        "agenda": [(item, views[item.pk]) for item in agenda],
        "decisions": _decisions(meeting, request.user),
        "action_items": meeting.action_items.all(),
        "carried_items": ActionItem.objects.filter(pk__in=carried).select_related("owner"),
        "action_statuses": ActionItem.Status.choices,
        "can_edit": can_edit,
        "my_stakeholder_id": stakeholder.pk if stakeholder else None,
        "minutes_form": forms.MinutesForm(initial={"minutes": meeting.minutes}),
        "decision_form": forms.DecisionForm(),
        "action_form": forms.MeetingActionItemForm(),
        "agenda_form": forms.AgendaItemAddForm(),
        "previous": Meeting.objects.filter(cadence=meeting.cadence, starts_at__lt=meeting.starts_at)
        .order_by("-starts_at")
        .first()
        if meeting.cadence_id
        else None,
        "next": selectors.meeting_next_in_cadence(meeting=meeting),
        "today": timezone.localdate(),
        "history": selectors.change_records_for(obj=meeting, limit=10),
    }
    return render(request, "meetings/meeting_detail.html", context)


def _decisions(meeting: Meeting, viewer: AnyUser) -> list[tuple[Any, tuple[str, str] | None]]:
    """The meeting's decisions, each with the variance it decided on as the viewer may see it."""
    links = decision_variance_links(meeting=meeting, viewer=viewer)
    return [(decision, links.get(decision.pk)) for decision in meeting.decisions.all()]


@login_required
def meeting_create(request: HttpRequest) -> HttpResponse:
    require(permissions.can_manage_programme(request.user))
    form = forms.MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_create(
                actor=request.user,
                title=data["title"],
                starts_at=form.starts_at(),
                timezone_name=data["timezone"],
                duration_minutes=data["duration_minutes"],
                location=data["location"],
                attendees=data["attendees"],
                cadence=data["cadence"],
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, "Meeting scheduled.")
            return redirect(meeting.get_absolute_url())
    return form_page(request, form, title="New meeting", cancel=reverse("meeting-list"))


@login_required
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(permissions.can_manage_programme(request.user))
    meeting = get_object_or_404(Meeting, pk=pk)
    form = forms.MeetingForm(request.POST or None, initial=forms.MeetingForm.initial_for(meeting))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.meeting_update(
                actor=request.user,
                meeting=meeting,
                title=data["title"],
                starts_at=form.starts_at(),
                timezone_name=data["timezone"],
                duration_minutes=data["duration_minutes"],
                location=data["location"],
            )
            for person in data["attendees"]:
                if not meeting.attendances.filter(stakeholder=person).exists():
                    services.attendance_set(
                        actor=request.user,
                        meeting=meeting,
                        stakeholder=person,
                        status=Attendance.Status.EXPECTED,
                    )
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, "Meeting saved; calendars pick up the change.")
            return redirect(meeting.get_absolute_url())
    return form_page(request, form, title=f"Edit “{meeting.title}”", cancel=meeting.get_absolute_url())


@login_required
def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    require_read(request)
    meeting = get_object_or_404(permissions.visible_meetings(request.user, Meeting.objects.all()), pk=pk)
    response = HttpResponse(
        calendar.calendar_bytes([meeting], name=meeting.title), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
    return response


# --- During the meeting: each returns JSON to meeting.js, or redirects back to the page -------------


def _back(
    request: HttpRequest, meeting: Meeting, anchor: str, payload: dict[str, Any] | None = None
) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"ok": True, **(payload or {})})
    return redirect(f"{meeting.get_absolute_url()}#{anchor}")


def _invalid(request: HttpRequest, meeting: Meeting, anchor: str, errors: dict[str, Any]) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"ok": False, "errors": errors}, status=400)
    for field, problems in errors.items():
        for problem in problems if isinstance(problems, list) else [problems]:
            messages.error(request, f"{field}: {problem}")
    return redirect(f"{meeting.get_absolute_url()}#{anchor}")


def _live_meeting(request: HttpRequest, pk: int) -> Meeting:
    require(permissions.can_manage_programme(request.user))
    return get_object_or_404(Meeting, pk=pk)


@login_required
@require_POST
def meeting_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _live_meeting(request, pk)
    form = forms.AttendanceForm(request.POST)
    if not form.is_valid():
        return _invalid(request, meeting, "attendance", form.errors.get_json_data())
    row = services.attendance_set(
        actor=request.user,
        meeting=meeting,
        stakeholder=form.cleaned_data["stakeholder"],
        status=form.cleaned_data["status"],
    )
    return _back(request, meeting, "attendance", {"status": row.status, "label": row.get_status_display()})


@login_required
@require_POST
def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _live_meeting(request, pk)
    form = forms.MinutesForm(request.POST)
    if not form.is_valid():
        return _invalid(request, meeting, "minutes", form.errors.get_json_data())
    services.meeting_minutes_update(meeting=meeting, minutes=form.cleaned_data["minutes"], actor=request.user)
    return _back(request, meeting, "minutes", {"saved_at": timezone.localtime().strftime("%H:%M:%S")})


@login_required
@require_POST
def meeting_decision_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _live_meeting(request, pk)
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        return _invalid(request, meeting, "decisions", form.errors.get_json_data())
    services.decision_create(
        meeting=meeting,
        text=form.cleaned_data["text"],
        topic=form.cleaned_data["topic"],
        recorded_by=request.user,
    )
    messages.success(request, "Decision recorded.")
    return _back(request, meeting, "decisions")


@login_required
@require_POST
def meeting_action_add(request: HttpRequest, pk: int) -> HttpResponse:
    require_read(request)
    meeting = get_object_or_404(permissions.visible_meetings(request.user, Meeting.objects.all()), pk=pk)
    form = forms.MeetingActionItemForm(request.POST)
    if not form.is_valid():
        return _invalid(request, meeting, "actions", form.errors.get_json_data())
    require(permissions.can_create_action_item(request.user, form.cleaned_data["owner"]))
    try:
        item = services.action_item_create(
            origin_meeting=meeting, created_by=request.user, **form.cleaned_data
        )
    except ValidationError as exc:
        return _invalid(request, meeting, "actions", exc.message_dict)
    messages.success(request, f"Action item for {item.owner.name} added; they have been told by email.")
    return _back(request, meeting, "actions", {"id": item.pk})


@login_required
@require_POST
def meeting_agenda_item(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = _live_meeting(request, pk)
    item = get_object_or_404(AgendaItem, pk=item_pk, meeting=meeting)
    discussed = request.POST.get("discussed") in {"1", "true", "on"} if "discussed" in request.POST else None
    notes = request.POST.get("notes") if "notes" in request.POST else None
    services.agenda_item_update(item=item, discussed=discussed, notes=notes)
    return _back(request, meeting, f"agenda-{item.pk}", {"discussed": item.discussed})


@login_required
@require_POST
def meeting_agenda_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _live_meeting(request, pk)
    form = forms.AgendaItemAddForm(request.POST)
    if not form.is_valid():
        return _invalid(request, meeting, "agenda", form.errors.get_json_data())
    services.agenda_item_add(meeting=meeting, title=form.cleaned_data["title"])
    return _back(request, meeting, "agenda")


@login_required
@require_POST
def meeting_agenda_rebuild(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _live_meeting(request, pk)
    services.meeting_agenda_build(meeting=meeting)
    messages.success(request, "Agenda rebuilt from the template, the topics due and open action items.")
    return _back(request, meeting, "agenda")


@login_required
@require_POST
def meeting_agenda_send(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _live_meeting(request, pk)
    sent = services.meeting_agenda_send(meeting_id=meeting.pk, force=True)
    messages.success(
        request,
        f"Agenda emailed to {meeting.attendances.count()} participants."
        if sent
        else "Nothing sent: the meeting is not planned or has no participants.",
    )
    return _back(request, meeting, "agenda")


@login_required
@require_POST
def meeting_status(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _live_meeting(request, pk)
    status = request.POST.get("status", "")
    try:
        services.meeting_status_set(meeting=meeting, status=status, actor=request.user)
    except ValidationError as exc:
        return _invalid(request, meeting, "status", exc.message_dict)
    messages.success(request, f"Meeting marked {meeting.get_status_display().lower()}.")
    return _back(request, meeting, "top")
