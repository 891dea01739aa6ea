"""Budgets (a fiscal year's plan, its versions and their monthly lines), Cost Explorer's month forecast,
and the scopes a budget line, a threshold or a variance is set for."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from costdata.ingestion.models import CostSource
from costdata.money import money_field

# Scope of a budget line, a threshold or a variance (the values: costdata.variances.rules.ScopeType); a
# tag value is written `key=value`, an organisation's value is empty.


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
