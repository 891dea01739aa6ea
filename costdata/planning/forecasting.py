"""Month-end projection for one scope from its daily actuals. Pure Decimal arithmetic, no Django.

The method (see docs/variance-method.md for the reasoning and worked examples):

1. Actual month to date = the sum of the month's days up to `data_through` (the last complete day the
   source holds; usually yesterday, since today's figures are not in yet).
2. Run rate = the mean of the basis days: the most recent `window_days` complete days (default 7) that
   are final, looking back at most `lookback_days`. Estimated days are left out because they arrive
   low and are restated upwards. When fewer than `min_final_days` final days exist (Cost Explorer marks
   the whole open month estimated), the trailing window is used as it is and the projection says so.
3. Spike days are then removed from the basis: a day more than `spike_percent` above the basis median
   *and* at least `spike_absolute` above it. One incident must not be extrapolated over the month.
4. Projected month end = actual to date + run rate x days remaining (days after `data_through`).
5. Range: the run rate plus and minus one sample standard deviation of the basis days, applied to every
   remaining day (a level shift persists, so days are not treated as independent); the low rate is
   floored at zero when the run rate is not negative.

Cost Explorer's own forecast (mean and a prediction interval for the rest of the month) replaces ours
when a source gives one: `choose_projection` says which basis was used. Everything is Decimal at full
precision; `quantize_for_display` is for screens only.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from enum import StrEnum

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class DailyFigure:
    """One day's cost for a scope. Several figures for the same day are summed (e.g. one per account)."""

    day: date
    amount: Decimal
    estimated: bool = False


class ForecastBasis(StrEnum):
    RUN_RATE = "run_rate"  # the product's own method, above
    COST_EXPLORER = "cost_explorer"  # the source's forecast
    ACTUAL = "actual"  # the month is complete: the actual is the month's figure
    INSUFFICIENT_DATA = "insufficient_data"  # no complete day to base a rate on: projection = actual


@dataclass(frozen=True)
class RunRateSettings:
    window_days: int = 7
    lookback_days: int = 28
    min_final_days: int = 3
    exclude_estimated: bool = True
    spike_percent: Decimal = Decimal(30)
    spike_absolute: Decimal = Decimal(100)

    def __post_init__(self) -> None:
        if self.window_days < 1:
            raise ValueError("window_days must be at least 1")
        if self.lookback_days < self.window_days:
            raise ValueError("lookback_days must be at least window_days")
        if not 1 <= self.min_final_days <= self.window_days:
            raise ValueError("min_final_days must be between 1 and window_days")
        if self.spike_percent < 0 or self.spike_absolute < 0:
            raise ValueError("spike thresholds must not be negative")


@dataclass(frozen=True)
class Projection:
    """A month-end projection and everything needed to explain it on screen."""

    month: date  # first day of the month
    data_through: date  # last complete day the source holds
    actual_to_date: Decimal
    days_elapsed: int  # days of the month up to data_through
    days_remaining: int  # days of the month after data_through
    run_rate: Decimal
    run_rate_low: Decimal
    run_rate_high: Decimal
    projected: Decimal
    low: Decimal
    high: Decimal
    basis: ForecastBasis
    basis_days: tuple[date, ...] = ()
    excluded_spikes: tuple[date, ...] = ()
    excluded_estimated: tuple[date, ...] = ()
    basis_includes_estimated: bool = False  # too few final days: estimated days had to be used
    actual_includes_estimated: bool = False  # the month to date may still be restated


@dataclass(frozen=True)
class CostExplorerForecast:
    """Cost Explorer's GetCostForecast result for the rest of a month.

    GetCostForecast forecasts only from its start (today or later) to the end of the period, so by
    default the figures are *added* to the actual to date. A source that already gives a whole-month
    figure sets `includes_actual=True`.
    """

    mean: Decimal
    lower: Decimal
    upper: Decimal
    includes_actual: bool = False

    def __post_init__(self) -> None:
        if not self.lower <= self.mean <= self.upper:
            raise ValueError(
                f"a forecast needs lower <= mean <= upper, got {self.lower} <= {self.mean} <= {self.upper}"
            )


@dataclass(frozen=True)
class ForecastDay:
    """One remaining day of the month as the projection sees it: what the daily chart draws as a band."""

    day: date
    expected: Decimal
    low: Decimal
    high: Decimal


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def parse_month(value: str) -> date | None:
    """The first day of a "YYYY-MM" month (anything after the month is ignored); None if it is not one."""
    try:
        year, month = value.split("-")[:2]
        return date(int(year), int(month), 1)
    except (ValueError, AttributeError):
        return None


