"""Money columns at the source's full precision, and their exact sums in the database.

Postgres sums numeric columns exactly, so a month of ten-place amounts keeps its last digit.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal, overload

from django.db.models import DecimalField, Sum
from django.db.models.expressions import Combinable

# Cost Explorer returns up to ten decimal places, FOCUS files eleven: keep twelve.
MONEY_MAX_DIGITS = 30
MONEY_DECIMAL_PLACES = 12

_MoneyIn = Decimal | int | float | str | Combinable


@overload
def money_field(*, null: Literal[False] = ..., **overrides: Any) -> DecimalField[_MoneyIn, Decimal]: ...
@overload
def money_field(
    *, null: Literal[True], **overrides: Any
) -> DecimalField[_MoneyIn | None, Decimal | None]: ...
def money_field(*, null: bool = False, **overrides: Any) -> DecimalField[Any, Any]:
    """A money column at full source precision; `overrides` are any other DecimalField options."""
    return DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, null=null, **overrides
    )


def exact_sum(field: str | Combinable) -> Sum:
    """An aggregate summing a money column exactly, read back as a Decimal at the column's precision."""
    return Sum(field, output_field=money_field())


def as_decimal(value: Any) -> Decimal | None:
    """A summed amount as a Decimal (None stays None: a sum over no rows)."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))
