"""Exact sums of money in the database, on Postgres and on the embedded SQLite alike.

Postgres sums numeric columns exactly. SQLite would sum them as floats and Django reads its decimals
back at 15 significant digits, so a month of ten-place amounts loses its last digits. On SQLite the
product registers DECIMAL_SUM, an aggregate that adds the stored values as Decimal (values of up to 15
significant digits are kept as REAL and restored exactly; longer ones SQLite keeps as text) and
returns the total as text; `exact_sum` picks the right one and `as_decimal` reads either back.
"""

from __future__ import annotations

from decimal import Context, Decimal
from typing import Any, Literal, overload

from django.db import connection
from django.db.models import Aggregate, CharField, DecimalField, Sum
from django.db.models.expressions import Combinable

# Cost Explorer returns up to ten decimal places, FOCUS files eleven: keep twelve.
MONEY_MAX_DIGITS = 30
MONEY_DECIMAL_PLACES = 12
_FIFTEEN = Context(prec=15)

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


class DecimalSum:
    """The SQLite aggregate behind DECIMAL_SUM."""

    def __init__(self) -> None:
        self.total: Decimal | None = None

    def step(self, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, float):
            amount = _FIFTEEN.create_decimal_from_float(value)
        else:
            amount = Decimal(str(value))
        self.total = amount if self.total is None else self.total + amount

    def finalize(self) -> str | None:
        return None if self.total is None else format(self.total, "f")


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("DECIMAL_SUM", 1, DecimalSum)


class SqliteDecimalSum(Aggregate):
    function = "DECIMAL_SUM"
    name = "DecimalSum"


def exact_sum(field: str | Combinable) -> Any:
    """An aggregate summing a money column exactly; read its value with as_decimal."""
    if connection.vendor == "sqlite":
        return SqliteDecimalSum(field, output_field=CharField())
    return Sum(field, output_field=money_field())


def as_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))
