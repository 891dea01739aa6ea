"""FOCUS 1.0 billing files -> rows at the fact grain. Pure: no Django.

A FOCUS file has one row per charge (often hourly). The product keeps it at the same grain as Cost
Explorer: (ChargePeriodStart day, ProviderName, SubAccountId, ServiceName, BillingCurrency), with
BilledCost as the unblended amount and EffectiveCost as the amortised one, summed exactly in Decimal.
Credits, refunds and adjustments are rows like any other (negative where the provider says so).

Tags: the FOCUS `Tags` column (a JSON object of tag key to value, or NULL) is summed into the tag
grain, (day, ProviderName, SubAccountId, tag key, tag value, BillingCurrency), the same grain as Cost
Explorer's tag query. Which keys: the source's configured tag keys if it has any, else every key the
file uses. For each such key every charge row counts, under its value or as untagged ('') when it
lacks the key, so each key's breakdown adds up to the file's total exactly, as Cost Explorer's does.
Keys are kept exactly as written (FOCUS does not normalise them: " org" and "org" are two keys); a
JSON null value counts as untagged. A Tags value that is not a JSON object of text values is a
problem reported with its row and column, as any other.

A file with any problem is refused whole: `read_focus` collects the first 50 problems, each with its
row (the file's line number where the record starts, the header being line 1: a quoted field holding
a line break moves the lines of the records after it) and column, and imports nothing.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
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
MAX_TAG_KEY, MAX_TAG_VALUE = 128, 256  # DailyTagCost's columns


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
    # Tags: (day, provider, account, currency) -> {tag key: {tag value: [billed, effective, rows]}},
    # and the same grain's totals and row count over every row, tagged or not.
    tagged: dict[tuple[date, str, str, str], dict[str, dict[str, list[Any]]]] = field(default_factory=dict)
    tag_grain_totals: dict[tuple[date, str, str, str], list[Any]] = field(default_factory=dict)
    tag_keys_seen: set[str] = field(default_factory=set)

    def tag_totals(
        self, tag_keys: Iterable[str] = ()
    ) -> Iterator[tuple[date, str, str, str, str, str, Decimal, Decimal]]:
        """(day, provider, account, tag key, tag value, currency, billed, effective) for the given keys
        (every key the file uses if none are given), each key's untagged rows under value '': once per
        key and grain, the charges with an empty (or null) value together with those without the key."""
        keys = sorted(set(tag_keys) or self.tag_keys_seen)
        for grain, (billed, effective, rows) in self.tag_grain_totals.items():
            day, provider, account, currency = grain
            by_key = self.tagged.get(grain, {})
            for key in keys:
                left_billed, left_effective, left_rows = billed, effective, rows
                for value, (value_billed, value_effective, value_rows) in by_key.get(key, {}).items():
                    if not value:  # untagged: counted in what is left over, so '' comes out once
                        continue
                    yield day, provider, account, key, value, currency, value_billed, value_effective
                    left_billed -= value_billed
                    left_effective -= value_effective
                    left_rows -= value_rows
                if left_rows:
                    yield day, provider, account, key, "", currency, left_billed, left_effective

    def add(self, charge: FocusCharge) -> None:
        """Count a valid charge into every sum it belongs to, and widen the span to its period."""
        key = (charge.day, charge.provider, charge.account, charge.service, charge.currency)
        sums = self.totals.setdefault(key, [Decimal(0), Decimal(0)])
        sums[0] += charge.billed
        sums[1] += charge.effective
        grain = (charge.day, charge.provider, charge.account, charge.currency)
        for target in [
            self.tag_grain_totals.setdefault(grain, [Decimal(0), Decimal(0), 0]),
            *(
                self.tagged.setdefault(grain, {})
                .setdefault(tag_key, {})
                .setdefault(tag_value, [Decimal(0), Decimal(0), 0])
                for tag_key, tag_value in charge.tags.items()
            ),
        ]:
            target[0] += charge.billed
            target[1] += charge.effective
            target[2] += 1
        self.tag_keys_seen.update(charge.tags)
        self.widen(charge.period_start, charge.period_end)
        if charge.account_name is not None:
            self.account_names[(charge.provider, charge.account)] = charge.account_name

    @property
    def window(self) -> tuple[date, date]:
        """[first day, end day): the days the file speaks for (read_focus refuses a file without any)."""
        if self.first_day is None or self.end_day is None:
            raise ValueError("the file has no charge rows")
        return self.first_day, self.end_day

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


def _is_parquet(path: Path) -> bool:
    """Told by the name or by the first bytes (a Parquet file starts with PAR1)."""
    if path.suffix.lower() == ".parquet":
        return True
    with open(path, "rb") as probe:
        return probe.read(4) == b"PAR1"


def _parquet_records(path: Path) -> tuple[list[str], Iterator[Mapping[str, Any]]]:
    """(columns, records) of a Parquet file, every value as text as a CSV gives it (None for null).

    Typed columns read back exactly: decimals and text as written, a double as its shortest round-trip
    text (what was written from decimal text of up to 15 digits comes back as that text), timestamps
    as ISO text. A file pyarrow cannot read is refused, naming the file's problem, not the library's.
    """
    try:
        import pyarrow
        import pyarrow.parquet as pq
    except ImportError:
        raise FocusFileRefused(
            [
                "Parquet files need pyarrow installed (pip install 'partnership[parquet]'); export the data as CSV instead"
            ]
        ) from None
    try:
        table = pq.ParquetFile(path)
        columns = list(table.schema_arrow.names)
    except (pyarrow.ArrowException, OSError) as exc:
        raise FocusFileRefused([f"not a readable Parquet file ({exc})"]) from None

    def rows() -> Iterator[Mapping[str, Any]]:
        line = 1
        try:
            for batch in table.iter_batches(batch_size=10_000):
                for record in batch.to_pylist():
                    line += 1
                    yield {k: (None if v is None else _parquet_text(v)) for k, v in record.items()}
        except (pyarrow.ArrowException, OSError) as exc:
            raise FocusFileRefused(
                [f"row {line + 1}: the Parquet file is not readable from here ({exc})"]
            ) from None
        finally:
            table.close()

    return columns, rows()


def _parquet_text(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dict | list):  # a map or struct column of tags
        return json.dumps(dict(value))  # a map arrives as (key, value) pairs, a struct as a dict
    return str(value)


class FocusRecord(dict):
    """One CSV record, column -> text, knowing the file line it starts on (the header being line 1)."""

    __slots__ = ("line",)

    def __init__(self, line: int, values: Iterable[tuple[Any, Any]]) -> None:
        super().__init__(values)
        self.line = line


def _csv_records(handle: IO[str]) -> tuple[list[str], Iterator[FocusRecord]]:
    """Records as csv.DictReader gives them (blank lines skipped, short rows padded with None, extra
    fields under the key None), each with the line it starts on. csv's line_num counts physical lines,
    so a quoted field holding a line break moves the lines of the records after it, and a problem
    names the line an editor shows, not the record's position."""
    reader = csv.reader(handle)
    columns = next((row for row in reader if row), [])

    def records() -> Iterator[FocusRecord]:
        ended = reader.line_num  # the last line of the previous record (or of the header)
        try:
            for values in reader:
                if values:
                    record = FocusRecord(ended + 1, zip(columns, values, strict=False))  # padded below
                    for column in columns[len(values) :]:
                        record[column] = None
                    if len(values) > len(columns):
                        record[None] = values[len(columns) :]
                    yield record
                ended = reader.line_num
        except csv.Error as exc:
            exc.line = reader.line_num  # type: ignore[attr-defined]  # the line csv stopped on
            raise
        except (UnicodeDecodeError, OSError, EOFError, zlib.error) as exc:
            exc.line = ended + 1  # type: ignore[union-attr]  # the first line not read whole
            raise

    return columns, records()


