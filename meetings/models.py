"""The programme: topics, the glossary, review cadences, meetings, their agendas and action items."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.urls import reverse

from common.glossary_links import term_anchor
from stakeholders.models import Group, Stakeholder, Team

DEFAULT_AGENDA_TEMPLATE = "\n".join(
    [
        "State of the organisation",
        "Programmes running",
        "Financial and optimisation metrics",
        "Key workloads in detail",
    ]
)


class GlossaryTerm(models.Model):
    term = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True, help_text="The anchor: /glossary/#term-<slug>.")
    definition = models.TextField(help_text="Plain language, for finance and technology readers alike.")
    example = models.TextField(blank=True, help_text="A worked example or why it matters.")
    aliases = models.CharField(max_length=300, blank=True, help_text="Other names, comma separated.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["term"]

    def __str__(self) -> str:
        return self.term

    def get_absolute_url(self) -> str:
        return f"{reverse('glossary-list')}#{self.anchor}"

    @property
    def anchor(self) -> str:
        return term_anchor(self.slug)


class Topic(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField()
    owning_group = models.CharField(max_length=16, choices=Group.choices)
    members = models.ManyToManyField(Stakeholder, blank=True, related_name="topics")
    processes = models.JSONField(
        default=list, blank=True, help_text="Organisational processes the topic touches."
    )
    review_frequency_days = models.PositiveIntegerField(
        default=90, help_text="How often the partnership should discuss it, in days."
    )
    last_discussed = models.DateField(null=True, blank=True)
    glossary_terms = models.ManyToManyField(GlossaryTerm, blank=True, related_name="topics")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(review_frequency_days__gte=1), name="topic_review_frequency_positive"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("topic-detail", args=[self.pk])

    def next_review_on(self) -> date | None:
        """None when never discussed: the topic is due now."""
        if self.last_discussed is None:
            return None
        return self.last_discussed + timedelta(days=self.review_frequency_days)

    def is_due(self, today: date) -> bool:
        next_review = self.next_review_on()
        return next_review is None or next_review <= today


class Cadence(models.Model):
    name = models.CharField(max_length=160, unique=True)
    purpose = models.TextField(blank=True)
    scope_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cadences",
        help_text="Leave empty for the whole organisation.",
    )
    rrule = models.CharField(
        max_length=500, help_text="RFC 5545 recurrence rule, e.g. FREQ=MONTHLY;BYDAY=+2TU"
    )
    timezone = models.CharField(max_length=64, default="Europe/London", help_text="IANA time zone.")
    starts_on = models.DateField(help_text="First day the series may fall on.")
    start_time = models.TimeField(help_text="Local time of day in the cadence's time zone.")
    duration_minutes = models.PositiveIntegerField(default=60)
    participants = models.ManyToManyField(Stakeholder, blank=True, related_name="cadences")
    participant_groups = models.JSONField(
        default=list, blank=True, help_text='Whole groups invited, e.g. ["finance", "technology"].'
    )
    agenda_template = models.TextField(default=DEFAULT_AGENDA_TEMPLATE, help_text="One agenda item a line.")
    location = models.CharField(max_length=300, blank=True)
    occurrences_ahead = models.PositiveSmallIntegerField(
        default=3, help_text="How many future meetings are kept scheduled."
    )
    agenda_days_before = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Days before a meeting the agenda is emailed (empty: the default)."
    )
    active = models.BooleanField(default=True)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("cadence-detail", args=[self.pk])

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def dtstart(self) -> datetime:
        return datetime.combine(self.starts_on, self.start_time).replace(tzinfo=self.tz)

    @property
    def scope_label(self) -> str:
        return self.scope_team.name if self.scope_team else "Whole organisation"

    def participant_group_labels(self) -> list[str]:
        labels = dict(Group.choices)
        return [labels.get(g, g) for g in self.participant_groups]

    def agenda_lines(self) -> list[str]:
        return [line.strip() for line in self.agenda_template.splitlines() if line.strip()]

    def effective_agenda_days_before(self) -> int:
        if self.agenda_days_before is not None:
            return self.agenda_days_before
        return getattr(settings, "MEETINGS_AGENDA_DAYS_BEFORE", 3)


class Meeting(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        HELD = "held", "Held"
        CANCELLED = "cancelled", "Cancelled"

    cadence = models.ForeignKey(
        Cadence, null=True, blank=True, on_delete=models.PROTECT, related_name="meetings"
    )
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(default=60)
    timezone = models.CharField(max_length=64, default="Europe/London")
    occurrence = models.DateTimeField(
        null=True, blank=True, help_text="The cadence occurrence this meeting stands for (its identity)."
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    location = models.CharField(max_length=300, blank=True)
    minutes = models.TextField(blank=True)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0, help_text="iCalendar SEQUENCE: bumped on each change.")
    agenda_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cadence", "occurrence"], name="meeting_one_per_cadence_occurrence"
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.title} — {self.local_start():%d %b %Y %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("meeting-detail", args=[self.pk])

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    def local_start(self) -> datetime:
        return self.starts_at.astimezone(ZoneInfo(self.timezone))

    def local_end(self) -> datetime:
        return self.ends_at.astimezone(ZoneInfo(self.timezone))


class Attendance(models.Model):
    class Status(models.TextChoices):
        EXPECTED = "expected", "Expected"
        PRESENT = "present", "Present"
        ABSENT = "absent", "Absent"
        APOLOGIES = "apologies", "Sent apologies"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="attendances")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.EXPECTED)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["stakeholder__name"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "stakeholder"], name="attendance_once_per_meeting")
        ]

    def __str__(self) -> str:
        return f"{self.stakeholder.name}: {self.get_status_display()}"


class ActionItem(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(Stakeholder, on_delete=models.PROTECT, related_name="action_items")
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    origin_meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    explanation = models.OneToOneField(
        "costdata.Explanation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The variance explanation whose planned action this is, if any.",
    )

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["owner", "status"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("action-item-edit", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due_on is not None and self.due_on < today


class AgendaItem(models.Model):
    """One line of a meeting's agenda. `key` says where it came from, so rebuilding never duplicates."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items")
    position = models.PositiveIntegerField(default=0)
    key = models.CharField(max_length=120, help_text="provider:reference, e.g. topic:budgeting")
    source = models.CharField(max_length=40, help_text="The provider that proposed it, or 'manual'.")
    title = models.CharField(max_length=300)
    detail = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action_item = models.ForeignKey(
        ActionItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="agenda_items"
    )
    discussed = models.BooleanField(default=False)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["meeting", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "key"], name="agenda_item_key_unique")]

    def __str__(self) -> str:
        return self.title


