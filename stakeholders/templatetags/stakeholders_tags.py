"""Display helpers for the people pages. Rounding happens here, for display only."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django import template

from stakeholders.permissions import can_manage_claim

register = template.Library()


@register.filter
def money(value: object, places: int = 2) -> str:
    """12345.6 -> '12,345.60'; anything that is not a number is shown as it is."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return "" if value is None else str(value)
    return f"{amount.quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_EVEN):,}"


@register.filter
def share_percent(value: object) -> str:
    """0.2500 -> '25%'."""
    if value in (None, ""):
        return ""
    return f"{(Decimal(str(value)) * 100).normalize():f}%"


@register.filter
def manageable_by(ownership: object, user: object) -> bool:
    """Whether `user` may manage this claim: the edit view's own rule, so a link shows exactly where it
    opens (a technology lead manages their teams' claims, not other teams')."""
    return can_manage_claim(user, ownership)  # type: ignore[arg-type]
