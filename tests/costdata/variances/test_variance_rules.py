"""Variance rules: each kind, both threshold conditions, zero references, natural keys, thresholds."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from costdata.planning.forecasting import DailyFigure
from costdata.variances.rules import (
    Comparison,
    ScopeFigures,
    ScopeKey,
    ScopeType,
    ThresholdOverride,
    Thresholds,
    VarianceKind,
    compare,
    compare_scope,
    detect_variances,
    find_spikes,
    percent_change,
    resolve_thresholds,
)

D = Decimal
TEAM = ScopeKey(ScopeType.TEAM, "payments")
NOV = date(2026, 11, 1)


def figures(**overrides) -> ScopeFigures:
    values = {
        "scope": TEAM,
        "month": NOV,
        "currency": "USD",
        "data_through": date(2026, 11, 15),
        "actual_to_date": D(5000),
        "projected": D(10000),
        "budget": D(10000),
    }
    values.update(overrides)
    return ScopeFigures(**values)


def kinds(found) -> list[VarianceKind]:
    return [f.kind for f in found]


def steady(start: date, end_inclusive: date, amount: str) -> list[DailyFigure]:
    days = (end_inclusive - start).days + 1
    return [DailyFigure(start + timedelta(days=i), D(amount)) for i in range(days)]


def test_on_budget_raises_nothing() -> None:
    assert detect_variances(figures(), Thresholds()) == []


def test_forecast_over_budget_fires_with_its_figures() -> None:
    found = detect_variances(figures(projected=D("11500.50")), Thresholds())
    assert kinds(found) == [VarianceKind.FORECAST_OVER_BUDGET]
    finding = found[0]
    assert finding.observed == D("11500.50")
    assert finding.reference == D(10000)
    assert finding.difference == D("1500.50")
    assert finding.percent == D("15.0050")
    assert finding.actual_to_date == D(5000) and finding.budget == D(10000)
    assert finding.natural_key == ("team:payments", "2026-11", "forecast_over_budget", "")


def test_forecast_over_budget_needs_the_percent() -> None:
    # +900 is over the absolute 100 but only 9 % of the budget.
    assert detect_variances(figures(projected=D(10900)), Thresholds()) == []


def test_forecast_over_budget_needs_the_absolute_amount() -> None:
    # +50 % but only +50 in money.
    small = figures(actual_to_date=D(40), projected=D(150), budget=D(100))
    assert detect_variances(small, Thresholds()) == []
    assert kinds(detect_variances(small, Thresholds(absolute=D(50)))) == [VarianceKind.FORECAST_OVER_BUDGET]


def test_thresholds_are_inclusive() -> None:
    assert kinds(
        detect_variances(figures(projected=D(11000)), Thresholds(percent=D(10), absolute=D(1000)))
    ) == [VarianceKind.FORECAST_OVER_BUDGET]


def test_actual_over_budget_fires_as_well_as_the_forecast() -> None:
    found = detect_variances(figures(actual_to_date=D(12000), projected=D(20000)), Thresholds())
    assert kinds(found) == [VarianceKind.FORECAST_OVER_BUDGET, VarianceKind.ACTUAL_OVER_BUDGET]
    assert found[1].observed == D(12000) and found[1].percent == D(20)


def test_a_complete_month_raises_actual_over_budget_only() -> None:
    closed = figures(data_through=date(2026, 11, 30), actual_to_date=D(12000), projected=D(12000))
    assert closed.month_complete
    assert kinds(detect_variances(closed, Thresholds())) == [VarianceKind.ACTUAL_OVER_BUDGET]


def test_under_spend_fires_on_the_projection() -> None:
    found = detect_variances(figures(projected=D(7000)), Thresholds())
    assert kinds(found) == [VarianceKind.UNDER_SPEND]
    assert found[0].difference == D(-3000) and found[0].percent == D(-30)


def test_under_spend_on_a_complete_month_uses_the_actual() -> None:
    closed = figures(data_through=date(2026, 12, 2), actual_to_date=D(8000), projected=None)
    found = detect_variances(closed, Thresholds())
    assert kinds(found) == [VarianceKind.UNDER_SPEND]
    assert found[0].observed == D(8000)


def test_a_small_shortfall_is_not_under_spend() -> None:
    assert detect_variances(figures(projected=D(9500)), Thresholds()) == []


def test_month_over_month_compares_the_projection_with_the_prior_month() -> None:
    found = detect_variances(figures(budget=None, prior_month_actual=D(8000)), Thresholds())
    assert kinds(found) == [VarianceKind.MONTH_OVER_MONTH]
    assert found[0].reference == D(8000) and found[0].percent == D(25)


def test_no_budget_means_no_budget_kinds() -> None:
    assert detect_variances(figures(budget=None, projected=D(99999)), Thresholds()) == []


def test_a_zero_budget_has_no_percent_and_the_money_decides() -> None:
    found = detect_variances(figures(budget=D(0), actual_to_date=D(60), projected=D(150)), Thresholds())
    assert kinds(found) == [VarianceKind.FORECAST_OVER_BUDGET]
    assert found[0].percent is None
    assert detect_variances(figures(budget=D(0), actual_to_date=D(10), projected=D(50)), Thresholds()) == []


def test_nothing_is_under_spent_against_a_zero_budget() -> None:
    assert detect_variances(figures(budget=D(0), actual_to_date=D(0), projected=D(0)), Thresholds()) == []


def test_a_zero_prior_month_has_no_percent() -> None:
    found = detect_variances(figures(budget=None, prior_month_actual=D(0)), Thresholds())
    assert kinds(found) == [VarianceKind.MONTH_OVER_MONTH]
    assert found[0].percent is None and found[0].difference == D(10000)


def test_percent_change_does_not_divide_by_zero() -> None:
    assert percent_change(D(5), D(0)) is None
    assert percent_change(D(0), D(0)) is None
    assert percent_change(D(1), D(3)) == D("-66.6667")
    assert percent_change(D(-50), D(-100)) == D(50)  # a credit halving is an increase of cost


def test_compare_without_a_reference_is_none() -> None:
    assert compare(D(1), None) is None
    assert compare(D(3), D(2)) == Comparison(D(3), D(2), D(1), D(50))


def test_year_over_year_is_compared_but_never_fires() -> None:
    f = figures(same_month_last_year=D(2000))
    assert compare_scope(f).year_over_year == Comparison(D(10000), D(2000), D(8000), D(400))
    assert detect_variances(f, Thresholds()) == []


def test_compare_scope_uses_the_actual_once_the_month_is_complete() -> None:
    closed = figures(data_through=date(2026, 11, 30), actual_to_date=D(9000), projected=D(12000))
    assert compare_scope(closed).month_end_vs_budget.observed == D(9000)


# --- spikes ---------------------------------------------------------------------------------------


def test_a_spike_day_fires_with_its_day_in_the_key() -> None:
    daily = steady(date(2026, 10, 20), date(2026, 11, 15), "500")
    daily[-5] = DailyFigure(date(2026, 11, 11), D("800"), estimated=True)
    found = detect_variances(figures(daily=daily), Thresholds())
    assert kinds(found) == [VarianceKind.SPIKE]
    spike = found[0]
    assert spike.day == date(2026, 11, 11)
    assert spike.day_estimated
    assert (spike.observed, spike.reference, spike.difference, spike.percent) == (
        D(800),
        D(500),
        D(300),
        D(60),
    )
    assert spike.natural_key == ("team:payments", "2026-11", "spike", "2026-11-11")


def test_a_spike_needs_thirty_percent() -> None:
    daily = steady(date(2026, 10, 20), date(2026, 11, 15), "1000")
    daily[-1] = DailyFigure(date(2026, 11, 15), D("1299"))
    assert find_spikes(daily, month=NOV, data_through=date(2026, 11, 15), thresholds=Thresholds()) == []
    daily[-1] = DailyFigure(date(2026, 11, 15), D("1300"))
    assert [
        s.day for s in find_spikes(daily, month=NOV, data_through=date(2026, 11, 15), thresholds=Thresholds())
    ] == [date(2026, 11, 15)]


def test_a_spike_needs_at_least_one_hundred_in_money() -> None:
    daily = steady(date(2026, 10, 20), date(2026, 11, 15), "50")
    daily[-1] = DailyFigure(date(2026, 11, 15), D("149"))  # +198 %, +99
    assert find_spikes(daily, month=NOV, data_through=date(2026, 11, 15), thresholds=Thresholds()) == []


def test_the_trailing_window_is_fourteen_days_by_default() -> None:
    # 14 days at 100 right before the day; older days at 1000 must not count.
    daily = steady(date(2026, 10, 1), date(2026, 10, 27), "1000") + steady(
        date(2026, 10, 28), date(2026, 11, 10), "100"
    )
    daily.append(DailyFigure(date(2026, 11, 11), D(200)))
    spikes = find_spikes(daily, month=NOV, data_through=date(2026, 11, 11), thresholds=Thresholds())
    assert [(s.day, s.trailing_mean, s.trailing_days) for s in spikes] == [(date(2026, 11, 11), D(100), 14)]


def test_the_first_days_of_a_month_are_tested_against_the_previous_month() -> None:
    daily = steady(date(2026, 10, 10), date(2026, 10, 31), "300") + [DailyFigure(date(2026, 11, 1), D(900))]
    spikes = find_spikes(daily, month=NOV, data_through=date(2026, 11, 1), thresholds=Thresholds())
    assert [s.day for s in spikes] == [date(2026, 11, 1)]


def test_a_day_with_too_little_history_is_not_judged() -> None:
    daily = steady(date(2026, 11, 1), date(2026, 11, 3), "10") + [DailyFigure(date(2026, 11, 4), D(5000))]
    assert find_spikes(daily, month=NOV, data_through=date(2026, 11, 4), thresholds=Thresholds()) == []


def test_days_without_figures_are_zero_inside_the_data_span() -> None:
    daily = [DailyFigure(date(2026, 10, 20), D(0)), DailyFigure(date(2026, 11, 5), D(150))]
    spikes = find_spikes(daily, month=NOV, data_through=date(2026, 11, 5), thresholds=Thresholds())
    assert [(s.day, s.trailing_mean) for s in spikes] == [(date(2026, 11, 5), D(0))]


def test_spikes_outside_the_month_or_after_data_through_are_ignored() -> None:
    daily = steady(date(2026, 10, 1), date(2026, 11, 20), "100")
    daily[20] = DailyFigure(date(2026, 10, 21), D(900))  # October
    daily[-1] = DailyFigure(date(2026, 11, 20), D(900))  # after data_through
    assert find_spikes(daily, month=NOV, data_through=date(2026, 11, 19), thresholds=Thresholds()) == []


def test_a_spike_test_can_use_other_settings() -> None:
    daily = steady(date(2026, 10, 20), date(2026, 11, 15), "100")
    daily[-1] = DailyFigure(date(2026, 11, 15), D(150))
    t = Thresholds(spike_percent=D(20), spike_absolute=D(40), spike_trailing_days=7, spike_min_history_days=7)
    assert [
        s.trailing_days for s in find_spikes(daily, month=NOV, data_through=date(2026, 11, 15), thresholds=t)
    ] == [7]


def test_a_rerun_gives_the_same_keys_with_updated_figures() -> None:
    first = detect_variances(figures(projected=D(12000)), Thresholds())
    second = detect_variances(figures(actual_to_date=D(6000), projected=D(12500)), Thresholds())
    assert [f.natural_key for f in first] == [f.natural_key for f in second]
    assert second[0].observed == D(12500) and second[0].actual_to_date == D(6000)


def test_the_month_in_the_key_is_the_first_of_the_month() -> None:
    found = detect_variances(figures(month=date(2026, 11, 17), projected=D(12000)), Thresholds())
    assert found[0].month == NOV and found[0].natural_key[1] == "2026-11"


def test_all_kinds_can_fire_together_in_order() -> None:
    daily = steady(date(2026, 10, 20), date(2026, 11, 15), "100")
    daily[-2] = DailyFigure(date(2026, 11, 14), D(400))
    f = figures(actual_to_date=D(12000), projected=D(20000), prior_month_actual=D(9000), daily=daily)
    assert kinds(detect_variances(f, Thresholds())) == [
        VarianceKind.FORECAST_OVER_BUDGET,
        VarianceKind.ACTUAL_OVER_BUDGET,
        VarianceKind.SPIKE,
        VarianceKind.MONTH_OVER_MONTH,
    ]


# --- thresholds -----------------------------------------------------------------------------------


def test_the_most_specific_override_wins_field_by_field() -> None:
    account = ThresholdOverride(percent=D(5))
    unit = ThresholdOverride(percent=D(20), absolute=D(1000))
    organisation = ThresholdOverride(absolute=D(500), spike_trailing_days=21)
    resolved = resolve_thresholds([account, None, unit, organisation])
    assert resolved == Thresholds(percent=D(5), absolute=D(1000), spike_trailing_days=21)


def test_with_no_overrides_the_defaults_apply() -> None:
    assert resolve_thresholds([]) == Thresholds(
        percent=D(10), absolute=D(100), spike_percent=D(30), spike_absolute=D(100), spike_trailing_days=14
    )


def test_a_given_default_replaces_the_built_in_one() -> None:
    base = Thresholds(percent=D(15))
    assert resolve_thresholds([ThresholdOverride(absolute=D(1))], default=base) == Thresholds(
        percent=D(15), absolute=D(1)
    )


def test_thresholds_refuse_negative_values() -> None:
    with pytest.raises(ValueError, match="percent must not be negative"):
        Thresholds(percent=D(-1))
    with pytest.raises(ValueError, match="spike_trailing_days"):
        Thresholds(spike_trailing_days=0)
    with pytest.raises(ValueError, match="spike_min_history_days"):
        resolve_thresholds([ThresholdOverride(spike_trailing_days=3)])


def test_scope_keys_are_stable_text() -> None:
    assert ScopeKey(ScopeType.TAG, "cost-centre=42").natural == "tag:cost-centre=42"
    assert ScopeKey(ScopeType.ORGANISATION).natural == "organisation:"


money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@given(actual=money, projected=money, budget=money, prior=money)
def test_over_and_under_budget_never_fire_together(actual, projected, budget, prior) -> None:
    found = kinds(
        detect_variances(
            figures(
                actual_to_date=actual,
                projected=max(actual, projected),
                budget=budget,
                prior_month_actual=prior,
            ),
            Thresholds(),
        )
    )
    assert not (VarianceKind.UNDER_SPEND in found and VarianceKind.FORECAST_OVER_BUDGET in found)
    assert len(set(found)) == len(found)


@given(observed=money, reference=money)
def test_the_difference_is_exact(observed, reference) -> None:
    c = compare(observed, reference)
    assert c.observed - c.reference == c.difference
    assert (c.percent is None) == (reference == 0)


def test_kinds_and_scope_types_have_readable_labels() -> None:
    assert VarianceKind.FORECAST_OVER_BUDGET.label == "Forecast over budget"
    assert VarianceKind.MONTH_OVER_MONTH.label == "Month over month"
    assert ScopeType.BUSINESS_UNIT.label == "Business unit"