class Decision(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField()
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting", "created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:80]


class CalendarFeed(models.Model):
    """A secret subscription URL. Only the SHA-256 of the token is kept; the token is shown once."""

    class Kind(models.TextChoices):
        CADENCE = "cadence", "Cadence"
        STAKEHOLDER = "stakeholder", "Stakeholder"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    cadence = models.ForeignKey(
        Cadence, null=True, blank=True, on_delete=models.CASCADE, related_name="feeds"
    )
    stakeholder = models.ForeignKey(
        Stakeholder, null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    token_hint = models.CharField(max_length=8, help_text="The token's first characters, to recognise it.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="cadence", cadence__isnull=False, stakeholder__isnull=True)
                    | models.Q(kind="stakeholder", stakeholder__isnull=False, cadence__isnull=True)
                ),
                name="calendar_feed_has_one_subject",
            )
        ]

    def __str__(self) -> str:
        subject = self.cadence or self.stakeholder
        return f"{self.get_kind_display()} feed for {subject} ({self.token_hint}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class VarianceDecision(models.Model):
    """A meeting's decision about a variance: the meeting's minutes point at the variance they decided on."""

    variance = models.ForeignKey("costdata.Variance", on_delete=models.CASCADE, related_name="+")
    decision = models.OneToOneField(Decision, on_delete=models.CASCADE, related_name="variance_link")

    class Meta:
        db_table = "costdata_variancedecision"  # the table predates the move from costdata

    def __str__(self) -> str:
        return f"decision {self.decision_id} on variance {self.variance_id}"


from meetings.review_pack_models import ReviewPack  # noqa: E402,F401  (frozen figures for a meeting)
