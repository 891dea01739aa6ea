"""Budget uploads as CSV and XLSX (downloads: costdata.planning.budget_exports). Pure parsing, no Django.

The layout, one line per scope and month (header names are case-insensitive; spaces count as `_`):

    scope_type   organisation | business_unit | team | account | service | tag
    scope_value  empty for organisation; 12 digits for an account; `key=value` for a tag; else a name
    month        YYYY-MM (a date cell on the first of a month is accepted too)
    amount       a non-negative number, at most 4 decimal places, below the ceiling (default 10^12)
    currency     ISO 4217 code, e.g. USD

`parse_budget_file` returns every line or raises `BudgetFileError` with every problem found (row as the
spreadsheet shows it, column, message; the first 50 and the total), never a partial result, so the
service can import a budget version in one transaction or not at all.

Numbers in XLSX: openpyxl hands numeric cells over as Python floats. A float is converted through
`repr`, the shortest text that reads back as the same float, which is the number the user typed
(1234.56 stays 1234.56, never 1234.5599999999999). Binary noise that a formula produced
(0.1 + 0.2 = 0.30000000000000004) shows up as too many decimal places and is refused with a hint.
Amounts in text cells are read exactly; the XLSX export writes an amount as a number cell only when
that number reads back exactly, else as text, so export-then-import always gives the same lines.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import PurePath
from typing import TypeVar
from xml.etree import ElementTree

from defusedxml import DefusedXmlException

from costdata.planning.budget_file_errors import COLUMNS, BudgetFileError, RowError
from costdata.planning.budget_file_errors import MAX_ERRORS as MAX_ERRORS  # callers import it from here
from costdata.planning.spreadsheets import decimal_text, restore_text
from costdata.variances.rules import ScopeKey, ScopeType

DEFAULT_MAX_BYTES = 5_000_000
DEFAULT_MAX_ROWS = 50_000
DEFAULT_MAX_AMOUNT = Decimal(10) ** 12
MAX_DECIMAL_PLACES = 4
MAX_NAME_LENGTH = 200
MAX_TAG_KEY_LENGTH = 128  # AWS tag key limit
MAX_TAG_VALUE_LENGTH = 256  # AWS tag value limit
T = TypeVar("T")
XLSX_EXPANSION_LIMIT = 20  # an XLSX may unpack to at most this many times the upload limit (zip bombs)

# Active ISO 4217 currency codes (funds, precious metals and test codes left out: nobody budgets in them).
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
    GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT
    LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
    NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD
    SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF
    XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
    """.split()
)

