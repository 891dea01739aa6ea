"""Pages for cadences: the list, one cadence, its form and its series as iCalendar."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from common.page_errors import add_form_errors
from meetings import calendar, forms, permissions, recurrence, selectors, services
from meetings.models import (
    Cadence,
    Meeting,
)
from meetings.views.base import form_page, require, require_read

# --- Cadences ------------------------------------------------------------------------------------


@login_required
def cadence_list(request: HttpRequest) -> HttpResponse:
    require_read(request)
    q = request.GET.get("q", "").strip()
    now = timezone.now()
    planned = Meeting.objects.filter(starts_at__gte=now, status=Meeting.Status.PLANNED).order_by("starts_at")
    cadences = [
        (cadence, recurrence.describe(cadence.rrule), planned.filter(cadence=cadence).first())
        for cadence in selectors.cadence_list(q=q)
    ]
    context = {"cadences": cadences, "q": q, "can_edit": permissions.can_manage_programme(request.user)}
    return render(request, "meetings/cadence_list.html", context)


@login_required
def cadence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_read(request)
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
        add_form_errors(form, exc)
        return None


@login_required
def cadence_create(request: HttpRequest) -> HttpResponse:
    require(permissions.can_manage_programme(request.user))
    initial = {"agenda_template": Cadence._meta.get_field("agenda_template").default, "active": True}
    form = forms.CadenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        cadence = _cadence_save(request, form, None)
        if cadence is not None:
            messages.success(request, f"Created “{cadence.name}” and scheduled its next meetings.")
            return redirect(cadence.get_absolute_url())
    return form_page(request, form, title="New cadence", cancel=reverse("cadence-list"))


@login_required
def cadence_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(permissions.can_manage_programme(request.user))
    cadence = get_object_or_404(Cadence, pk=pk)
    form = forms.CadenceForm(request.POST or None, initial=forms.CadenceForm.initial_for(cadence))
    if request.method == "POST" and form.is_valid():
        if _cadence_save(request, form, cadence) is not None:
            messages.success(
                request, f"Saved “{cadence.name}”. Future planned meetings follow the new schedule."
            )
            return redirect(cadence.get_absolute_url())
    return form_page(request, form, title=f"Edit “{cadence.name}”", cancel=cadence.get_absolute_url())


@login_required
def cadence_series_ics(request: HttpRequest, pk: int) -> HttpResponse:
    require_read(request)
    cadence = get_object_or_404(Cadence, pk=pk)
    body = calendar.cadence_series_bytes(cadence, cadence.meetings.all())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cadence-{cadence.pk}.ics"'
    return response
