"""Cost sources, their ingestion runs, and the daily cost facts they load.

Two fact tables keep the two Cost Explorer queries apart so that they can never be added together:
DailyCost is the (day, account, service) grain, DailyTagCost the (day, account, tag key, tag value)
grain. Summing either one for a window gives the source's total for that window exactly.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from costdata.money import money_field

# Empty is allowed (no role: the standard credential chain is used as it is), and the API schema says so.
role_arn_validator = RegexValidator(
    r"^(arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512})?$",
    "Enter an IAM role ARN such as arn:aws:iam::123456789012:role/CostExplorerReader.",
)


class CostSource(models.Model):
    class Kind(models.TextChoices):
        AWS_COST_EXPLORER = "aws_cost_explorer", "AWS Cost Explorer"
        FOCUS_FILE = "focus_file", "FOCUS file"
        DEMO = "demo", "Demo (generated)"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # Never a secret: credentials come from boto3's standard chain; a role is assumed through STS.
    role_arn = models.CharField(max_length=600, blank=True, validators=[role_arn_validator])
    external_id = models.CharField(
        max_length=1224,
        blank=True,
        help_text="The external id the role's trust policy requires (not a secret).",
    )
    tag_keys = models.JSONField(
        default=list,
        blank=True,
        help_text="Allocation tag keys to pull a breakdown for, e.g. team, cost-centre.",
    )
    active = models.BooleanField(default=True)
    schedule = models.OneToOneField(
        "django_celery_beat.PeriodicTask", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A lease rather than a lock: a worker that dies holding it loses it when it expires.
    locked_until = models.DateTimeField(null=True, blank=True)
    locked_by_run = models.ForeignKey(
        "IngestionRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def pulls_from_cost_explorer(self) -> bool:
        return self.kind in {self.Kind.AWS_COST_EXPLORER, self.Kind.DEMO}

    @property
    def schedule_description(self) -> str:
        """When scheduled pulls run, in words, whichever kind of schedule an admin gave the periodic
        task: "Pulled every 4 hours.", "Pulled at 15 minutes past the hour, every 6 hours UTC." ..."""
        task = self.schedule
        if task is None:
            return "No scheduled pulls." if self.pulls_from_cost_explorer else ""
        if task.interval:
            when = f"every {task.interval.every} {task.interval.get_period_display().lower()}"
            if task.interval.every == 1:
                when = f"every {task.interval.get_period_display().lower().removesuffix('s')}"
        elif task.crontab:
            readable = task.crontab.human_readable
            when = readable[:1].lower() + readable[1:]
        elif task.solar:
            when = f"at {task.solar}"
        elif task.clocked:
            when = f"once, at {task.clocked}"
        else:
            when = "on no schedule"
        paused = "" if task.enabled else " (the schedule is paused)"
        return f"Pulled {when}{paused}."


class IngestionRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (another pull was running)"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Manual"
        BACKFILL = "backfill", "Backfill"
        IMPORT = "import", "File import"

    source = models.ForeignKey(CostSource, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.SCHEDULE)
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True, help_text="Exclusive.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    rows_written = models.PositiveIntegerField(default=0)
    requests_made = models.PositiveIntegerField(default=0)
    estimated_days = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    notes = models.TextField(blank=True, help_text="What the pull could not add but did not fail for.")
    task_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["source", "status", "-finished_at"])]

    def __str__(self) -> str:
        return f"{self.source} {self.window_start}..{self.window_end} {self.status}"

    @property
    def duration_seconds(self) -> float | None:
        if not self.finished_at:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def request_cost(self) -> Decimal:
        return self.requests_made * settings.COST_EXPLORER_REQUEST_PRICE


class CloudAccount(models.Model):
    """An account (AWS linked account, Azure subscription, ...) and the name its source gives it."""

    provider = models.CharField(max_length=50, default="AWS")
    account_id = models.CharField(max_length=100)
    name = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["provider", "account_id"]
        constraints = [models.UniqueConstraint(fields=["provider", "account_id"], name="uniq_cloud_account")]

    def __str__(self) -> str:
        return f"{self.name} ({self.account_id})" if self.name else self.account_id


# The fact tables' link to their source is not a database foreign key: checking one per loaded row
# costs about 4 s of Postgres CPU per million rows (see bench/README.md). The same guarantee is kept for
# their only writers: a window replace takes FOR KEY SHARE on the source row before it writes
# (costdata.facts.services.source_lock_for_facts), and deleting a source first locks that row FOR
# UPDATE (costdata.signals), so one of the two waits for the other: a pull never commits facts for a
# deleted source, and Django's cascade deletes every fact of a source it deletes.
FACT_SOURCE = {"on_delete": models.CASCADE, "related_name": "+", "db_constraint": False, "db_index": False}


class DailyCost(models.Model):
    source = models.ForeignKey(CostSource, **FACT_SOURCE)
    day = models.DateField()
    provider = models.CharField(max_length=50, default="AWS")
    account_id = models.CharField(max_length=100)
    service = models.CharField(max_length=255)
    unblended = money_field()
    amortized = money_field()
    currency = models.CharField(max_length=3)
    estimated = models.BooleanField(default=False)

    class Meta:
        # Every index is paid for on each of a pull's rows (a million-row window: about a second of
        # COPY each), so the fact table keeps only what its reads use. The unique constraint leads with
        # the day: it serves the day-range reads of the API and the dashboards across sources (account
        # and service filters are checked inside the index), the window replace (source and days) and
        # the rollup rebuild. Whole months read MonthlyCost instead. The partial index finds a source's
        # estimated days (freshness, the refresh window) without reading its final ones.
        constraints = [
            models.UniqueConstraint(
                fields=["day", "source", "provider", "account_id", "service", "currency"],
                name="uniq_daily_cost",
            )
        ]
        indexes = [
            models.Index(
                fields=["source", "day"], condition=models.Q(estimated=True), name="dailycost_estimated_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.account_id} {self.service} {self.unblended} {self.currency}"


class DailyTagCost(models.Model):
    source = models.ForeignKey(CostSource, **FACT_SOURCE)
    day = models.DateField()
    provider = models.CharField(max_length=50, default="AWS")
    account_id = models.CharField(max_length=100)
    tag_key = models.CharField(max_length=128)
    tag_value = models.CharField(max_length=256, blank=True, help_text="Empty means untagged.")
    unblended = money_field()
    amortized = money_field()
    currency = models.CharField(max_length=3)
    estimated = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "day", "provider", "account_id", "tag_key", "tag_value", "currency"],
                name="uniq_daily_tag_cost",
            )
        ]
        # Tag reads ask for one tag key over a day range: (tag_key, day) bounds both.
        indexes = [models.Index(fields=["tag_key", "day"], name="dailytagcost_key_day_idx")]

    def __str__(self) -> str:
        return (
            f"{self.day} {self.account_id} {self.tag_key}={self.tag_value} {self.unblended} {self.currency}"
        )


class MonthlyCost(models.Model):
    """DailyCost rolled up by month, rebuilt for the months a pull or import touched, in its transaction.

    A 13-month page reads ~13 rows per (account, service) here instead of ~400 daily rows.
    """

    source = models.ForeignKey(CostSource, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first of the month.")
    provider = models.CharField(max_length=50, default="AWS")
    account_id = models.CharField(max_length=100)
    service = models.CharField(max_length=255)
    unblended = money_field()
    amortized = money_field()
    currency = models.CharField(max_length=3)
    estimated = models.BooleanField(default=False, help_text="True if any day in the month is estimated.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "month", "provider", "account_id", "service", "currency"],
                name="uniq_monthly_cost",
            )
        ]
        indexes = [
            models.Index(fields=["month", "account_id"]),
            models.Index(fields=["month", "service"]),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.account_id} {self.service} {self.unblended} {self.currency}"


class DailyAccountCost(models.Model):
    """DailyCost rolled up to the (source, day, account, currency) grain, for the dashboards' daily reads.

    Rebuilt for the days a pull or import touched, in its transaction (costdata.facts.services.
    daily_rollup_rebuild), so it always equals the facts exactly. 90 days of 300 accounts are 27,000
    rows here instead of 1.2 million facts.
    """

    source = models.ForeignKey(CostSource, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    provider = models.CharField(max_length=50, default="AWS")
    account_id = models.CharField(max_length=100)
    unblended = money_field()
    amortized = money_field()
    currency = models.CharField(max_length=3)
    estimated = models.BooleanField(default=False, help_text="True if any of the day's rows is estimated.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "source", "provider", "account_id", "currency"], name="uniq_daily_account_cost"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.account_id} {self.unblended} {self.currency}"


class DailyServiceCost(models.Model):
    """DailyCost rolled up to the (source, day, service, currency) grain: the daily reads by service
    (top movers by service over part of a month). Rebuilt with DailyAccountCost, in the same statement."""

    source = models.ForeignKey(CostSource, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    provider = models.CharField(max_length=50, default="AWS")
    service = models.CharField(max_length=255)
    unblended = money_field()
    amortized = money_field()
    currency = models.CharField(max_length=3)
    estimated = models.BooleanField(default=False, help_text="True if any of the day's rows is estimated.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "source", "provider", "service", "currency"], name="uniq_daily_service_cost"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.service} {self.unblended} {self.currency}"


PERCENT = {"max_digits": 20, "decimal_places": 10, "null": True, "blank": True}


class CostForecast(models.Model):
    """Cost Explorer's forecast of the rest of a month (GetCostForecast), latest per source and month."""

    source = models.ForeignKey(CostSource, on_delete=models.CASCADE, related_name="forecasts")
    month = models.DateField(help_text="The first of the month forecast.")
    forecast_start = models.DateField()
    forecast_end = models.DateField(help_text="Exclusive.")
    amount = money_field(help_text="Forecast unblended cost of [start, end).")
    lower = money_field(null=True, blank=True, help_text="80% prediction interval.")
    upper = money_field(null=True, blank=True)
    currency = models.CharField(max_length=3)
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "month"], name="uniq_forecast_month")]

    def __str__(self) -> str:
        return f"{self.source} {self.month:%Y-%m} {self.amount} {self.currency}"