_AMOUNT_TEXT = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?$")
_MONTH_TEXT = re.compile(r"^(\d{4})-(\d{2})(?:-01)?$")
_ACCOUNT = re.compile(r"^\d{12}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True, order=True)
class BudgetLine:
    scope: ScopeKey
    month: date  # first day of the month
    amount: Decimal
    currency: str


class FileKind(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


def fiscal_year_start(fiscal_year: int, start_month: int) -> date:
    """The first day of fiscal year `fiscal_year`, named by the calendar year in which it ends.

    With a January start FY2027 is January to December 2027; with an April start FY2027 runs from
    April 2026 to March 2027 (the UK and US federal convention).
    """
    if not 1 <= start_month <= 12:
        raise ValueError(f"start_month must be 1-12, got {start_month}")
    return date(fiscal_year if start_month == 1 else fiscal_year - 1, start_month, 1)


def fiscal_year_months(start: date) -> list[date]:
    """The twelve months of the fiscal year that starts on `start` (the first of a month)."""
    index = start.year * 12 + start.month - 1
    return [date((index + i) // 12, (index + i) % 12 + 1, 1) for i in range(12)]


# --- file type --------------------------------------------------------------------------------------


def detect_file_kind(data: bytes, *, filename: str, max_bytes: int = DEFAULT_MAX_BYTES) -> FileKind:
    """CSV or XLSX judged by content; the name's extension must agree. Refuses anything else."""
    if len(data) > max_bytes:
        raise BudgetFileError(
            [RowError(None, None, f"the file is {len(data):,} bytes; the limit is {max_bytes:,}")]
        )
    if not data:
        raise BudgetFileError([RowError(None, None, "the file is empty")])
    extension = PurePath(filename).suffix.lower()
    if extension not in (".csv", ".xlsx"):
        raise BudgetFileError(
            [
                RowError(
                    None, None, f"only .csv and .xlsx files are accepted, not {extension or 'no extension'!r}"
                )
            ]
        )
    if data.startswith(_XLS_MAGIC):
        kind_found = "a legacy .xls or a password-protected workbook; save it as .xlsx without a password"
        raise BudgetFileError([RowError(None, None, f"the file is {kind_found}")])
    if data.startswith(b"PK\x03\x04"):
        _check_xlsx_container(data, max_bytes=max_bytes)
        kind = FileKind.XLSX
    elif b"\x00" in data[:8192]:
        raise BudgetFileError(
            [RowError(None, None, "the file is binary, neither CSV text nor an XLSX workbook")]
        )
    else:
        kind = FileKind.CSV
    if extension != f".{kind.value}":
        raise BudgetFileError(
            [RowError(None, None, f"the file is named {extension} but its content is {kind.value.upper()}")]
        )
    return kind


def _check_xlsx_container(data: bytes, *, max_bytes: int) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise BudgetFileError([RowError(None, None, f"the workbook is damaged ({error})")]) from error
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise BudgetFileError(
            [RowError(None, None, "the file is a ZIP archive but not an Excel workbook (.xlsx)")]
        )
    if unpacked > max_bytes * XLSX_EXPANSION_LIMIT:
        raise BudgetFileError(
            [RowError(None, None, f"the workbook unpacks to {unpacked:,} bytes, too large to read")]
        )


# --- reading rows -----------------------------------------------------------------------------------


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[object]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        message = f"the file is not UTF-8 text (byte {error.start}); save it as 'CSV UTF-8'"
        raise BudgetFileError([RowError(None, None, message)]) from error
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    number = 0
    try:
        for number, row in enumerate(reader, start=1):  # noqa: B007 - the last number is reported
            yield number, list(row)
    except csv.Error as error:
        raise BudgetFileError([RowError(number + 1, None, f"the CSV is malformed: {error}")]) from error


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[object]]]:
    import openpyxl  # imported here: CSV uploads and the rest of the app do not pay for it

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a bad workbook
        raise BudgetFileError([RowError(None, None, f"the workbook could not be read ({error})")]) from error
    number = 0
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):  # noqa: B007
            yield number, list(row)
    except (ElementTree.ParseError, DefusedXmlException) as error:  # the sheet is read as rows are asked
        message = f"the workbook's sheet is not readable XML after row {number} ({error})"
        raise BudgetFileError([RowError(None, None, message)]) from error
    finally:
        workbook.close()


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: object) -> str:
    """A cell as text for the text columns; numbers as the user typed them."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float | int | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return restore_text(str(value).strip())


# --- one row ----------------------------------------------------------------------------------------


class _CellError(ValueError):
    pass


def _parse_scope_type(value: object) -> ScopeType:
    text = _text(value).lower().replace(" ", "_").replace("-", "_")
    try:
        return ScopeType(text)
    except ValueError:
        allowed = ", ".join(t.value for t in ScopeType)
        raise _CellError(f"{_text(value)!r} is not a scope type; use one of {allowed}") from None


def _parse_scope_value(scope_type: ScopeType, value: object) -> str:
    text = _text(value)
    if _CONTROL.search(text):
        raise _CellError("contains a control character (tab, line break or similar)")
    if scope_type is ScopeType.ORGANISATION:
        if text:
            raise _CellError("must be empty for the organisation")
        return ""
    if not text:
        raise _CellError(f"is required for a {scope_type.value.replace('_', ' ')}")
    if scope_type is ScopeType.ACCOUNT:
        if not _ACCOUNT.match(text):
            hint = ""
            if text.isdigit() and len(text) < 12:
                hint = "; a spreadsheet may have dropped its leading zeros: format the column as text"
            raise _CellError(f"{text!r} is not an AWS account id (exactly 12 digits){hint}")
        return text
    if scope_type is ScopeType.TAG:
        key, separator, tag_value = text.partition("=")
        if not separator or not key:
            raise _CellError(f"{text!r} is not a tag; write it as key=value")
        if len(key) > MAX_TAG_KEY_LENGTH or len(tag_value) > MAX_TAG_VALUE_LENGTH:
            raise _CellError(
                f"tag keys may have {MAX_TAG_KEY_LENGTH} and values {MAX_TAG_VALUE_LENGTH} characters"
            )
        return text
    if len(text) > MAX_NAME_LENGTH:
        raise _CellError(f"is {len(text)} characters long; the limit is {MAX_NAME_LENGTH}")
    return text


def _parse_month(value: object) -> date:
    if isinstance(value, datetime):
        if value.time() != time(0):
            raise _CellError("must be a month (YYYY-MM), not a date and time")
        value = value.date()
    if isinstance(value, date):
        if value.day != 1:
            raise _CellError(f"{value.isoformat()} is not a month; write YYYY-MM")
        return value
    text = _text(value)
    match = _MONTH_TEXT.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise _CellError(f"{text!r} is not a month; write YYYY-MM")
    try:
        return date(int(match.group(1)), int(match.group(2)), 1)
    except ValueError as error:  # year 0000: four digits, yet before the calendar starts
        raise _CellError(f"{text!r} is not a month; write YYYY-MM") from error


def _parse_amount(value: object, *, max_amount: Decimal) -> Decimal:
    if isinstance(value, bool) or isinstance(value, datetime | date):
        raise _CellError("is not a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _CellError("is not a finite number")
        amount = Decimal(repr(value))  # the shortest text that is this float: what the user typed
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    else:
        text = _text(value).replace(" ", "")
        if not _AMOUNT_TEXT.match(text):
            raise _CellError(f"{text!r} is not a number; use digits with a full stop for decimals")
        try:
            amount = Decimal(text.replace(",", ""))
        except InvalidOperation as error:  # pragma: no cover - the pattern admits only valid numbers
            raise _CellError(f"{text!r} is not a number") from error
    if amount < 0:
        raise _CellError("must not be negative")
    if amount >= max_amount:
        raise _CellError(f"{decimal_text(amount)} is not below the ceiling of {decimal_text(max_amount)}")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
        hint = (
            "; it looks like floating-point noise from a formula: round it"
            if isinstance(value, float)
            else ""
        )
        raise _CellError(f"{decimal_text(amount)} has more than {MAX_DECIMAL_PLACES} decimal places{hint}")
    return amount


def _parse_currency(value: object, expected: str | None) -> str:
    text = _text(value).upper()
    if text not in ISO_4217:
        raise _CellError(f"{_text(value)!r} is not an ISO 4217 currency code")
    if expected is not None and text != expected:
        raise _CellError(f"is {text}, but this budget is in {expected}")
    return text


# --- the whole file ---------------------------------------------------------------------------------


def parse_budget_file(
    data: bytes,
    *,
    filename: str,
    fiscal_year_start: date,
    currency: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_amount: Decimal = DEFAULT_MAX_AMOUNT,
) -> list[BudgetLine]:
    """Every line of a budget upload, in file order, or BudgetFileError with every problem.

    Steps: check size and type; read the header; parse each non-blank row, collecting cell errors;
    refuse months outside the fiscal year and a second line for the same scope and month; raise if
    anything was wrong. `currency`, when given, is the currency every line must be in.
    """
    if fiscal_year_start.day != 1:
        raise ValueError(f"fiscal_year_start must be the first of a month, got {fiscal_year_start}")
    kind = detect_file_kind(data, filename=filename, max_bytes=max_bytes)
    rows = _csv_rows(data) if kind is FileKind.CSV else _xlsx_rows(data)
    header, lines, errors = _read_lines(
        rows,
        months=fiscal_year_months(fiscal_year_start),
        currency=currency,
        max_rows=max_rows,
        max_amount=max_amount,
    )
    if header is None:
        raise BudgetFileError(
            [RowError(None, None, f"the file has no header row; expected {', '.join(COLUMNS)}")]
        )
    if errors:
        raise BudgetFileError(errors)
    if not lines:
        raise BudgetFileError([RowError(None, None, "the file has a header but no budget lines")])
    return lines


def _read_lines(
    rows: Iterable[tuple[int, list[object]]],
    *,
    months: Sequence[date],
    currency: str | None,
    max_rows: int,
    max_amount: Decimal,
) -> tuple[list[str] | None, list[BudgetLine], list[RowError]]:
    """The header (None if the file has none), the good lines and the errors of the other rows."""
    errors: list[RowError] = []
    lines: list[BudgetLine] = []
    first_row: dict[tuple[ScopeKey, date], int] = {}
    header: list[str] | None = None
    for number, cells in rows:
        if header is None:
            if not all(_is_blank(c) for c in cells):
                header = _read_header(number, cells)
            continue
        if number - 1 > max_rows:
            raise BudgetFileError([RowError(number, None, f"the file has more than {max_rows:,} lines")])
        if all(_is_blank(c) for c in cells):
            continue
        if len(cells) > len(header) and any(not _is_blank(c) for c in cells[len(header) :]):
            errors.append(RowError(number, None, "has values beyond the last named column"))
            continue
        cell = dict(zip(header, list(cells) + [None] * (len(header) - len(cells)), strict=False))
        line, row_errors = _parse_row(number, cell, months=months, currency=currency, max_amount=max_amount)
        if line is None:
            errors.extend(row_errors)
            continue
        key = (line.scope, line.month)
        if key in first_row:
            errors.append(
                RowError(number, "scope_value", f"repeats row {first_row[key]}: one line per scope and month")
            )
            continue
        first_row[key] = number
        lines.append(line)
    return header, lines, errors


def _parse_row(
    number: int, cell: dict[str, object], *, months: Sequence[date], currency: str | None, max_amount: Decimal
) -> tuple[BudgetLine | None, list[RowError]]:
    """One data row: the line, or every error in it (one per column), so the user fixes a row once."""
    errors: list[RowError] = []

    def attempt(column: str, parse: Callable[[], T]) -> T | None:
        try:
            return parse()
        except _CellError as error:
            errors.append(RowError(number, column, str(error)))
            return None

    scope_type = attempt("scope_type", lambda: _parse_scope_type(cell["scope_type"]))
    scope_value = (
        attempt("scope_value", lambda: _parse_scope_value(scope_type, cell["scope_value"]))
        if scope_type is not None
        else None
    )
    month = attempt("month", lambda: _parse_month(cell["month"]))
    amount = attempt("amount", lambda: _parse_amount(cell["amount"], max_amount=max_amount))
    line_currency = attempt("currency", lambda: _parse_currency(cell["currency"], currency))
    if month is not None and month not in months:
        fiscal_range = f"{months[0]:%Y-%m} to {months[-1]:%Y-%m}"
        errors.append(RowError(number, "month", f"{month:%Y-%m} is outside the fiscal year ({fiscal_range})"))
    if (
        errors
        or scope_type is None
        or scope_value is None
        or month is None
        or amount is None
        or line_currency is None
    ):
        return None, errors
    return BudgetLine(ScopeKey(scope_type, scope_value), month, amount, line_currency), []


def _read_header(number: int, cells: Sequence[object]) -> list[str]:
    names = [_text(c).lower().replace(" ", "_") for c in cells]
    while names and not names[-1]:
        names.pop()
    errors = []
    for name in names:
        if name not in COLUMNS:
            errors.append(
                RowError(number, name or "(blank)", f"unknown column; expected {', '.join(COLUMNS)}")
            )
        elif names.count(name) > 1:
            errors.append(RowError(number, name, "appears more than once"))
    for column in COLUMNS:
        if column not in names:
            errors.append(RowError(number, column, "required column is missing"))
    if errors:
        raise BudgetFileError(list(dict.fromkeys(errors)))
    return names