def iter_records(path: Path) -> tuple[list[str], Iterator[Mapping[str, Any]]]:
    """(columns, records) from a CSV, CSV.gz or (with pyarrow installed) Parquet file. A CSV record is
    a FocusRecord, carrying the line it starts on."""
    if _is_parquet(path):
        return _parquet_records(path)
    handle = open_text(path)
    try:
        columns, records = _csv_records(handle)
    except (UnicodeDecodeError, csv.Error, OSError, EOFError, zlib.error) as exc:  # a damaged gzip too
        handle.close()
        raise FocusFileRefused([f"line 1: not a readable CSV file ({exc})"]) from None

    def csv_rows() -> Iterator[Mapping[str, Any]]:
        with handle:
            yield from records

    return columns, csv_rows()


def _tags(value: Any, problem: Any) -> dict[str, str] | None:
    """The Tags field as {key: value} ({} for NULL or empty), or None after reporting a problem."""
    if _null(value):
        return {}
    try:
        tags = json.loads(value)
    except (ValueError, TypeError) as exc:
        problem(f"is not valid JSON ({exc})")
        return None
    if not isinstance(tags, dict):
        problem(f"is not a JSON object of tag keys and values (found {type(tags).__name__})")
        return None
    clean: dict[str, str] = {}
    for key, tag_value in tags.items():
        if tag_value is None:
            tag_value = ""  # a key without a value: untagged for that key
        if not isinstance(tag_value, str):
            problem(f"the value of tag {key!r} is not text ({json.dumps(tag_value)})")
            return None
        if not key or len(key) > MAX_TAG_KEY:
            problem(f"tag key {key[:40]!r} is empty or longer than {MAX_TAG_KEY} characters")
            return None
        if len(tag_value) > MAX_TAG_VALUE:
            problem(f"the value of tag {key!r} is longer than {MAX_TAG_VALUE} characters")
            return None
        clean[key] = tag_value
    return clean


