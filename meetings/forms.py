"""Forms for the programme's pages. They validate input; the views hand cleaned data to services."""

from __future__ import annotations

from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError

from costdata.models import Variance
from meetings import recurrence
from meetings.models import ActionItem, Attendance, Cadence, GlossaryTerm, Meeting, Topic
from stakeholders.models import Group, Stakeholder, Team

DATE = forms.DateInput(attrs={"type": "date"})
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _choices(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    """The form's field `name`, a model choice field, so that its choices can be narrowed."""
    return cast(forms.ModelChoiceField, form.fields[name])


def _check_timezone(value: str) -> str:
    try:
        recurrence.validate_timezone(value)
    except recurrence.RecurrenceError as exc:
        raise ValidationError(str(exc)) from exc
    return value.strip()


class GlossaryTermForm(forms.ModelForm):
    class Meta:
        model = GlossaryTerm
        fields = ["term", "slug", "definition", "example", "aliases"]
        help_texts = {
            "slug": "Part of the term's link, /glossary/#term-<slug>. Change it and old links break."
        }


class TopicForm(forms.ModelForm):
    processes_text = forms.CharField(
        label="Organisational processes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line.",
    )

    class Meta:
        model = Topic
        fields = [
            "name",
            "slug",
            "description",
            "owning_group",
            "review_frequency_days",
            "members",
            "glossary_terms",
            "active",
        ]
        widgets = {"members": forms.CheckboxSelectMultiple, "glossary_terms": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _choices(self, "members").queryset = Stakeholder.objects.filter(active=True)
        if self.instance.pk:
            self.fields["processes_text"].initial = "\n".join(self.instance.processes)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        data["processes"] = [
            line.strip() for line in data.get("processes_text", "").splitlines() if line.strip()
        ]
        return data


class CadenceForm(forms.Form):
    name = forms.CharField(max_length=160)
    purpose = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    scope_team = forms.ModelChoiceField(
        Team.objects.all(), required=False, empty_label="Whole organisation", label="Scope"
    )
    preset = forms.ChoiceField(
        choices=[("", "Custom rule (below)"), *recurrence.PRESETS.items()],
        required=False,
        label="Repeats",
        help_text="Presets fall on the weekday (and its place in the month) of the first date.",
    )
    rrule = forms.CharField(
        label="Recurrence rule (RFC 5545)",
        required=False,
        max_length=500,
        help_text="e.g. FREQ=MONTHLY;BYDAY=+2TU — the second Tuesday of every month.",
    )
    timezone = forms.CharField(
        max_length=64, initial="Europe/London", help_text="IANA name, e.g. Europe/London."
    )
    starts_on = forms.DateField(widget=DATE, label="First date")
    start_time = forms.TimeField(widget=TIME, label="Local start time")
    duration_minutes = forms.IntegerField(min_value=5, max_value=24 * 60, initial=60)
    participants = forms.ModelMultipleChoiceField(
        Stakeholder.objects.filter(active=True), required=False, widget=forms.CheckboxSelectMultiple
    )
    participant_groups = forms.MultipleChoiceField(
        choices=Group.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Whole groups invited",
    )
    agenda_template = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), help_text="One item a line.")
    location = forms.CharField(required=False, max_length=300)
    occurrences_ahead = forms.IntegerField(
        min_value=1, max_value=24, initial=3, label="Meetings kept scheduled"
    )
    agenda_days_before = forms.IntegerField(
        min_value=0, max_value=30, required=False, label="Send agenda days before"
    )
    active = forms.BooleanField(required=False, initial=True)

    def clean_timezone(self) -> str:
        return _check_timezone(self.cleaned_data["timezone"])

    def clean(self):
        super().clean()
        data = self.cleaned_data
        preset, starts_on = data.get("preset"), data.get("starts_on")
        if preset and starts_on:
            data["rrule"] = recurrence.preset_rule(preset, starts_on)
        if not data.get("rrule"):
            self.add_error("rrule", "Choose a preset or write a rule.")
            return data
        if starts_on and data.get("start_time") and "timezone" not in self.errors:
            try:
                tz = recurrence.validate_timezone(data["timezone"])
                recurrence.build_rule(
                    data["rrule"], recurrence.series_start(starts_on, data["start_time"], tz)
                )
            except recurrence.RecurrenceError as exc:
                self.add_error("rrule", str(exc))
        return data

    @classmethod
    def initial_for(cls, cadence: Cadence) -> dict:
        return {
            "name": cadence.name,
            "purpose": cadence.purpose,
            "scope_team": cadence.scope_team,
            "rrule": cadence.rrule,
            "timezone": cadence.timezone,
            "starts_on": cadence.starts_on,
            "start_time": cadence.start_time,
            "duration_minutes": cadence.duration_minutes,
            "participants": list(cadence.participants.all()),
            "participant_groups": cadence.participant_groups,
            "agenda_template": cadence.agenda_template,
            "location": cadence.location,
            "occurrences_ahead": cadence.occurrences_ahead,
            "agenda_days_before": cadence.agenda_days_before,
            "active": cadence.active,
        }


