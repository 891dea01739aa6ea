"""Pages for the programme. Thin: check permission, validate a form, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from meetings import calendar, forms, permissions, recurrence, selectors, services
from meetings.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    Cadence,
    CalendarFeed,
    GlossaryTerm,
    Meeting,
    Topic,
)
from stakeholders.models import Group, Stakeholder

PAGE_SIZE = 25


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied("You may not change this.")


def _require_read(request: HttpRequest) -> None:
    if not permissions.can_read(request.user):
        raise PermissionDenied("The programme is for people in the organisation.")


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _apply_errors(form: Any, exc: ValidationError) -> None:
    for field, errors in (exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}).items():
        form.add_error(field if field in form.fields else None, errors)


def _next(request: HttpRequest, default: str) -> str:
    """Where to go after a POST: a same-site `next`, else the default (never an open redirect)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _page(request: HttpRequest, queryset: QuerySet) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _form_page(
    request: HttpRequest, form: Any, *, title: str, cancel: str, submit: str = "Save"
) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "title": title, "cancel_url": cancel, "submit": submit}
    return render(request, "meetings/form.html", context, status=status)


# --- Glossary ------------------------------------------------------------------------------------


@login_required
def glossary_list(request: HttpRequest) -> HttpResponse:
    _require_read(request)
    q = request.GET.get("q", "").strip()
    terms = selectors.glossary_term_list(q=q)
    context = {"terms": terms, "q": q, "can_edit": permissions.can_manage_topics(request.user)}
    return render(request, "meetings/glossary_list.html", context)


@login_required
def glossary_create(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_manage_topics(request.user))
    form = forms.GlossaryTermForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            term = services.glossary_term_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Added “{term.term}” to the glossary.")
            return redirect(term.get_absolute_url())
    return _form_page(request, form, title="New glossary term", cancel=reverse("glossary-list"))