# Reports a problem: (row, column, what is wrong).
Problem = Callable[[int, str, str], None]


@dataclass
class FocusCharge:
    """One valid charge row, at the fact grain, with the billing period it belongs to."""

    day: date
    provider: str
    account: str
    service: str
    currency: str
    billed: Decimal
    effective: Decimal
    tags: dict[str, str]
    period_start: date
    period_end: date  # exclusive
    account_name: str | None


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
        for position, record in enumerate(records, start=2):
            if len(problems) > MAX_PROBLEMS:
                break
            # The line the record starts on where the reader knows it (a CSV), else its position.
            line = getattr(record, "line", position)
            result.rows_read += 1
            charge = _charge(record, line=line, problem=problem)
            if charge is not None:
                result.add(charge)
    except (csv.Error, UnicodeDecodeError, OSError, EOFError, zlib.error) as exc:  # a damaged gzip too
        line = getattr(exc, "line", result.rows_read + 2)
        problems.append(f"row {line}: the file is not readable CSV from here ({exc})")
    if problems:
        raise FocusFileRefused(problems[:MAX_PROBLEMS], more=len(problems) > MAX_PROBLEMS)
    if not result.totals:
        raise FocusFileRefused(["the file has no charge rows"])
    return result


def _charge(record: Mapping[str, Any], *, line: int, problem: Problem) -> FocusCharge | None:
    """The record as a charge, or None after reporting each of its problems."""
    parsed: dict[str, Any] = {}
    for column in ("ChargePeriodStart", "BillingPeriodStart", "BillingPeriodEnd"):
        moment = _parsed(record, column, line=line, problem=problem, parse=_timestamp, kind="a date and time")
        if moment is not None:
            parsed[column] = moment
    for column in ("BilledCost", "EffectiveCost"):
        amount = _parsed(record, column, line=line, problem=problem, parse=_amount, kind="an amount")
        if amount is not None and _amount_fits(
            amount, record[column], line=line, column=column, problem=problem
        ):
            parsed[column] = amount
    currency = (record.get("BillingCurrency") or "").strip()
    if not is_currency(currency):
        problem(line, "BillingCurrency", f"{currency or 'empty'!r} is not an ISO 4217 currency code")
    provider = record.get("ProviderName")
    if _null(provider):
        problem(line, "ProviderName", "is empty")
    if len(parsed) < 5 or not is_currency(currency) or _null(provider):
        return None
    tags = _tags(record.get("Tags"), lambda message: problem(line, "Tags", message))
    if tags is None:
        return None
    account = record.get("SubAccountId")
    if _null(account):
        account = record.get("BillingAccountId") or ""
    service, name = record.get("ServiceName"), record.get("SubAccountName")
    day = parsed["ChargePeriodStart"].date()
    return FocusCharge(
        day=day,
        provider=str(provider).strip(),
        account=str(account).strip(),
        service=NO_SERVICE if _null(service) else str(service).strip(),
        currency=currency,
        billed=parsed["BilledCost"],
        effective=parsed["EffectiveCost"],
        tags=tags,
        period_start=min(parsed["BillingPeriodStart"].date(), day),
        period_end=max(_day_end(parsed["BillingPeriodEnd"]), date.fromordinal(day.toordinal() + 1)),
        account_name=None if _null(name) else str(name).strip(),
    )


def _parsed(
    record: Mapping[str, Any],
    column: str,
    *,
    line: int,
    problem: Problem,
    parse: Callable[[Any], Any],
    kind: str,
) -> Any:
    """The column's value parsed, or None after reporting it empty or not `kind`."""
    value = record.get(column)
    if _null(value):
        problem(line, column, "is empty")
        return None
    try:
        return parse(value)
    except (ValueError, InvalidOperation):
        problem(line, column, f"{value!r} is not {kind}")
        return None


def _amount(value: str) -> Decimal:
    amount = Decimal(value.strip())
    if not amount.is_finite():
        raise InvalidOperation
    return amount


def _amount_fits(amount: Decimal, value: Any, *, line: int, column: str, problem: Problem) -> bool:
    """Whether the fact tables can keep the amount exactly; reports it if not."""
    normal = amount.normalize()
    places = max(-int(normal.as_tuple().exponent), 0)
    if places > MAX_PLACES or (normal and normal.adjusted() >= 18):
        problem(
            line, column, f"{value} has more than {MAX_PLACES} decimal places or 18 digits before the point"
        )
        return False
    return True
