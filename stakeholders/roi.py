"""Engagement periods and return on investment. Pure Decimal arithmetic, no Django imports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

MONTHLY = "monthly"
QUARTERLY = "quarterly"
YEARLY = "yearly"
MONTHS_IN = {MONTHLY: 1, QUARTERLY: 3, YEARLY: 12}


def roi(*, savings: Decimal, fee: Decimal) -> Decimal | None:
    """(savings - fee) / fee, exact; None when there is no fee to divide by (no stated ROI)."""
    if fee == 0:
        return None
    return (savings - fee) / fee


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def period_end(start: date, period: str) -> date:
    """The exclusive end of the billing period starting on `start`."""
    return add_months(start, MONTHS_IN[period])


def period_start_error(start: date, period: str) -> str | None:
    """Savings are attributed to calendar periods: a month, a calendar quarter or a calendar year."""
    if start.day != 1:
        return f"A {period} period starts on the first day of a month; {start.isoformat()} does not."
    if period == QUARTERLY and start.month not in (1, 4, 7, 10):
        return f"A quarter starts in January, April, July or October; {start.isoformat()} does not."
    if period == YEARLY and start.month != 1:
        return f"A year starts on 1 January; {start.isoformat()} does not."
    return None


def period_label(start: date, period: str) -> str:
    if period == QUARTERLY:
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    if period == YEARLY:
        return str(start.year)
    return start.strftime("%b %Y")


def percent(value: Decimal | None, places: int = 1) -> str:
    """A ratio shown as a percentage, rounded only for display."""
    if value is None:
        return "no stated ROI"
    return f"{(value * 100).quantize(Decimal(1).scaleb(-places)):,}%"
