"""Which variances a scope's figures for a month raise. Pure Decimal rules, no Django.

The detector (a Django service) gathers each scope's figures for a month, resolves its thresholds and
calls `detect_variances`. Every finding carries a stable natural key (scope, month, kind and, for a
spike, the day), so running detection again while the month is open updates the variance that key
names instead of opening a duplicate; the figures at detection travel with the finding.

Rules (each needs BOTH the percent and the absolute condition, so neither a tiny scope's noise nor a
huge scope's normal wobble opens work for anyone):

- forecast over budget: projected month end above budget (open months only; a complete month's
  projection is its actual, and "actual over budget" speaks for it).
- actual over budget: actual month to date already above the whole month's budget.
- under-spend: projected month end (or the actual, once the month is complete) below budget.
- month over month: projected month end (or actual) above the prior month's actual. A partial month
  is never compared with a whole one.
- spike: a complete day of the month above the mean of the trailing `spike_trailing_days` days
  (defaults: 14 days, +30 % and at least 100 in the currency).

Percentages are `difference / reference x 100`, quantised to 0.0001. A zero reference (a zero budget,
a prior month with no cost) has no percentage: the figure is `None`, and the percent condition counts
as met for an increase (anything above nothing is infinitely more) and as not met for a decrease
(nothing can be under-spent against a zero budget). Only the absolute condition then decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from costdata.planning.forecasting import DailyFigure, filled_series, first_of_month, month_end

ZERO = Decimal(0)
HUNDRED = Decimal(100)
PERCENT_QUANTUM = Decimal("0.0001")


class ScopeType(StrEnum):
    ORGANISATION = "organisation"
    BUSINESS_UNIT = "business_unit"
    TEAM = "team"
    ACCOUNT = "account"
    SERVICE = "service"
    TAG = "tag"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True, order=True)
class ScopeKey:
    """What a budget, a threshold or a variance is about. Tag values are written `key=value`."""

    scope_type: ScopeType
    value: str = ""

    @property
    def natural(self) -> str:
        return f"{self.scope_type.value}:{self.value}"


class VarianceKind(StrEnum):
    FORECAST_OVER_BUDGET = "forecast_over_budget"
    ACTUAL_OVER_BUDGET = "actual_over_budget"
    SPIKE = "spike"
    MONTH_OVER_MONTH = "month_over_month"
    UNDER_SPEND = "under_spend"

    @property
    def label(self) -> str:
        """The name people read ("Forecast over budget"); the value is what is stored."""
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Thresholds:
    """When a difference is worth somebody's time. Percent in percent points, absolute in the currency."""

    percent: Decimal = Decimal(10)
    absolute: Decimal = Decimal(100)
    spike_percent: Decimal = Decimal(30)
    spike_absolute: Decimal = Decimal(100)
    spike_trailing_days: int = 14
    spike_min_history_days: int = 7

    def __post_init__(self) -> None:
        for name in ("percent", "absolute", "spike_percent", "spike_absolute"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.spike_trailing_days < 1:
            raise ValueError("spike_trailing_days must be at least 1")
        if not 1 <= self.spike_min_history_days <= self.spike_trailing_days:
            raise ValueError("spike_min_history_days must be between 1 and spike_trailing_days")


@dataclass(frozen=True)
class ThresholdOverride:
    """A scope's (or the organisation's) settings; None inherits from the next level."""

    percent: Decimal | None = None
    absolute: Decimal | None = None
    spike_percent: Decimal | None = None
    spike_absolute: Decimal | None = None
    spike_trailing_days: int | None = None
    spike_min_history_days: int | None = None


def resolve_thresholds(
    chain: Iterable[ThresholdOverride | None], *, default: Thresholds | None = None
) -> Thresholds:
    """Merge overrides field by field, most specific first: the first non-None value wins.

    The detector passes e.g. [the account's settings, its business unit's, the organisation's]; a
    missing level is None. Whatever nobody set comes from `default` (the built-in defaults).
    """
    base = default or Thresholds()
    values = {f.name: None for f in fields(ThresholdOverride)}
    for override in chain:
        if override is None:
            continue
        for name, current in values.items():
            if current is None:
                values[name] = getattr(override, name)
    merged = {name: (value if value is not None else getattr(base, name)) for name, value in values.items()}
    return Thresholds(**merged)


@dataclass(frozen=True)
class Comparison:
    """observed against reference: the money difference and the percent (None for a zero reference)."""

    observed: Decimal
    reference: Decimal
    difference: Decimal
    percent: Decimal | None


def percent_change(observed: Decimal, reference: Decimal) -> Decimal | None:
    """(observed - reference) / |reference| x 100, quantised to 0.0001; None when reference is zero."""
    if reference == 0:
        return None
    return ((observed - reference) * HUNDRED / abs(reference)).quantize(
        PERCENT_QUANTUM, rounding=ROUND_HALF_EVEN
    )


def compare(observed: Decimal, reference: Decimal | None) -> Comparison | None:
    if reference is None:
        return None
    return Comparison(observed, reference, observed - reference, percent_change(observed, reference))


def exceeds(comparison: Comparison, *, percent: Decimal, absolute: Decimal) -> bool:
    """observed is above reference by at least `absolute` and at least `percent` percent."""
    if comparison.difference <= 0 or comparison.difference < absolute:
        return False
    if comparison.percent is None:
        return True  # above a zero reference: the money alone decides
    return comparison.percent >= percent


def falls_short(comparison: Comparison, *, percent: Decimal, absolute: Decimal) -> bool:
    """observed is below reference by at least `absolute` and at least `percent` percent."""
    shortfall = -comparison.difference
    if shortfall <= 0 or shortfall < absolute or comparison.percent is None:
        return False
    return -comparison.percent >= percent


@dataclass(frozen=True)
class ScopeFigures:
    """Everything detection needs about one scope and one month. Amounts in one currency.

    `daily` should cover the month and at least `spike_trailing_days` before it, so the first days of
    a month can be tested against the end of the previous one. `data_through` is the last complete
    day the source holds; the month is complete once it reaches the month's last day.
    """

    scope: ScopeKey
    month: date
    currency: str
    data_through: date
    actual_to_date: Decimal
    projected: Decimal | None = None
    budget: Decimal | None = None
    prior_month_actual: Decimal | None = None
    same_month_last_year: Decimal | None = None
    daily: Sequence[DailyFigure] = ()

    @property
    def month_complete(self) -> bool:
        return self.data_through >= month_end(first_of_month(self.month)) - timedelta(days=1)

    @property
    def expected_month_end(self) -> Decimal | None:
        """The month's figure to judge: the actual once complete, else the projection."""
        return self.actual_to_date if self.month_complete else self.projected


@dataclass(frozen=True)
class ScopeComparisons:
    """The differences a scope page and the review pack show, whether or not anything fired."""

    month_end_vs_budget: Comparison | None
    actual_vs_budget: Comparison | None
    month_over_month: Comparison | None
    year_over_year: Comparison | None


def compare_scope(figures: ScopeFigures) -> ScopeComparisons:
    expected = figures.expected_month_end
    return ScopeComparisons(
        month_end_vs_budget=compare(expected, figures.budget) if expected is not None else None,
        actual_vs_budget=compare(figures.actual_to_date, figures.budget),
        month_over_month=compare(expected, figures.prior_month_actual) if expected is not None else None,
        year_over_year=compare(expected, figures.same_month_last_year) if expected is not None else None,
    )


@dataclass(frozen=True)
class Finding:
    """One variance detection wants to exist, with the figures at detection.

    `observed` against `reference` is what fired (e.g. projected against budget; a spike day's cost
    against its trailing run rate); the other figures are the scope's context at the time.
    """

    scope: ScopeKey
    month: date
    kind: VarianceKind
    currency: str
    observed: Decimal
    reference: Decimal
    difference: Decimal
    percent: Decimal | None
    day: date | None = None
    day_estimated: bool = False
    actual_to_date: Decimal = ZERO
    projected: Decimal | None = None
    budget: Decimal | None = None
    prior_month_actual: Decimal | None = None
    same_month_last_year: Decimal | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)

    @property
    def natural_key(self) -> tuple[str, str, str, str]:
        """(scope, YYYY-MM, kind, day or ""): unique per variance; reruns update, never duplicate."""
        return (
            self.scope.natural,
            self.month.strftime("%Y-%m"),
            self.kind.value,
            self.day.isoformat() if self.day else "",
        )