class CommitmentMetric(models.Model):
    """Savings Plans or Reserved Instance coverage and utilisation for a month (to date)."""

    class Kind(models.TextChoices):
        SAVINGS_PLANS = "savings_plans", "Savings Plans"
        RESERVATIONS = "reservations", "Reserved Instances"

    source = models.ForeignKey(CostSource, on_delete=models.CASCADE, related_name="commitments")
    month = models.DateField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    coverage_percent = models.DecimalField(**PERCENT)
    utilisation_percent = models.DecimalField(**PERCENT)
    on_demand_cost = money_field(null=True, blank=True)
    covered_cost = money_field(null=True, blank=True)
    total_commitment = money_field(null=True, blank=True)
    unused_commitment = money_field(null=True, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "month", "kind"], name="uniq_commitment_month")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.month:%Y-%m} {self.get_kind_display()}"


# --- budgets, thresholds and variances (issue 5) ------------------------------------------------------
# Scope of a budget line, a threshold or a variance: costdata.variances.rules.ScopeType; a tag value is
# written `key=value`, an organisation's value is empty.


class ScopeType(models.TextChoices):
    ORGANISATION = "organisation", "Organisation"
    BUSINESS_UNIT = "business_unit", "Business unit"
    TEAM = "team", "Team"
    ACCOUNT = "account", "Account"
    SERVICE = "service", "Service"
    TAG = "tag", "Allocation tag"


