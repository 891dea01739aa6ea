"""Reads for cost data: freshness, run history, request spend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, DateField, F, IntegerField, Max, Q, QuerySet, Sum
from django.db.models.functions import Cast, TruncMonth
from django.utils import timezone

from costdata.commitments.models import CommitmentMetric
from costdata.facts.models import DailyAccountCost, DailyCost, DailyServiceCost, DailyTagCost, MonthlyCost
from costdata.ingestion.models import CostSource, IngestionRun
from costdata.money import as_decimal, exact_sum
from costdata.planning.models import CostForecast


@dataclass(frozen=True)
class Freshness:
    data_up_to: date | None
    refreshed_at: datetime | None
    estimated_days: int
    last_run: IngestionRun | None

    @property
    def refreshed_just_now(self) -> bool:
        return self.refreshed_at is not None and (timezone.now() - self.refreshed_at).total_seconds() < 60


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


def month_to_date_totals(*, today: date | None = None, visible: Q | None = None) -> list[dict[str, object]]:
    """This month's unblended cost so far, one line per currency (of the rows in `visible`, if given)."""
    today = today or timezone.localdate()
    facts = DailyCost.objects.filter(visible) if visible is not None else DailyCost.objects.all()
    rows = (
        facts.filter(day__gte=today.replace(day=1), day__lt=today)
        .values("currency")
        .annotate(amount=exact_sum("unblended"))
        .order_by("currency")
    )
    return [{"currency": row["currency"], "amount": as_decimal(row["amount"])} for row in rows]


# --- costs, as the API and the dashboards read them -------------------------------------------------
GROUPINGS = ("day", "month", "account", "service", "provider", "source")
BASES = ("unblended", "amortized")


@dataclass(frozen=True)
class CostQuery:
    """A validated read: [start, end) grouped by up to two keys (see costdata.facts.serializers.CostQuerySerializer)."""

    start: date
    end: date
    group_by: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    source_ids: tuple[int, ...] = ()
    basis: str = "unblended"

    @property
    def tag_key(self) -> str | None:
        for key in self.group_by:
            if key.startswith("tag:"):
                return key.removeprefix("tag:")
        return None

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple("tag" if key.startswith("tag:") else key for key in self.group_by)


def grouping_alias(name: str) -> str:
    """The name a grouping's value has in cost_rows' dicts (the model's own field names are taken)."""
    return f"k_{name}"


def _grouping_expressions(query: CostQuery, *, monthly: bool) -> dict[str, Any]:
    expressions: dict[str, Any] = {}
    for key in query.group_by:
        if key == "day":
            expression: Any = F("day")
        elif key == "month":
            expression = F("month") if monthly else TruncMonth("day", output_field=DateField())
        elif key == "account":
            expression = F("account_id")
        elif key in ("service", "provider"):
            expression = F(key)
        elif key == "source":
            expression = F("source__name")
        else:
            expression = F("tag_value")
        expressions[grouping_alias("tag" if key.startswith("tag:") else key)] = expression
    return expressions


def _uses_monthly_rollup(query: CostQuery) -> bool:
    """Whole months without a day breakdown read the monthly rollup: 30 times fewer rows."""
    return (
        query.tag_key is None and "day" not in query.group_by and query.start.day == 1 and query.end.day == 1
    )


def condition_fields(condition: Q) -> set[str]:
    """The model fields a condition looks at (the first part of each lookup), e.g. {"account_id"}."""
    fields: set[str] = set()
    for child in condition.children:
        if isinstance(child, Q):
            fields |= condition_fields(child)
        elif isinstance(child, tuple) and len(child) == 2:
            fields.add(str(child[0]).split("__", 1)[0])
        else:
            fields.add("<expression>")  # an expression (Exists, ...): only the facts answer it
    return fields


# Columns every daily rollup keeps besides its one dimension (account_id or service).
_ROLLUP_COMMON_FIELDS = {"source", "source_id", "day", "provider", "currency", "estimated"}


def _daily_rollup_answering(
    query: CostQuery, visible: Q | None
) -> type[DailyAccountCost] | type[DailyServiceCost] | None:
    """The daily rollup that answers a service-grain query exactly, if one does: the groupings, the
    filters and the reader's visibility together look at accounts only (DailyAccountCost) or at
    services only (DailyServiceCost); rows are 50 to 300 times fewer than the facts'. A query on both
    (or on anything else) needs the facts."""
    fields: set[str] = set()
    if "account" in query.group_by or query.accounts:
        fields.add("account_id")
    if "service" in query.group_by or query.services:
        fields.add("service")
    if visible is not None:
        fields |= condition_fields(visible)
    fields -= _ROLLUP_COMMON_FIELDS
    if fields <= {"account_id"}:
        return DailyAccountCost
    if fields == {"service"}:
        return DailyServiceCost
    return None