@dataclass(frozen=True)
class SpikeDay:
    day: date
    amount: Decimal
    trailing_mean: Decimal
    trailing_days: int
    estimated: bool


def find_spikes(
    daily: Iterable[DailyFigure], *, month: date, data_through: date, thresholds: Thresholds
) -> list[SpikeDay]:
    """Complete days of `month` whose cost exceeds the mean of the trailing days by both thresholds.

    The trailing window is the `spike_trailing_days` calendar days before the day, inside the data
    span (days without figures there cost zero); a day with fewer than `spike_min_history_days` days
    of history is not judged, so a new scope's first week is not all spikes.
    """
    month = first_of_month(month)
    end = min(month_end(month) - timedelta(days=1), data_through)
    series = filled_series(daily, end=end)
    spikes = []
    for index, figure in enumerate(series):
        if figure.day < month:
            continue
        history = series[max(0, index - thresholds.spike_trailing_days) : index]
        if len(history) < thresholds.spike_min_history_days:
            continue
        trailing = sum((f.amount for f in history), ZERO) / len(history)
        comparison = compare(figure.amount, trailing)
        assert comparison is not None
        if exceeds(comparison, percent=thresholds.spike_percent, absolute=thresholds.spike_absolute):
            spikes.append(SpikeDay(figure.day, figure.amount, trailing, len(history), figure.estimated))
    return spikes