@login_required
def glossary_edit(request: HttpRequest, slug: str) -> HttpResponse:
    _require(permissions.can_manage_topics(request.user))
    term = get_object_or_404(GlossaryTerm, slug=slug)
    form = forms.GlossaryTermForm(request.POST or None, instance=GlossaryTerm.objects.get(pk=term.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.glossary_term_update(item=term, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Saved “{term.term}”.")
            return redirect(term.get_absolute_url())
    return _form_page(request, form, title=f"Edit “{term.term}”", cancel=term.get_absolute_url())


# --- Topics --------------------------------------------------------------------------------------


@login_required
def topic_list(request: HttpRequest) -> HttpResponse:
    _require_read(request)
    q, group, due = (
        request.GET.get("q", "").strip(),
        request.GET.get("group", ""),
        request.GET.get("due") == "1",
    )
    today = timezone.localdate()
    topics = selectors.topic_list(q=q, group=group, due_on=today if due else None)
    context = {
        "topics": topics,
        "q": q,
        "group": group,
        "due": due,
        "today": today,
        "groups": Group.choices,
        "can_edit": permissions.can_manage_topics(request.user),
    }
    return render(request, "meetings/topic_list.html", context)


@login_required
def topic_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_read(request)
    topic = get_object_or_404(Topic.objects.prefetch_related("members", "glossary_terms"), pk=pk)
    context = {
        "topic": topic,
        "today": timezone.localdate(),
        "decisions": topic.decisions.select_related("meeting").order_by("-created_at")[:20],
        "action_items": topic.action_items.select_related("owner").order_by("-created_at")[:20],
        "can_edit": permissions.can_manage_topics(request.user),
    }
    return render(request, "meetings/topic_detail.html", context)


def _topic_form_save(request: HttpRequest, form: forms.TopicForm, topic: Topic | None) -> Topic | None:
    data = dict(form.cleaned_data)
    data.pop("processes_text", None)
    members, terms = data.pop("members"), data.pop("glossary_terms")
    try:
        if topic is None:
            active = data.pop("active", True)
            topic = services.topic_create(members=members, glossary_terms=terms, actor=request.user, **data)
            if not active:
                services.topic_update(topic=topic, active=False, actor=request.user)
            return topic
        return services.topic_update(
            topic=topic, members=members, glossary_terms=terms, actor=request.user, **data
        )
    except ValidationError as exc:
        _apply_errors(form, exc)
        return None


@login_required
def topic_create(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_manage_topics(request.user))
    form = forms.TopicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        topic = _topic_form_save(request, form, None)
        if topic is not None:
            messages.success(request, f"Added the topic “{topic.name}”.")
            return redirect(topic.get_absolute_url())
    return _form_page(request, form, title="New topic", cancel=reverse("topic-list"))


@login_required
def topic_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(permissions.can_manage_topics(request.user))
    topic = get_object_or_404(Topic, pk=pk)
    form = forms.TopicForm(request.POST or None, instance=Topic.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        if _topic_form_save(request, form, topic) is not None:
            messages.success(request, f"Saved “{topic.name}”.")
            return redirect(topic.get_absolute_url())
    return _form_page(request, form, title=f"Edit “{topic.name}”", cancel=topic.get_absolute_url())


# --- Cadences ------------------------------------------------------------------------------------


@login_required
def cadence_list(request: HttpRequest) -> HttpResponse:
    _require_read(request)
    q = request.GET.get("q", "").strip()
    now = timezone.now()
    cadences = list(selectors.cadence_list(q=q))
    for cadence in cadences:
        cadence.next_meeting = cadence.meetings.filter(
            starts_at__gte=now, status=Meeting.Status.PLANNED
        ).first()
        cadence.rule_text = recurrence.describe(cadence.rrule)
    context = {"cadences": cadences, "q": q, "can_edit": permissions.can_manage_programme(request.user)}
    return render(request, "meetings/cadence_list.html", context)


@login_required
def cadence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_read(request)
    cadence = get_object_or_404(selectors.cadence_list(), pk=pk)
    now = timezone.now()
    context = {
        "cadence": cadence,
        "rule_text": recurrence.describe(cadence.rrule),
        "participants": selectors.cadence_participants(cadence=cadence),
        "upcoming": cadence.meetings.filter(starts_at__gte=now).order_by("starts_at"),
        "past": cadence.meetings.filter(starts_at__lt=now).order_by("-starts_at")[:24],
        "feeds": selectors.calendar_feed_list(cadence=cadence),
        "history": selectors.change_records_for(obj=cadence),
        "can_edit": permissions.can_manage_programme(request.user),
    }
    return render(request, "meetings/cadence_detail.html", context)


def _cadence_save(request: HttpRequest, form: forms.CadenceForm, cadence: Cadence | None) -> Cadence | None:
    data = dict(form.cleaned_data)
    data.pop("preset", None)
    data["timezone_name"] = data.pop("timezone")
    try:
        if cadence is None:
            active = data.pop("active", True)
            cadence = services.cadence_create(actor=request.user, **data)
            if not active:
                services.cadence_update(cadence=cadence, active=False, actor=request.user)
            return cadence
        return services.cadence_update(cadence=cadence, actor=request.user, **data)
    except ValidationError as exc:
        _apply_errors(form, exc)
        return None


@login_required
def cadence_create(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_manage_programme(request.user))
    initial = {"agenda_template": Cadence._meta.get_field("agenda_template").default, "active": True}
    form = forms.CadenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        cadence = _cadence_save(request, form, None)
        if cadence is not None:
            messages.success(request, f"Created “{cadence.name}” and scheduled its next meetings.")
            return redirect(cadence.get_absolute_url())
    return _form_page(request, form, title="New cadence", cancel=reverse("cadence-list"))


@login_required
def cadence_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(permissions.can_manage_programme(request.user))
    cadence = get_object_or_404(Cadence, pk=pk)
    form = forms.CadenceForm(request.POST or None, initial=forms.CadenceForm.initial_for(cadence))
    if request.method == "POST" and form.is_valid():
        if _cadence_save(request, form, cadence) is not None:
            messages.success(
                request, f"Saved “{cadence.name}”. Future planned meetings follow the new schedule."
            )
            return redirect(cadence.get_absolute_url())
    return _form_page(request, form, title=f"Edit “{cadence.name}”", cancel=cadence.get_absolute_url())


@login_required
def cadence_series_ics(request: HttpRequest, pk: int) -> HttpResponse:
    _require_read(request)
    cadence = get_object_or_404(Cadence, pk=pk)
    body = calendar.cadence_series_bytes(cadence, cadence.meetings.all())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cadence-{cadence.pk}.ics"'
    return response


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
    _require(permissions.can_manage_feed(request.user, subject))
    feed, token = services.calendar_feed_create(
        cadence=cadence, stakeholder=None if cadence else stakeholder, created_by=request.user
    )
    request.session["new_feed_url"] = _feed_url(request, token)
    messages.success(request, "New calendar feed. Copy its address now: it is shown only once.")
    return redirect(_next(request, reverse("home")))


@login_required
@require_POST
def feed_action(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    feed = get_object_or_404(CalendarFeed, pk=pk)
    _require(permissions.can_manage_feed(request.user, feed.cadence or feed.stakeholder))
    if verb == "revoke":
        services.calendar_feed_revoke(feed=feed, actor=request.user)
        messages.success(request, "Feed revoked: calendars subscribed to it stop updating.")
    elif verb == "rotate":
        _, token = services.calendar_feed_rotate(feed=feed, created_by=request.user)
        request.session["new_feed_url"] = _feed_url(request, token)
        messages.success(request, "Feed rotated: the old address stopped working. Copy the new one now.")
    else:
        raise Http404
    return redirect(_next(request, reverse("home")))


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The subscribable feed. The secret token in the URL is the credential, so no login is needed."""
    feed = services.calendar_feed_resolve(token=token)
    if feed is None:
        raise Http404("No such feed, or it was revoked.")
    name = feed.cadence.name if feed.cadence else f"Partnership meetings: {feed.stakeholder.name}"
    body = calendar.calendar_bytes(selectors.feed_meetings(feed=feed), name=name)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- Meetings ------------------------------------------------------------------------------------


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    _require_read(request)
    q, status, when = (
        request.GET.get("q", "").strip(),
        request.GET.get("status", ""),
        request.GET.get("when", "upcoming"),
    )
    cadence_id = request.GET.get("cadence") or None
    now = timezone.now()
    meetings = selectors.meeting_list(
        q=q,
        status=status,
        cadence_id=int(cadence_id) if cadence_id and cadence_id.isdigit() else None,
        start=now if when == "upcoming" else None,
        end=now if when == "past" else None,
    )
    if when == "past":
        meetings = meetings.order_by("-starts_at")
    context = {
        "page": _page(request, meetings),
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
    _require_read(request)
    try:
        meeting = selectors.meeting_detail(pk=pk)
    except Meeting.DoesNotExist as exc:
        raise Http404 from exc
    can_edit = permissions.can_manage_programme(request.user)
    stakeholder = permissions.stakeholder_of(request.user)
    carried = {i.action_item_id for i in meeting.agenda_items.all() if i.action_item_id}
    context = {
        "meeting": meeting,
        "attendances": meeting.attendances.all(),
        "attendance_statuses": Attendance.Status.choices,
        "agenda": meeting.agenda_items.all(),
        "decisions": meeting.decisions.all(),
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


@login_required
def meeting_create(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_manage_programme(request.user))
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
            _apply_errors(form, exc)
        else:
            messages.success(request, "Meeting scheduled.")
            return redirect(meeting.get_absolute_url())
    return _form_page(request, form, title="New meeting", cancel=reverse("meeting-list"))


@login_required
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(permissions.can_manage_programme(request.user))
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
            _apply_errors(form, exc)
        else:
            messages.success(request, "Meeting saved; calendars pick up the change.")
            return redirect(meeting.get_absolute_url())
    return _form_page(request, form, title=f"Edit “{meeting.title}”", cancel=meeting.get_absolute_url())


@login_required
def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    _require_read(request)
    meeting = get_object_or_404(Meeting, pk=pk)
    response = HttpResponse(
        calendar.calendar_bytes([meeting], name=meeting.title), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
    return response


# --- During the meeting: each returns JSON to meeting.js, or redirects back to the page -------------


def _back(
    request: HttpRequest, meeting: Meeting, anchor: str, payload: dict[str, Any] | None = None
) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": True, **(payload or {})})
    return redirect(f"{meeting.get_absolute_url()}#{anchor}")


def _invalid(request: HttpRequest, meeting: Meeting, anchor: str, errors: dict[str, Any]) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": False, "errors": errors}, status=400)
    for field, problems in errors.items():
        for problem in problems if isinstance(problems, list) else [problems]:
            messages.error(request, f"{field}: {problem}")
    return redirect(f"{meeting.get_absolute_url()}#{anchor}")


def _live_meeting(request: HttpRequest, pk: int) -> Meeting:
    _require(permissions.can_manage_programme(request.user))
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
    _require_read(request)
    meeting = get_object_or_404(Meeting, pk=pk)
    form = forms.MeetingActionItemForm(request.POST)
    if not form.is_valid():
        return _invalid(request, meeting, "actions", form.errors.get_json_data())
    _require(permissions.can_create_action_item(request.user, form.cleaned_data["owner"]))
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


# --- Action items --------------------------------------------------------------------------------


@login_required
def action_item_list(request: HttpRequest) -> HttpResponse:
    _require_read(request)
    q, status = request.GET.get("q", "").strip(), request.GET.get("status", "open")
    owner_id = request.GET.get("owner", "")
    owner = Stakeholder.objects.filter(pk=owner_id).first() if owner_id.isdigit() else None
    items = selectors.action_item_list(
        q=q, owner=owner, status="" if status in {"open", "all"} else status, open_only=status == "open"
    )
    context = {
        "page": _page(request, items.order_by("due_on", "pk")),
        "q": q,
        "status": status,
        "owner_id": owner_id,
        "owners": Stakeholder.objects.filter(action_items__isnull=False).distinct(),
        "statuses": ActionItem.Status.choices,
        "today": timezone.localdate(),
    }
    return render(request, "meetings/action_item_list.html", context)


@login_required
def action_item_create(request: HttpRequest) -> HttpResponse:
    _require_read(request)
    stakeholder = permissions.stakeholder_of(request.user)
    _require(permissions.can_manage_programme(request.user) or stakeholder is not None)
    initial = {} if permissions.can_manage_programme(request.user) else {"owner": stakeholder}
    form = forms.ActionItemForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        _require(permissions.can_create_action_item(request.user, form.cleaned_data["owner"]))
        try:
            item = services.action_item_create(created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Action item added for {item.owner.name}.")
            return redirect(reverse("action-item-list"))
    return _form_page(request, form, title="New action item", cancel=reverse("action-item-list"))


@login_required
def action_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_read(request)
    item = get_object_or_404(ActionItem.objects.select_related("owner", "origin_meeting"), pk=pk)
    if request.method == "GET" and not permissions.can_edit_action_item(request.user, item):
        return render(
            request, "meetings/action_item_detail.html", {"item": item, "today": timezone.localdate()}
        )
    _require(permissions.can_edit_action_item(request.user, item))
    can_reassign = permissions.can_reassign_action_item(request.user)
    form = forms.ActionItemForm(
        request.POST or None, instance=ActionItem.objects.get(pk=pk), can_reassign=can_reassign
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.action_item_update(item=item, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Action item saved.")
            return redirect(_next(request, reverse("action-item-list")))
    return _form_page(request, form, title=f"Action item: {item.title}", cancel=reverse("action-item-list"))


@login_required
@require_POST
def action_item_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner's one-click update from their page or the list: in progress, done, dropped."""
    item = get_object_or_404(ActionItem, pk=pk)
    _require(permissions.can_edit_action_item(request.user, item))
    status = request.POST.get("status", "")
    try:
        services.action_item_update(item=item, status=status, actor=request.user)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, f"“{item.title}” is now {item.get_status_display().lower()}.")
    return redirect(_next(request, reverse("action-item-list")))
