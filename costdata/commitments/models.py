"""Cost Explorer's Savings Plans and Reserved Instance figures, a month at a time."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone

from costdata.ingestion.models import CostSource
from costdata.money import money_field


def percent_field() -> models.DecimalField[Decimal | int | str | None, Decimal | None]:
    """A percentage as Cost Explorer gives it (up to ten decimal places); empty when it gives none."""
    return models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)


class CommitmentMetric(models.Model):
    """Savings Plans or Reserved Instance coverage and utilisation for a month (to date)."""

    class Kind(models.TextChoices):
        SAVINGS_PLANS = "savings_plans", "Savings Plans"
        RESERVATIONS = "reservations", "Reserved Instances"

    source = models.ForeignKey(CostSource, on_delete=models.CASCADE, related_name="commitments")
    month = models.DateField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    coverage_percent = percent_field()
    utilisation_percent = percent_field()
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
