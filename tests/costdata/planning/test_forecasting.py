"""Month-end projection: run rate, estimated and spike days, ranges, Cost Explorer's forecast, edges."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from costdata.planning.forecasting import (
    CostExplorerForecast,
    DailyFigure,
    ForecastBasis,
    RunRateSettings,
    choose_projection,
    forecast_days,
    is_spike,
    median,
    month_end,
    project_month_end,
    quantize_for_display,
    quantize_for_storage,
    sample_standard_deviation,
)

D = Decimal


def flat(
    start: date, end_inclusive: date, amount: str, *, estimated_from: date | None = None
) -> list[DailyFigure]:
    figures = []
    day = start
    while day <= end_inclusive:
        estimated = estimated_from is not None and day >= estimated_from
        figures.append(DailyFigure(day, D(amount), estimated))
        day += timedelta(days=1)
    return figures


def test_a_flat_month_projects_the_rate_over_the_remaining_days() -> None:
    daily = flat(date(2026, 11, 1), date(2026, 11, 10), "100")
    p = project_month_end(daily, month=date(2026, 11, 1), data_through=date(2026, 11, 10))
    assert p.actual_to_date == D(1000)
    assert p.days_elapsed == 10 and p.days_remaining == 20
    assert p.run_rate == D(100)
    assert p.projected == D(3000)
    assert p.low == p.high == D(3000)  # no dispersion, no range
    assert p.basis is ForecastBasis.RUN_RATE
    assert p.basis_days == tuple(date(2026, 11, d) for d in range(4, 11))


def test_the_run_rate_uses_the_trailing_seven_days_only() -> None:
    daily = flat(date(2026, 11, 1), date(2026, 11, 3), "10") + flat(
        date(2026, 11, 4), date(2026, 11, 10), "50"
    )
    p = project_month_end(daily, month=date(2026, 11, 1), data_through=date(2026, 11, 10))
    assert p.run_rate == D(50)
    assert p.actual_to_date == D(30 + 350)
    assert p.projected == D(380) + D(50) * 20


def test_the_window_length_is_a_setting() -> None:
    daily = flat(date(2026, 11, 1), date(2026, 11, 7), "10") + flat(
        date(2026, 11, 8), date(2026, 11, 10), "40"
    )
    p = project_month_end(
        daily,
        month=date(2026, 11, 1),
        data_through=date(2026, 11, 10),
        settings=RunRateSettings(window_days=3, min_final_days=1),
    )
    assert p.run_rate == D(40)


def test_estimated_days_are_left_out_of_the_rate() -> None:
    # The last two days arrive low (estimated) and would drag the rate down.
    daily = flat(date(2026, 11, 1), date(2026, 11, 8), "100") + [
        DailyFigure(date(2026, 11, 9), D("60"), True),
        DailyFigure(date(2026, 11, 10), D("60"), True),
    ]
    p = project_month_end(daily, month=date(2026, 11, 1), data_through=date(2026, 11, 10))
    assert p.run_rate == D(100)
    assert p.excluded_estimated == (date(2026, 11, 9), date(2026, 11, 10))
    assert p.basis_days == tuple(date(2026, 11, d) for d in range(2, 9))
    assert not p.basis_includes_estimated
    assert p.actual_includes_estimated
    assert p.actual_to_date == D(920)  # the month to date still counts every day


def test_estimated_days_are_used_and_flagged_when_too_few_final_days_exist() -> None:
    # Cost Explorer marks the whole open month estimated.
    daily = flat(date(2026, 11, 1), date(2026, 11, 10), "80", estimated_from=date(2026, 11, 1))
    p = project_month_end(daily, month=date(2026, 11, 1), data_through=date(2026, 11, 10))
    assert p.run_rate == D(80)
    assert p.basis_includes_estimated
    assert p.excluded_estimated == ()


def test_excluding_estimated_days_can_be_turned_off() -> None:
    daily = flat(date(2026, 11, 1), date(2026, 11, 8), "100") + [
        DailyFigure(date(2026, 11, 9), D("30"), True)
    ]
    p = project_month_end(
        daily,
        month=date(2026, 11, 1),
        data_through=date(2026, 11, 9),
        settings=RunRateSettings(exclude_estimated=False),
    )
    assert p.run_rate == (D(600) + D(30)) / 7
    assert p.basis_includes_estimated


def test_one_spike_day_does_not_inflate_the_month() -> None:
    daily = flat(date(2026, 11, 1), date(2026, 11, 10), "200")
    daily[7] = DailyFigure(date(2026, 11, 8), D("5000"))  # an incident
    p = project_month_end(daily, month=date(2026, 11, 1), data_through=date(2026, 11, 10))
    assert p.excluded_spikes == (date(2026, 11, 8),)
    assert p.run_rate == D(200)
    assert p.actual_to_date == D(200 * 9 + 5000)  # but the incident's cost is in the actual
    assert p.projected == D(6800) + D(200) * 20


def test_a_rise_below_the_absolute_floor_is_not_a_spike() -> None:
    daily = flat(date(2026, 11, 1), date(2026, 11, 10), "20")
    daily[9] = DailyFigure(date(2026, 11, 10), D("110"))  # +450% but only +90 in money
    p = project_month_end(daily, month=date(2026, 11, 1), data_through=date(2026, 11, 10))
    assert p.excluded_spikes == ()
    assert p.run_rate == (D(20) * 6 + D(110)) / 7


def test_the_range_is_one_standard_deviation_of_the_basis_each_remaining_day() -> None:
    amounts = ["90", "110", "90", "110", "90", "110", "100"]
    daily = [DailyFigure(date(2026, 11, 1) + timedelta(days=i), D(a)) for i, a in enumerate(amounts)]
    p = project_month_end(daily, month=date(2026, 11, 1), data_through=date(2026, 11, 7))
    spread = sample_standard_deviation([D(a) for a in amounts])
    assert p.run_rate == D(100)
    assert p.run_rate_low == D(100) - spread
    assert p.run_rate_high == D(100) + spread
    assert p.low == D(700) + (D(100) - spread) * 23
    assert p.high == D(700) + (D(100) + spread) * 23
    assert p.low < p.projected < p.high


def test_the_low_rate_is_floored_at_zero() -> None:
    amounts = ["0", "0", "0", "0", "0", "0", "70"]
    daily = [DailyFigure(date(2026, 11, 1) + timedelta(days=i), D(a)) for i, a in enumerate(amounts)]
    p = project_month_end(daily, month=date(2026, 11, 1), data_through=date(2026, 11, 7))
    assert p.run_rate_low == 0
    assert p.low == p.actual_to_date


def test_days_without_figures_inside_the_data_span_count_as_zero() -> None:
    daily = [DailyFigure(date(2026, 11, 4), D(70)), DailyFigure(date(2026, 11, 10), D(70))]
    p = project_month_end(daily, month=date(2026, 11, 1), data_through=date(2026, 11, 10))
    assert p.run_rate == D(20)  # 140 over the seven days 4..10


def test_several_figures_for_one_day_are_summed() -> None:
    daily = flat(date(2026, 11, 1), date(2026, 11, 7), "30") + flat(
        date(2026, 11, 1), date(2026, 11, 7), "20"
    )
    p = project_month_end(daily, month=date(2026, 11, 1), data_through=date(2026, 11, 7))
    assert p.run_rate == D(50)
    assert p.actual_to_date == D(350)


def test_figures_after_data_through_are_ignored() -> None:
    daily = flat(date(2026, 11, 1), date(2026, 11, 12), "10")
    p = project_month_end(daily, month=date(2026, 11, 1), data_through=date(2026, 11, 10))
    assert p.actual_to_date == D(100)
    assert p.days_remaining == 20


def test_the_first_day_of_a_month_uses_the_previous_months_rate() -> None:
    daily = flat(date(2026, 10, 1), date(2026, 10, 31), "40")
    p = project_month_end(daily, month=date(2026, 11, 1), data_through=date(2026, 10, 31))
    assert p.actual_to_date == 0
    assert p.days_elapsed == 0 and p.days_remaining == 30
    assert p.run_rate == D(40)
    assert p.projected == D(1200)
    assert p.basis_days[0] == date(2026, 10, 25)


def test_a_complete_month_is_its_actual() -> None:
    daily = flat(date(2026, 10, 1), date(2026, 11, 3), "10")
    p = project_month_end(daily, month=date(2026, 10, 1), data_through=date(2026, 11, 3))
    assert p.basis is ForecastBasis.ACTUAL
    assert p.projected == p.low == p.high == p.actual_to_date == D(310)
    assert p.days_remaining == 0


def test_february_in_a_leap_year_has_twenty_nine_days() -> None:
    daily = flat(date(2028, 2, 1), date(2028, 2, 10), "10")
    p = project_month_end(daily, month=date(2028, 2, 1), data_through=date(2028, 2, 10))
    assert p.days_remaining == 19
    assert p.projected == D(290)
    common = project_month_end(
        flat(date(2027, 2, 1), date(2027, 2, 10), "10"),
        month=date(2027, 2, 1),
        data_through=date(2027, 2, 10),
    )
    assert common.projected == D(280)


def test_month_end_is_exclusive_across_the_year() -> None:
    assert month_end(date(2026, 12, 1)) == date(2027, 1, 1)
    assert month_end(date(2028, 2, 1)) == date(2028, 3, 1)


def test_no_data_gives_a_zero_projection_that_says_so() -> None:
    p = project_month_end([], month=date(2026, 11, 1), data_through=date(2026, 11, 10))
    assert p.basis is ForecastBasis.INSUFFICIENT_DATA
    assert p.projected == p.low == p.high == p.actual_to_date == 0
    assert forecast_days(p)[0].expected == 0


def test_the_month_argument_may_be_any_day_of_the_month() -> None:
    daily = flat(date(2026, 11, 1), date(2026, 11, 10), "1")
    assert project_month_end(daily, month=date(2026, 11, 17), data_through=date(2026, 11, 10)).month == date(
        2026, 11, 1
    )


def test_cost_explorer_forecast_is_added_to_the_actual_and_wins() -> None:
    own = project_month_end(
        flat(date(2026, 11, 1), date(2026, 11, 10), "100"),
        month=date(2026, 11, 1),
        data_through=date(2026, 11, 10),
    )
    chosen = choose_projection(own, CostExplorerForecast(mean=D("2500"), lower=D("2200"), upper=D("2900")))
    assert chosen.basis is ForecastBasis.COST_EXPLORER
    assert (chosen.projected, chosen.low, chosen.high) == (D(3500), D(3200), D(3900))
    assert chosen.run_rate == D(100)  # ours stays available for comparison


def test_a_whole_month_cost_explorer_forecast_is_taken_as_it_is() -> None:
    own = project_month_end(
        flat(date(2026, 11, 1), date(2026, 11, 10), "100"),
        month=date(2026, 11, 1),
        data_through=date(2026, 11, 10),
    )
    chosen = choose_projection(
        own, CostExplorerForecast(mean=D("3100"), lower=D("3000"), upper=D("3300"), includes_actual=True)
    )
    assert (chosen.projected, chosen.low, chosen.high) == (D(3100), D(3000), D(3300))


def test_without_a_cost_explorer_forecast_ours_is_used() -> None:
    own = project_month_end(
        flat(date(2026, 11, 1), date(2026, 11, 10), "100"),
        month=date(2026, 11, 1),
        data_through=date(2026, 11, 10),
    )
    assert choose_projection(own, None) is own


def test_a_complete_month_ignores_a_stale_cost_explorer_forecast() -> None:
    own = project_month_end(
        flat(date(2026, 10, 1), date(2026, 10, 31), "10"),
        month=date(2026, 10, 1),
        data_through=date(2026, 10, 31),
    )
    chosen = choose_projection(own, CostExplorerForecast(mean=D(1), lower=D(0), upper=D(2)))
    assert chosen.basis is ForecastBasis.ACTUAL and chosen.projected == D(310)


def test_a_cost_explorer_forecast_with_bounds_out_of_order_is_refused() -> None:
    with pytest.raises(ValueError, match="lower <= mean <= upper"):
        CostExplorerForecast(mean=D(10), lower=D(11), upper=D(12))


def test_forecast_days_spread_the_projection_over_the_remaining_days() -> None:
    daily = flat(date(2026, 11, 1), date(2026, 11, 28), "10")
    p = project_month_end(daily, month=date(2026, 11, 1), data_through=date(2026, 11, 28))
    days = forecast_days(p)
    assert [d.day for d in days] == [date(2026, 11, 29), date(2026, 11, 30)]
    assert all(d.expected == D(10) for d in days)
    assert sum(d.expected for d in days) + p.actual_to_date == p.projected


def test_a_closed_month_has_no_forecast_days() -> None:
    p = project_month_end(
        flat(date(2026, 10, 1), date(2026, 10, 31), "10"),
        month=date(2026, 10, 1),
        data_through=date(2026, 10, 31),
    )
    assert forecast_days(p) == []


def test_spike_needs_both_the_percent_and_the_absolute_increase() -> None:
    assert is_spike(D(300), D(200), percent=D(30), absolute=D(100))
    assert not is_spike(D(299), D(200), percent=D(30), absolute=D(100))  # +99
    assert not is_spike(D(1150), D(1000), percent=D(30), absolute=D(100))  # +15%
    assert is_spike(D(100), D(0), percent=D(30), absolute=D(100))  # no base: the money decides
    assert not is_spike(D(50), D(0), percent=D(30), absolute=D(100))


def test_median_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    assert median([D(4), D(1), D(3), D(2)]) == D("2.5")


def test_display_rounding_is_half_up_and_only_for_display() -> None:
    assert quantize_for_display(D("2.345")) == D("2.35")
    assert quantize_for_display(D("-2.345")) == D("-2.35")
    assert quantize_for_display(D("1234.5"), 0) == D("1235")


def test_settings_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        RunRateSettings(window_days=0)
    with pytest.raises(ValueError):
        RunRateSettings(window_days=7, lookback_days=3)
    with pytest.raises(ValueError):
        RunRateSettings(min_final_days=9)


amounts = st.decimals(min_value=0, max_value=10**7, places=4, allow_nan=False, allow_infinity=False)
daily_figures = st.lists(
    st.builds(
        DailyFigure,
        day=st.dates(min_value=date(2028, 1, 1), max_value=date(2028, 3, 31)),
        amount=amounts,
        estimated=st.booleans(),
    ),
    max_size=80,
)


@given(daily=daily_figures, through=st.dates(min_value=date(2028, 1, 15), max_value=date(2028, 3, 5)))
def test_projection_is_at_least_the_actual_and_inside_its_range(
    daily: list[DailyFigure], through: date
) -> None:
    p = project_month_end(daily, month=date(2028, 2, 1), data_through=through)
    assert p.actual_to_date <= p.low <= p.projected <= p.high
    assert p.days_elapsed + p.days_remaining == 29


@given(
    daily=daily_figures,
    through=st.dates(min_value=date(2028, 1, 15), max_value=date(2028, 3, 5)),
    seed=st.randoms(),
)
def test_projection_does_not_depend_on_the_order_of_the_figures(
    daily: list[DailyFigure], through: date, seed
) -> None:
    shuffled = list(daily)
    seed.shuffle(shuffled)
    first = project_month_end(daily, month=date(2028, 2, 1), data_through=through)
    second = project_month_end(shuffled, month=date(2028, 2, 1), data_through=through)
    assert first == second


@given(daily=daily_figures)
def test_the_actual_to_date_is_the_exact_sum_of_the_months_figures(daily: list[DailyFigure]) -> None:
    p = project_month_end(daily, month=date(2028, 2, 1), data_through=date(2028, 2, 20))
    expected = sum(
        (f.amount for f in daily if date(2028, 2, 1) <= f.day <= date(2028, 2, 20)),
        D(0),
    )
    assert p.actual_to_date == expected


def test_storage_rounding_keeps_ten_places_half_even() -> None:
    assert quantize_for_storage(D(1000) / 3) == D("333.3333333333")
    assert quantize_for_storage(D("0.00000000005")) == D("0E-10")
    assert quantize_for_storage(D("0.00000000015")) == D("0.0000000002")