def month_end(month: date) -> date:
    """The first day of the next month: months are end-exclusive ranges [month, month_end(month))."""
    return month.replace(day=calendar.monthrange(month.year, month.month)[1]) + timedelta(days=1)


def days_in_month(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def is_spike(amount: Decimal, reference: Decimal, *, percent: Decimal, absolute: Decimal) -> bool:
    """True when amount exceeds reference by at least `absolute` and by at least `percent` percent.

    Both conditions, so a tiny scope's noise (a 5 -> 9 jump) and a huge scope's normal wobble
    (1,000,000 -> 1,000,500) are both ignored. A zero or negative reference has no meaningful percent:
    then any increase of at least `absolute` counts.
    """
    increase = amount - reference
    if increase <= 0 or increase < absolute:
        return False
    if reference <= 0:
        return True
    return increase * HUNDRED >= reference * percent


def median(values: Sequence[Decimal]) -> Decimal:
    if not values:
        raise ValueError("median of no values")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def mean(values: Sequence[Decimal]) -> Decimal:
    if not values:
        raise ValueError("mean of no values")
    return sum(values, ZERO) / len(values)


def sample_standard_deviation(values: Sequence[Decimal]) -> Decimal:
    """Sample standard deviation (n - 1); zero for fewer than two values."""
    if len(values) < 2:
        return ZERO
    centre = mean(values)
    variance = sum(((v - centre) ** 2 for v in values), ZERO) / (len(values) - 1)
    return variance.sqrt()


def aggregate_by_day(daily: Iterable[DailyFigure]) -> dict[date, DailyFigure]:
    """One figure per day: amounts summed, estimated if any part is estimated."""
    totals: dict[date, DailyFigure] = {}
    for figure in daily:
        previous = totals.get(figure.day)
        if previous is None:
            totals[figure.day] = DailyFigure(figure.day, figure.amount, figure.estimated)
        else:
            totals[figure.day] = DailyFigure(
                figure.day, previous.amount + figure.amount, previous.estimated or figure.estimated
            )
    return totals


def filled_series(daily: Iterable[DailyFigure], *, end: date) -> list[DailyFigure]:
    """Every calendar day from the first figure to `end` inclusive, with zero for days without figures.

    A scope with no cost on a day has no row that day: inside the data span that is a real zero.
    Before the first figure there is no data, and after `end` (the source's freshness) none yet.
    """
    by_day = {d: f for d, f in aggregate_by_day(daily).items() if d <= end}
    if not by_day:
        return []
    series = []
    current = min(by_day)
    while current <= end:
        series.append(by_day.get(current, DailyFigure(current, ZERO)))
        current += timedelta(days=1)
    return series


@dataclass(frozen=True)
class _Basis:
    days: tuple[DailyFigure, ...]
    excluded_spikes: tuple[date, ...]
    excluded_estimated: tuple[date, ...]
    includes_estimated: bool


def _choose_basis(series: Sequence[DailyFigure], settings: RunRateSettings) -> _Basis:
    """Steps 2 and 3 of the method: the recent final days, without spike days."""
    recent = list(series[-settings.lookback_days :])
    trailing = recent[-settings.window_days :]
    chosen = trailing
    excluded_estimated: tuple[date, ...] = ()
    includes_estimated = any(f.estimated for f in trailing)
    if settings.exclude_estimated and includes_estimated:
        final = [f for f in recent if not f.estimated][-settings.window_days :]
        if len(final) >= settings.min_final_days:
            chosen = final
            excluded_estimated = tuple(f.day for f in recent if f.estimated and f.day > final[0].day)
            includes_estimated = False
    if not chosen:
        return _Basis((), (), (), False)
    centre = median([f.amount for f in chosen])
    spikes = tuple(
        f.day
        for f in chosen
        if is_spike(f.amount, centre, percent=settings.spike_percent, absolute=settings.spike_absolute)
    )
    kept = tuple(f for f in chosen if f.day not in spikes)
    return _Basis(kept, spikes, excluded_estimated, includes_estimated)


def project_month_end(
    daily: Iterable[DailyFigure],
    *,
    month: date,
    data_through: date,
    settings: RunRateSettings | None = None,
) -> Projection:
    """Project `month`'s total for one scope from its daily figures (any order, any months).

    `daily` should reach back at least `settings.lookback_days` before `data_through` so that the
    first days of a month can use the previous month's rate. Figures after `data_through` are ignored.
    """
    settings = settings or RunRateSettings()
    month = first_of_month(month)
    end = month_end(month)
    series = filled_series(daily, end=data_through)
    in_month = [f for f in series if month <= f.day < end]
    days_elapsed = max(0, min((data_through - month).days + 1, days_in_month(month)))
    so_far = _MonthToDate(
        month=month,
        data_through=data_through,
        actual=sum((f.amount for f in in_month), ZERO),
        actual_estimated=any(f.estimated for f in in_month),
        days_elapsed=days_elapsed,
        days_remaining=days_in_month(month) - days_elapsed,
    )
    if so_far.days_remaining == 0:
        return _flat_projection(so_far, basis=ForecastBasis.ACTUAL)
    basis = _choose_basis(series, settings)
    if not basis.days:
        return _flat_projection(so_far, basis=ForecastBasis.INSUFFICIENT_DATA)
    return _run_rate_projection(so_far, basis)


@dataclass(frozen=True)
class _MonthToDate:
    """Step 1 of the method: what the month holds up to `data_through`."""

    month: date
    data_through: date
    actual: Decimal
    actual_estimated: bool
    days_elapsed: int
    days_remaining: int


def _flat_projection(so_far: _MonthToDate, *, basis: ForecastBasis) -> Projection:
    """The month ends at its actual to date: it is over, or there is no basis for a rate."""
    return Projection(
        month=so_far.month,
        data_through=so_far.data_through,
        actual_to_date=so_far.actual,
        days_elapsed=so_far.days_elapsed,
        days_remaining=so_far.days_remaining,
        run_rate=ZERO,
        run_rate_low=ZERO,
        run_rate_high=ZERO,
        projected=so_far.actual,
        low=so_far.actual,
        high=so_far.actual,
        basis=basis,
        actual_includes_estimated=so_far.actual_estimated,
    )


def _run_rate_projection(so_far: _MonthToDate, basis: _Basis) -> Projection:
    """Steps 4 and 5 of the method: the run rate over the remaining days, with its range."""
    amounts = [f.amount for f in basis.days]
    rate = mean(amounts)
    spread = sample_standard_deviation(amounts)
    rate_low = rate - spread
    if rate >= 0 and rate_low < 0:
        rate_low = ZERO
    rate_high = rate + spread
    remaining = so_far.days_remaining
    return Projection(
        month=so_far.month,
        data_through=so_far.data_through,
        actual_to_date=so_far.actual,
        days_elapsed=so_far.days_elapsed,
        days_remaining=remaining,
        run_rate=rate,
        run_rate_low=rate_low,
        run_rate_high=rate_high,
        projected=so_far.actual + rate * remaining,
        low=so_far.actual + rate_low * remaining,
        high=so_far.actual + rate_high * remaining,
        basis=ForecastBasis.RUN_RATE,
        basis_days=tuple(f.day for f in basis.days),
        excluded_spikes=basis.excluded_spikes,
        excluded_estimated=basis.excluded_estimated,
        basis_includes_estimated=basis.includes_estimated,
        actual_includes_estimated=so_far.actual_estimated,
    )


def choose_projection(own: Projection, cost_explorer: CostExplorerForecast | None) -> Projection:
    """Cost Explorer's forecast where the source gives one for an open month, else our own.

    The returned projection's `basis` says which was used. A complete month keeps its actual: a
    forecast for it would be stale. The run-rate fields stay ours, so the page can still show them.
    """
    if cost_explorer is None or own.basis is ForecastBasis.ACTUAL:
        return own
    offset = ZERO if cost_explorer.includes_actual else own.actual_to_date
    return replace(
        own,
        projected=offset + cost_explorer.mean,
        low=offset + cost_explorer.lower,
        high=offset + cost_explorer.upper,
        basis=ForecastBasis.COST_EXPLORER,
    )


def forecast_days(projection: Projection) -> list[ForecastDay]:
    """The remaining days of the month with the expected daily cost and its range, for the daily chart.

    For a Cost Explorer projection the remaining amount is spread evenly over the remaining days
    (Cost Explorer gives one total per period in our requests).
    """
    if projection.days_remaining == 0:
        return []
    remaining = Decimal(projection.days_remaining)
    expected = (projection.projected - projection.actual_to_date) / remaining
    low = (projection.low - projection.actual_to_date) / remaining
    high = (projection.high - projection.actual_to_date) / remaining
    first = max(projection.data_through + timedelta(days=1), projection.month)
    return [
        ForecastDay(first + timedelta(days=i), expected, low, high) for i in range(projection.days_remaining)
    ]


def quantize_for_storage(amount: Decimal, places: int = 10) -> Decimal:
    """Round half even to the source's precision (Cost Explorer gives up to ten places) for a
    DecimalField: a run rate is a division and carries 28 significant digits otherwise."""
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def quantize_for_display(amount: Decimal, places: int = 2) -> Decimal:
    """Round half up to `places` for a screen or an email. Never store the result as a figure."""
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
