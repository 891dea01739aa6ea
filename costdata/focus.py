"""FOCUS 1.0 billing files -> rows at the fact grain. Pure: no Django.

A FOCUS file has one row per charge (often hourly). The product keeps it at the same grain as Cost
Explorer: (ChargePeriodStart day, ProviderName, SubAccountId, ServiceName, BillingCurrency), with
BilledCost as the unblended amount and EffectiveCost as the amortised one, summed exactly in Decimal.
Credits, refunds and adjustments are rows like any other (negative where the provider says so).

A file with any problem is refused whole: `read_focus` collects the first 50 problems, each with its
row (the file's line number, the header being line 1) and column, and imports nothing.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from costdata.currencies import is_currency

REQUIRED_COLUMNS = (
    "BilledCost",
    "EffectiveCost",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ProviderName",
    "ServiceName",
    "SubAccountId",
)
NULL = "NULL"  # FOCUS CSV exports write nulls as the bare word NULL (or leave the field empty)
MAX_PROBLEMS = 50
MAX_PLACES = 12  # the fact tables keep twelve decimal places
NO_SERVICE = "(no service)"


class FocusFileRefused(ValueError):
    """The file cannot be imported; `problems` lists what is wrong, row and column first."""

    def __init__(self, problems: list[str], *, more: bool = False) -> None:
        self.problems = problems
        self.more = more
        suffix = " (first 50 shown)" if more else ""
        super().__init__(
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''}{suffix}: " + "; ".join(problems[:3])
        )


@dataclass
class FocusRows:
    """A file summed at the fact grain, with the span of days it speaks for."""

    totals: dict[tuple[date, str, str, str, str], list[Decimal]] = field(default_factory=dict)
    first_day: date | None = None
    end_day: date | None = None  # exclusive
    rows_read: int = 0
    account_names: dict[tuple[str, str], str] = field(default_factory=dict)

    def widen(self, start: date, end: date) -> None:
        self.first_day = start if self.first_day is None else min(self.first_day, start)
        self.end_day = end if self.end_day is None else max(self.end_day, end)


def _null(value: str | None) -> bool:
    return value is None or value.strip() in ("", NULL)


def _timestamp(value: str) -> datetime:
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment  # FOCUS datetimes are UTC


def _day_end(moment: datetime) -> date:
    """The exclusive end day of a period ending at `moment` (midnight ends the day before)."""
    day = moment.date()
    if moment.time() != datetime.min.time():
        day = date.fromordinal(day.toordinal() + 1)
    return day


def open_text(path: Path) -> IO[str]:
    """A FOCUS CSV as text, gzip or not (told by its first bytes, not its name)."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def iter_records(path: Path) -> tuple[list[str], Iterator[Mapping[str, Any]]]:
    """(columns, records) from a CSV, CSV.gz or (with pyarrow installed) Parquet file."""
    if path.suffix.lower() == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise FocusFileRefused(
                ["Parquet files need pyarrow installed; export the data as CSV instead"]
            ) from None
        table = pq.ParquetFile(path)
        columns = list(table.schema_arrow.names)

        def parquet_rows() -> Iterator[Mapping[str, Any]]:
            for batch in table.iter_batches(batch_size=10_000):
                for record in batch.to_pylist():
                    yield {k: (None if v is None else str(v)) for k, v in record.items()}

        return columns, parquet_rows()
    handle = open_text(path)
    try:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
    except (UnicodeDecodeError, csv.Error, OSError, EOFError, zlib.error) as exc:  # a damaged gzip too
        handle.close()
        raise FocusFileRefused([f"line 1: not a readable CSV file ({exc})"]) from None

    def csv_rows() -> Iterator[Mapping[str, Any]]:
        with handle:
            yield from reader

    return columns, csv_rows()


def read_focus(columns: list[str], records: Iterable[Mapping[str, Any]]) -> FocusRows:
    """Validate and sum every record; raise FocusFileRefused listing the first 50 problems."""
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise FocusFileRefused([f"line 1: required column {name} is missing" for name in missing])
    problems: list[str] = []
    result = FocusRows()

    def problem(line: int, column: str, message: str) -> None:
        problems.append(f"row {line}, column {column}: {message}")

    try:
        for line, record in enumerate(records, start=2):
            if len(problems) > MAX_PROBLEMS:
                break
            result.rows_read += 1
            parsed: dict[str, Any] = {}
            for column in ("ChargePeriodStart", "BillingPeriodStart", "BillingPeriodEnd"):
                value = record.get(column)
                if _null(value):
                    problem(line, column, "is empty")
                    continue
                try:
                    parsed[column] = _timestamp(value)
                except ValueError:
                    problem(line, column, f"{value!r} is not a date and time")
            for column in ("BilledCost", "EffectiveCost"):
                value = record.get(column)
                if _null(value):
                    problem(line, column, "is empty")
                    continue
                try:
                    amount = Decimal(value.strip())
                    if not amount.is_finite():
                        raise InvalidOperation
                except InvalidOperation:
                    problem(line, column, f"{value!r} is not an amount")
                    continue
                normal = amount.normalize()
                places = max(-normal.as_tuple().exponent, 0)
                if places > MAX_PLACES or (normal and normal.adjusted() >= 18):
                    problem(
                        line,
                        column,
                        f"{value} has more than {MAX_PLACES} decimal places or 18 digits before the point",
                    )
                    continue
                parsed[column] = amount
            currency = (record.get("BillingCurrency") or "").strip()
            if not is_currency(currency):
                problem(line, "BillingCurrency", f"{currency or 'empty'!r} is not an ISO 4217 currency code")
            provider = record.get("ProviderName")
            if _null(provider):
                problem(line, "ProviderName", "is empty")
            if len(parsed) < 5 or not is_currency(currency) or _null(provider):
                continue
            account = record.get("SubAccountId")
            if _null(account):
                account = record.get("BillingAccountId") or ""
            account = account.strip()
            service = record.get("ServiceName")
            service = NO_SERVICE if _null(service) else service.strip()
            day = parsed["ChargePeriodStart"].date()
            key = (day, provider.strip(), account, service, currency)
            sums = result.totals.setdefault(key, [Decimal(0), Decimal(0)])
            sums[0] += parsed["BilledCost"]
            sums[1] += parsed["EffectiveCost"]
            result.widen(
                min(parsed["BillingPeriodStart"].date(), day),
                max(_day_end(parsed["BillingPeriodEnd"]), date.fromordinal(day.toordinal() + 1)),
            )
            name = record.get("SubAccountName")
            if not _null(name):
                result.account_names[(provider.strip(), account)] = name.strip()
    except (csv.Error, UnicodeDecodeError, OSError, EOFError, zlib.error) as exc:  # a damaged gzip too
        problems.append(f"row {result.rows_read + 1}: the file is not readable CSV from here ({exc})")
    if problems:
        raise FocusFileRefused(problems[:MAX_PROBLEMS], more=len(problems) > MAX_PROBLEMS)
    if not result.totals:
        raise FocusFileRefused(["the file has no charge rows"])
    return result
