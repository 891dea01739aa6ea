"""Cost sources, their ingestion runs, and the daily cost facts they load.

Two fact tables keep the two Cost Explorer queries apart so that they can never be added together:
DailyCost is the (day, account, service) grain, DailyTagCost the (day, account, tag key, tag value)
grain. Summing either one for a window gives the source's total for that window exactly.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

# Cost Explorer returns up to ten decimal places, FOCUS files eleven: keep twelve.
MONEY = {"max_digits": 30, "decimal_places": 12}

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
        from django.conf import settings

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


class DailyCost(models.Model):
    source = models.ForeignKey(CostSource, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    provider = models.CharField(max_length=50, default="AWS")
    account_id = models.CharField(max_length=100)
    service = models.CharField(max_length=255)
    unblended = models.DecimalField(**MONEY)
    amortized = models.DecimalField(**MONEY)
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
    source = models.ForeignKey(CostSource, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    provider = models.CharField(max_length=50, default="AWS")
    account_id = models.CharField(max_length=100)
    tag_key = models.CharField(max_length=128)
    tag_value = models.CharField(max_length=256, blank=True, help_text="Empty means untagged.")
    unblended = models.DecimalField(**MONEY)
    amortized = models.DecimalField(**MONEY)
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
    unblended = models.DecimalField(**MONEY)
    amortized = models.DecimalField(**MONEY)
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


PERCENT = {"max_digits": 20, "decimal_places": 10, "null": True, "blank": True}


class CostForecast(models.Model):
    """Cost Explorer's forecast of the rest of a month (GetCostForecast), latest per source and month."""

    source = models.ForeignKey(CostSource, on_delete=models.CASCADE, related_name="forecasts")
    month = models.DateField(help_text="The first of the month forecast.")
    forecast_start = models.DateField()
    forecast_end = models.DateField(help_text="Exclusive.")
    amount = models.DecimalField(**MONEY, help_text="Forecast unblended cost of [start, end).")
    lower = models.DecimalField(**MONEY, null=True, blank=True, help_text="80% prediction interval.")
    upper = models.DecimalField(**MONEY, null=True, blank=True)
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
    on_demand_cost = models.DecimalField(**MONEY, null=True, blank=True)
    covered_cost = models.DecimalField(**MONEY, null=True, blank=True)
    total_commitment = models.DecimalField(**MONEY, null=True, blank=True)
    unused_commitment = models.DecimalField(**MONEY, null=True, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "month", "kind"], name="uniq_commitment_month")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.month:%Y-%m} {self.get_kind_display()}"
