"""ROI arithmetic and billing periods, in Decimal."""

from datetime import date
from decimal import Decimal

from stakeholders import roi


def test_roi_is_savings_minus_fee_over_fee_exactly():
    assert roi.roi(savings=Decimal("5200.00"), fee=Decimal("4000.00")) == Decimal("0.3")
    assert roi.roi(savings=Decimal("1000"), fee=Decimal("3000")) == Decimal("-2") / Decimal("3")
    assert isinstance(roi.roi(savings=Decimal("1"), fee=Decimal("3")), Decimal)


def test_roi_of_a_zero_fee_is_not_stated():
    assert roi.roi(savings=Decimal("100"), fee=Decimal("0")) is None


def test_percent_rounds_only_for_display():
    assert roi.percent(Decimal("0.825")) == "82.5%"
    assert roi.percent(Decimal("2") / Decimal("3")) == "66.7%"
    assert roi.percent(None) == "no stated ROI"


def test_period_end_is_exclusive_and_crosses_years():
    assert roi.period_end(date(2026, 11, 1), "monthly") == date(2026, 12, 1)
    assert roi.period_end(date(2026, 12, 1), "monthly") == date(2027, 1, 1)
    assert roi.period_end(date(2026, 10, 1), "quarterly") == date(2027, 1, 1)
    assert roi.period_end(date(2026, 1, 1), "yearly") == date(2027, 1, 1)


def test_period_starts_must_be_calendar_aligned():
    assert roi.period_start_error(date(2026, 3, 1), "monthly") is None
    assert roi.period_start_error(date(2026, 3, 2), "monthly")
    assert roi.period_start_error(date(2026, 5, 1), "quarterly")
    assert roi.period_start_error(date(2026, 4, 1), "quarterly") is None
    assert roi.period_start_error(date(2026, 2, 1), "yearly")


def test_period_labels():
    assert roi.period_label(date(2026, 7, 1), "quarterly") == "2026 Q3"
    assert roi.period_label(date(2026, 1, 1), "yearly") == "2026"
    assert roi.period_label(date(2026, 2, 1), "monthly") == "Feb 2026"


def test_money_and_share_display():
    from stakeholders.templatetags.stakeholders_tags import money, share_percent

    assert money(Decimal("30300")) == "30,300.00"
    assert money(Decimal("3000.0000")) == "3,000.00"
    assert money(None) == ""
    assert share_percent(Decimal("0.2500")) == "25%"
    assert share_percent(Decimal("0.125")) == "12.5%"