class Budget(models.Model):
    """A fiscal year's plan. Its versions ("original", "Q2 reforecast") hold the monthly amounts."""

    name = models.CharField(max_length=120)
    fiscal_year = models.PositiveIntegerField(
        unique=True, help_text="Named by the calendar year in which it ends (FY2027)."
    )
    currency = models.CharField(max_length=3, default="USD")
    active_version = models.ForeignKey(
        "BudgetVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The version variances are judged against; the latest one when empty.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-fiscal_year"]

    def __str__(self) -> str:
        return f"{self.name} (FY{self.fiscal_year})"


class BudgetVersion(models.Model):
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=120, help_text='e.g. "Original" or "Q2 reforecast".')
    note = models.TextField(blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["budget", "number"]
        constraints = [
            models.UniqueConstraint(fields=["budget", "number"], name="uniq_budget_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.budget} v{self.number} {self.name}"

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class BudgetLine(models.Model):
    version = models.ForeignKey(BudgetVersion, on_delete=models.CASCADE, related_name="lines")
    scope_type = models.CharField(max_length=16, choices=ScopeType.choices)
    scope_value = models.CharField(max_length=400, blank=True)
    month = models.DateField(help_text="The first of the month.")
    amount = models.DecimalField(max_digits=20, decimal_places=4)
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["version", "scope_type", "scope_value", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "scope_type", "scope_value", "month"], name="uniq_budget_line"
            )
        ]
        indexes = [models.Index(fields=["scope_type", "scope_value", "month"])]

    def __str__(self) -> str:
        return f"{self.scope_type}:{self.scope_value} {self.month:%Y-%m} {self.amount} {self.currency}"


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
        from django.urls import reverse

        return reverse("variance-detail", args=[self.pk])

    @property
    def scope_label(self) -> str:
        if self.scope_type == ScopeType.ORGANISATION:
            return "Organisation"
        return f"{ScopeType(self.scope_type).label.lower()} {self.scope_value}"

    @property
    def due_day(self):
        """The local business day by whose end the explanation is due (due_at is that day's end)."""
        from datetime import timedelta

        if self.due_at is None:
            return None
        return timezone.localtime(self.due_at - timedelta(microseconds=1)).date()

    @property
    def is_overdue(self) -> bool:
        from costdata.variances.business_days import is_overdue

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