class CadenceAdminForm(forms.ModelForm):
    class Meta:
        model = Cadence
        fields = [
            "name",
            "purpose",
            "scope_team",
            "rrule",
            "timezone",
            "starts_on",
            "start_time",
            "duration_minutes",
            "participants",
            "participant_groups",
            "agenda_template",
            "location",
            "occurrences_ahead",
            "agenda_days_before",
            "active",
        ]

    def clean_timezone(self) -> str:
        return _check_timezone(self.cleaned_data["timezone"])

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if (
            data.get("rrule")
            and data.get("starts_on")
            and data.get("start_time")
            and "timezone" not in self.errors
        ):
            try:
                tz = recurrence.validate_timezone(data["timezone"])
                recurrence.build_rule(
                    data["rrule"], recurrence.series_start(data["starts_on"], data["start_time"], tz)
                )
                data["rrule"] = recurrence.normalise_rule(data["rrule"])
            except recurrence.RecurrenceError as exc:
                self.add_error("rrule", str(exc))
        return data


class MeetingForm(forms.Form):
    title = forms.CharField(max_length=200)
    cadence = forms.ModelChoiceField(Cadence.objects.all(), required=False, empty_label="No cadence (ad hoc)")
    date = forms.DateField(widget=DATE)
    time = forms.TimeField(widget=TIME, label="Local time")
    timezone = forms.CharField(max_length=64, initial="Europe/London")
    duration_minutes = forms.IntegerField(min_value=5, max_value=24 * 60, initial=60)
    location = forms.CharField(required=False, max_length=300)
    attendees = forms.ModelMultipleChoiceField(
        Stakeholder.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave empty to invite the cadence's participants.",
    )

    def clean_timezone(self) -> str:
        return _check_timezone(self.cleaned_data["timezone"])

    def starts_at(self) -> datetime:
        data = self.cleaned_data
        return datetime.combine(data["date"], data["time"]).replace(tzinfo=ZoneInfo(data["timezone"]))

    @classmethod
    def initial_for(cls, meeting: Meeting) -> dict:
        local = meeting.local_start()
        return {
            "title": meeting.title,
            "cadence": meeting.cadence,
            "date": local.date(),
            "time": local.time(),
            "timezone": meeting.timezone,
            "duration_minutes": meeting.duration_minutes,
            "location": meeting.location,
            "attendees": [a.stakeholder for a in meeting.attendances.all()],
        }


class MinutesForm(forms.Form):
    minutes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 10}))


class AttendanceForm(forms.Form):
    stakeholder = forms.ModelChoiceField(Stakeholder.objects.all())
    status = forms.ChoiceField(choices=Attendance.Status.choices)


class DecisionForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Decision")
    topic = forms.ModelChoiceField(Topic.objects.filter(active=True), required=False)


class AgendaItemAddForm(forms.Form):
    title = forms.CharField(max_length=300, label="Add an agenda item")


class ActionItemForm(forms.ModelForm):
    class Meta:
        model = ActionItem
        fields = ["title", "owner", "due_on", "status", "topic", "description"]
        widgets = {"due_on": DATE, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, can_reassign: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        _choices(self, "owner").queryset = Stakeholder.objects.filter(active=True)
        _choices(self, "topic").queryset = Topic.objects.filter(active=True)
        if not can_reassign:
            self.fields["owner"].disabled = True


class MeetingActionItemForm(forms.Form):
    """The quick form on the meeting page."""

    title = forms.CharField(max_length=300, label="Action")
    owner = forms.ModelChoiceField(Stakeholder.objects.filter(active=True))
    due_on = forms.DateField(widget=DATE, required=False, label="Due")


class MeetingVarianceDecisionForm(forms.Form):
    """A meeting's decision about one variance (recorded on the meeting page)."""

    variance = forms.ModelChoiceField(
        queryset=Variance.objects.all(), error_messages={"invalid_choice": "Choose a variance from the list."}
    )
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, label="Decision")
