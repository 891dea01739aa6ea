"""Reads for cost data: freshness, run history, request spend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Max, QuerySet, Sum
from django.utils import timezone

from costdata.models import CostSource, DailyCost, IngestionRun


@dataclass(frozen=True)
class Freshness:
    data_up_to: date | None
    refreshed_at: datetime | None
    estimated_days: int
    last_run: IngestionRun | None


def last_successful_run() -> IngestionRun | None:
    return (
        IngestionRun.objects.filter(status=IngestionRun.Status.SUCCEEDED)
        .select_related("source")
        .order_by("-finished_at")
        .first()
    )


def source_freshness(*, source: CostSource) -> Freshness:
    facts = DailyCost.objects.filter(source=source)
    data_up_to = facts.aggregate(day=Max("day"))["day"]
    estimated_days = facts.filter(estimated=True).values("day").distinct().count()
    last_success = source.runs.filter(status=IngestionRun.Status.SUCCEEDED).order_by("-finished_at").first()
    return Freshness(
        data_up_to=data_up_to,
        refreshed_at=last_success.finished_at if last_success else None,
        estimated_days=estimated_days,
        last_run=source.runs.order_by("-started_at", "-id").first(),
    )


def source_requests_this_month(*, source: CostSource, today: date | None = None) -> tuple[int, Decimal]:
    """Cost Explorer requests made this calendar month and what they cost."""
    today = today or timezone.localdate()
    requests = (
        source.runs.filter(started_at__date__gte=today.replace(day=1)).aggregate(n=Sum("requests_made"))["n"]
        or 0
    )
    return requests, requests * settings.COST_EXPLORER_REQUEST_PRICE


def source_list() -> QuerySet[CostSource]:
    return CostSource.objects.annotate(run_count=Count("runs")).order_by("name")


def source_runs(*, source: CostSource) -> QuerySet[IngestionRun]:
    return source.runs.order_by("-started_at", "-id")


def month_to_date_totals(*, today: date | None = None) -> list[dict[str, object]]:
    """This month's unblended cost so far, one line per currency."""
    today = today or timezone.localdate()
    return list(
        DailyCost.objects.filter(day__gte=today.replace(day=1), day__lt=today)
        .values("currency")
        .annotate(amount=Sum("unblended"))
        .order_by("currency")
    )