def facts_version() -> str:
    """Changes whenever the cost facts may have: a replace writes new rows (new ids), every pull and import
    records a run, and deleting or renaming a source shows in the sources' digest. One statement (index
    ends and a few small tables), for caches of what the facts aggregate to (the costs API's pages,
    costdata.facts.data_cache); read on every cached request, so it is kept to a single round trip. It
    also names the database (its oid: a database dropped and created again gets a new one), so two
    databases sharing one cache never share an entry."""
    from django.db import connection

    tables = {model: model._meta.db_table for model in (DailyCost, DailyTagCost, MonthlyCost)}
    runs, sources = IngestionRun._meta.db_table, CostSource._meta.db_table
    digest = f"SELECT md5(coalesce(string_agg(id || ':' || name, ',' ORDER BY id), '')) FROM {sources}"
    database = "SELECT oid FROM pg_database WHERE datname = current_database()"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT (SELECT max(id) FROM {tables[DailyCost]}), (SELECT max(id) FROM {tables[DailyTagCost]}),
                   (SELECT max(id) FROM {tables[MonthlyCost]}),
                   (SELECT count(*) FROM {runs}), (SELECT max(id) FROM {runs}),
                   (SELECT CAST(max(finished_at) AS TEXT) FROM {runs}),
                   ({digest}), ({database})
            """
        )
        *figures, listed, oid = (str(value) for value in cursor.fetchone())
    return "|".join([*figures, listed, oid])


def cost_rows(*, query: CostQuery, visible: Q | None = None, visible_tags: Q | None = None) -> QuerySet:
    """Amounts aggregated in the database: one row per grouping and currency, sorted by the keys.

    Each row: the grouping values under grouping_alias(name) (`k_day`, `k_month`, `k_account`, ...,
    `k_tag` for tag:KEY), `amount` (the exact sum; read it with costdata.money.as_decimal), `currency`,
    `estimated` (1 if any day in it is still estimated). A
    tag grouping reads the tag grain (DailyTagCost), everything else the service grain, so the two are
    never added together; the service grain is read from its rollups whenever one answers the query
    exactly (whole months: MonthlyCost; otherwise DailyAccountCost or DailyServiceCost when the query
    and the reader's visibility look at accounts only or services only), equal to the last digit. `visible` (service grain) and `visible_tags` (tag grain) restrict the rows to
    what the reader may see (costdata.permissions.cost_filter); None reads every row.
    """
    monthly = _uses_monthly_rollup(query)
    if query.tag_key is not None:
        facts: QuerySet = DailyTagCost.objects.filter(
            tag_key=query.tag_key, day__gte=query.start, day__lt=query.end
        )
    elif monthly:
        facts = MonthlyCost.objects.filter(month__gte=query.start, month__lt=query.end)
    else:
        daily = _daily_rollup_answering(query, visible) or DailyCost
        facts = daily.objects.filter(day__gte=query.start, day__lt=query.end)
    restriction = visible_tags if query.tag_key is not None else visible
    if restriction is not None:
        facts = facts.filter(restriction)
    if query.accounts:
        facts = facts.filter(account_id__in=query.accounts)
    if query.services:
        facts = facts.filter(service__in=query.services)
    if query.source_ids:
        facts = facts.filter(source_id__in=query.source_ids)
    groupings = _grouping_expressions(query, monthly=monthly)
    names = list(groupings)
    return (
        facts.annotate(**groupings)
        .values(*names, "currency")
        .annotate(
            amount=exact_sum(query.basis),
            estimated=Max(Cast("estimated", IntegerField())),
        )
        .order_by(*names, "currency")
    )


@dataclass(frozen=True)
class SourceInsights:
    month: date
    month_to_date: list[dict[str, Any]]  # [{"currency", "amount"}], unblended, this month so far
    forecast: CostForecast | None
    commitments: list[CommitmentMetric]

    @property
    def month_forecast_total(self) -> Decimal | None:
        """Actual so far plus the forecast of the rest of the month, when both are in one currency."""
        if self.forecast is None:
            return None
        actual = [row for row in self.month_to_date if row["currency"] == self.forecast.currency]
        before = sum((row["amount"] for row in actual), Decimal(0))
        return before + self.forecast.amount


def source_insights(*, source: CostSource, today: date | None = None) -> SourceInsights:
    """This month for one source: spend so far, the forecast for the rest, commitment coverage."""
    today = today or timezone.localdate()
    month = today.replace(day=1)
    month_to_date = [
        {"currency": row["currency"], "amount": as_decimal(row["amount"])}
        for row in DailyCost.objects.filter(source=source, day__gte=month, day__lt=today)
        .values("currency")
        .annotate(amount=exact_sum("unblended"))
        .order_by("currency")
    ]
    return SourceInsights(
        month=month,
        month_to_date=month_to_date,
        forecast=source.forecasts.filter(month=month).first(),
        commitments=list(source.commitments.filter(month__lte=month).order_by("-month", "kind")[:2]),
    )
