"""Safe text cells for files people open in Excel or LibreOffice. Pure helpers, no Django.

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return is taken for a formula
by spreadsheet programs (CSV/formula injection: a team called `=HYPERLINK(...)` would run on finance's
machine). Such text is written with a leading apostrophe, which spreadsheets treat as "this is text"
and do not display. Text that itself starts with an apostrophe gets one too, so reading a file back
(`restore_text` strips exactly one leading apostrophe) gives the original value in every case.

Numbers are numbers: a negative Decimal is written as a number, never quoted.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise_text(value: str) -> str:
    """The text as it must be written to a cell so that no spreadsheet evaluates it."""
    if value.startswith((*FORMULA_PREFIXES, QUOTE)):
        return QUOTE + value
    return value


def restore_text(value: str) -> str:
    """The inverse of `neutralise_text` for text read back from a cell."""
    return value[1:] if value.startswith(QUOTE) else value


def decimal_text(value: Decimal) -> str:
    """A Decimal as plain digits, never in exponent notation (`1E+3` would confuse people and parsers)."""
    return format(value, "f")


def csv_cell(value: object) -> str:
    """One value as CSV text: numbers plainly, dates in ISO 8601, text neutralised, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return ""  # pandas' NaN is a missing value
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return neutralise_text(str(value))
