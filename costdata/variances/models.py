"""The variance procedure's records: thresholds, closed detection months, holidays, the variances, the
explanations filed for them and every change of their state."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from costdata.money import money_field
from costdata.planning.models import ScopeType
from costdata.variances.business_days import is_overdue


class VarianceThreshold(models.Model):
    """When a difference is worth somebody's time, for one scope; the organisation row is the default.

    Empty fields inherit: scope, then the organisation, then the built-in defaults (variance_rules).
    """

    scope_type = models.CharField(max_length=16, choices=ScopeType.choices)
    scope_value = models.CharField(max_length=400, blank=True)
    percent = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    absolute = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    spike_percent = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    spike_absolute = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    spike_trailing_days = models.PositiveIntegerField(null=True, blank=True)
    spike_min_history_days = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["scope_type", "scope_value"]
        constraints = [
            models.UniqueConstraint(fields=["scope_type", "scope_value"], name="uniq_variance_threshold")
        ]

    def __str__(self) -> str:
        return f"thresholds for {self.scope_type}:{self.scope_value}"


class DetectionMonth(models.Model):
    """A month detection has finished with: complete and final, its variances' figures frozen."""

    month = models.DateField(unique=True)
    closed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} closed"


class Holiday(models.Model):
    """A day the organisation does not work: not counted when a variance's due date is set.

    Edited by admins (Django admin), one row a day, judged in the organisation's time zone like the
    due dates themselves (costdata.variances.business_days).
    """

    day = models.DateField(unique=True)
    name = models.CharField(max_length=120, help_text='e.g. "Good Friday".')

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.name}"


class Variance(models.Model):
    class Kind(models.TextChoices):
        FORECAST_OVER_BUDGET = "forecast_over_budget", "Forecast over budget"
        ACTUAL_OVER_BUDGET = "actual_over_budget", "Actual over budget"
        SPIKE = "spike", "Spike"
        MONTH_OVER_MONTH = "month_over_month", "Month-over-month increase"
        UNDER_SPEND = "under_spend", "Under-spend"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ASSIGNED = "assigned", "Assigned"
        EXPLAINED = "explained", "Explained"
        ACCEPTED = "accepted", "Accepted"
        CLOSED = "closed", "Closed"

    AWAITING_OWNER = (Status.OPEN, Status.ASSIGNED)
    # The figures each detection refreshes, in the order every listing shows them (the detection, the
    # API, the CSV export).
    FIGURE_FIELDS = (
        "observed",
        "reference",
        "difference",
        "percent",
        "actual_to_date",
        "projected",
        "budget",
        "prior_month_actual",
        "same_month_last_year",
    )

    natural_key = models.CharField(max_length=500, unique=True)
    scope_type = models.CharField(max_length=16, choices=ScopeType.choices)
    scope_value = models.CharField(max_length=400, blank=True)
    month = models.DateField()
    kind = models.CharField(max_length=24, choices=Kind.choices)
    day = models.DateField(null=True, blank=True, help_text="The spike's day.")
    day_estimated = models.BooleanField(default=False)
    currency = models.CharField(max_length=3)
    # The figures at the latest detection (frozen once the month closes).
    observed = money_field()
    reference = money_field()
    difference = money_field()
    percent = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    actual_to_date = money_field()
    projected = money_field(null=True, blank=True)
    budget = money_field(null=True, blank=True)
    prior_month_actual = money_field(null=True, blank=True)
    same_month_last_year = money_field(null=True, blank=True)
    thresholds = models.JSONField(default=dict, blank=True)
    detected_at = models.DateTimeField(default=timezone.now)
    last_detected_at = models.DateTimeField(default=timezone.now)
    figures_final = models.BooleanField(
        default=False, help_text="The month closed: figures no longer change."
    )
    # The procedure.
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True)
    owner_team = models.ForeignKey(
        "stakeholders.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="variances"
    )
    assignee = models.ForeignKey(
        "stakeholders.Stakeholder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_variances",
    )
    routing_reason = models.CharField(max_length=300, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        "stakeholders.Stakeholder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalated_variances",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-month", "due_at", "pk"]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["scope_type", "scope_value", "month"]),
        ]

    def __str__(self) -> str:
        day = f" on {self.day:%d %b}" if self.day else ""
        return f"{self.get_kind_display()}: {self.scope_label} {self.month:%Y-%m}{day}"

    def get_absolute_url(self) -> str:
        return reverse("variance-detail", args=[self.pk])

    @property
    def scope_label(self) -> str:
        if self.scope_type == ScopeType.ORGANISATION:
            return "Organisation"
        return f"{ScopeType(self.scope_type).label.lower()} {self.scope_value}"

    @property
    def due_day(self) -> date | None:
        """The local business day by whose end the explanation is due (due_at is that day's end)."""
        if self.due_at is None:
            return None
        return timezone.localtime(self.due_at - timedelta(microseconds=1)).date()

    @property
    def is_overdue(self) -> bool:
        if self.status not in self.AWAITING_OWNER:
            return False
        return is_overdue(self.due_at, now=timezone.now())


class Explanation(models.Model):
    class Category(models.TextChoices):
        NEW_WORKLOAD = "new_workload", "New workload"
        USAGE_GROWTH = "usage_growth", "Usage growth"
        PRICING = "pricing", "Pricing or rate change"
        COMMITMENT = "commitment", "Commitment expiry or change"
        DATA_ISSUE = "data_issue", "Data or tagging issue"
        INCIDENT = "incident", "Incident"
        SEASONAL = "seasonal", "Seasonal"
        OTHER = "other", "Other"

    class Duration(models.TextChoices):
        ONE_OFF = "one_off", "One-off"
        THIS_MONTH = "this_month", "Until the end of this month"
        FEW_MONTHS = "few_months", "A few months"
        ONGOING = "ongoing", "Ongoing (the new normal)"
        UNKNOWN = "unknown", "Not known yet"

    class Outcome(models.TextChoices):
        PENDING = "pending", "Awaiting review"
        ACCEPTED = "accepted", "Accepted"
        SENT_BACK = "sent_back", "Sent back"

    variance = models.ForeignKey(Variance, on_delete=models.CASCADE, related_name="explanations")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.CharField(max_length=16, choices=Category.choices)
    narrative = models.TextField()
    expected_duration = models.CharField(max_length=16, choices=Duration.choices)
    planned_action = models.TextField(blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    review_comment = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    # Not stored: what other layers annotate on a read (selectors.explanation_follow_ups; meetings: the
    # action item made from the planned action). Absent from an instance read without them.
    action_item_id: int | None
    action_item_title: str | None

    class Meta:
        ordering = ["variance", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.narrative[:60]}"


class VarianceTransition(models.Model):
    """The audit of the procedure: every change of state, who made it, when and why."""

    class Action(models.TextChoices):
        DETECT = "detect", "Detected"
        ASSIGN = "assign", "Assigned"
        REASSIGN = "reassign", "Reassigned"
        EXPLAIN = "explain", "Explanation filed"
        ACCEPT = "accept", "Accepted"
        SEND_BACK = "send_back", "Sent back"
        ESCALATE = "escalate", "Escalated"
        CLOSE = "close", "Closed"
        COMMENT = "comment", "Commented"

    variance = models.ForeignKey(Variance, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(max_length=12, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["variance", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.variance_id} {self.from_status or '-'} -> {self.to_status} ({self.action})"
