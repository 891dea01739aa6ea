"""Where cost data comes from: the sources, each pull or import of them (a run), and the accounts they name."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

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

    # Not stored: the source's freshness (facts.selectors.source_freshness), which the API puts on an
    # instance before serialising it.
    data_up_to: date | None
    refreshed_at: datetime | None
    estimated_days: int
    last_run: IngestionRun | None

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