def _finding(
    figures: ScopeFigures,
    thresholds: Thresholds,
    kind: VarianceKind,
    comparison: Comparison,
    spike: SpikeDay | None = None,
) -> Finding:
    return Finding(
        scope=figures.scope,
        month=first_of_month(figures.month),
        kind=kind,
        currency=figures.currency,
        observed=comparison.observed,
        reference=comparison.reference,
        difference=comparison.difference,
        percent=comparison.percent,
        day=spike.day if spike else None,
        day_estimated=spike.estimated if spike else False,
        actual_to_date=figures.actual_to_date,
        projected=figures.projected,
        budget=figures.budget,
        prior_month_actual=figures.prior_month_actual,
        same_month_last_year=figures.same_month_last_year,
        thresholds=thresholds,
    )


def detect_variances(figures: ScopeFigures, thresholds: Thresholds) -> list[Finding]:
    """Every variance the figures raise, in a stable order (kind order above, then spike day)."""
    percent, absolute = thresholds.percent, thresholds.absolute
    compared = compare_scope(figures)
    findings: list[Finding] = []
    month_end_vs_budget = compared.month_end_vs_budget
    if not figures.month_complete and month_end_vs_budget is not None:
        if exceeds(month_end_vs_budget, percent=percent, absolute=absolute):
            findings.append(
                _finding(figures, thresholds, VarianceKind.FORECAST_OVER_BUDGET, month_end_vs_budget)
            )
    if compared.actual_vs_budget and exceeds(compared.actual_vs_budget, percent=percent, absolute=absolute):
        findings.append(
            _finding(figures, thresholds, VarianceKind.ACTUAL_OVER_BUDGET, compared.actual_vs_budget)
        )
    spikes = find_spikes(
        figures.daily, month=figures.month, data_through=figures.data_through, thresholds=thresholds
    )
    for spike in spikes:
        comparison = Comparison(
            spike.amount,
            spike.trailing_mean,
            spike.amount - spike.trailing_mean,
            percent_change(spike.amount, spike.trailing_mean),
        )
        findings.append(_finding(figures, thresholds, VarianceKind.SPIKE, comparison, spike))
    if compared.month_over_month and exceeds(compared.month_over_month, percent=percent, absolute=absolute):
        findings.append(
            _finding(figures, thresholds, VarianceKind.MONTH_OVER_MONTH, compared.month_over_month)
        )
    if month_end_vs_budget and falls_short(month_end_vs_budget, percent=percent, absolute=absolute):
        findings.append(_finding(figures, thresholds, VarianceKind.UNDER_SPEND, month_end_vs_budget))
    return findings
