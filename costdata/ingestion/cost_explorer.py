"""Cost Explorer GetCostAndUsage pages -> rows at the fact grain. Pure: no Django, no network.

A response lists, per day, groups keyed by the GroupBy dimensions, each with its metrics. Cost
Explorer splits a long answer across pages by NextPageToken, and one day's groups may straddle two
pages: rows are keyed by (day, keys, currency) and merged across pages, never overwritten.

Amounts stay exact. Cost Explorer sends each Amount as decimal text ("0.1000000001"); the hot path of a
pull checks that text and hands it to COPY as it is (no float ever, and no Decimal built only to be
printed again); any other spelling Decimal accepts (an exponent, say) is read as a Decimal and written
back in plain notation, and anything that is not a finite number is refused naming page, day and group.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal, Inexact, InvalidOperation, localcontext
from typing import Any, NoReturn

METRICS = ("UnblendedCost", "AmortizedCost")

# What the fact tables store exactly (costdata.money.money_field: 30 digits, 12 of them decimal places).
# Cost Explorer sends at most ten decimal places; an amount finer or larger than this is refused, never
# rounded, so stored sums always equal the source's.
AMOUNT_DECIMAL_PLACES = 12
AMOUNT_INTEGER_DIGITS = 18

# Plain decimal text, exactly as Cost Explorer writes an Amount (sign, digits, optional fraction), within
# what the fact tables store.
_plain_amount = re.compile(
    rf"-?[0-9]{{1,{AMOUNT_INTEGER_DIGITS}}}(?:\.[0-9]{{1,{AMOUNT_DECIMAL_PLACES}}})?"
).fullmatch
# Characters that make a CSV field need quoting (COPY ... FORMAT csv).
_needs_quotes = re.compile(r'[,"\r\n]').search


# Running sums are exact: sixty digits (the fact tables hold thirty), and any rounding raises.
EXACT = Context(prec=60, traps=[Inexact, InvalidOperation])


def month_of(day: date) -> date:
    return day.replace(day=1)


class RollupSums:
    """Exact running sums of one query's rows at a coarser grain, kept while the rows are normalised.

    A rollup table rebuilt from the rows just loaded costs the database a GROUP BY over them (2.5 s of
    Postgres CPU for a million rows); the normaliser already holds every row once, so it adds each to
    its bucket as it goes. The grain is (bucket(day), first key, second key if keep_second else "",
    currency): `bucket=month_of` gives MonthlyCost's (month, account, service, currency); a daily
    rollup at (day, account, currency) is `RollupSums(bucket=lambda d: d, keep_second=False)`.
    sums maps each bucket to {(first key, second key or "", currency): [unblended, amortized, any day
    estimated]}, Decimal, exact (see EXACT); `totals()` lists them flat.
    A bucket is only complete when the window covers every day of it: the writer uses the sums of
    those buckets and rebuilds the others (a month the window cuts) from the table.
    """

    __slots__ = ("bucket", "keep_second", "sums")

    def __init__(self, *, bucket: Callable[[date], date] = month_of, keep_second: bool = True) -> None:
        self.bucket = bucket
        self.keep_second = keep_second
        self.sums: dict[date, dict[tuple[str, str, str], list[Any]]] = {}

    def totals(self) -> Iterator[tuple[date, str, str, str, Decimal, Decimal, bool]]:
        """(bucket, first key, second key or "", currency, unblended, amortized, estimated) of each grain."""
        for bucket, grains in self.sums.items():
            for (first, second, currency), (unblended, amortized, estimated) in grains.items():
                yield bucket, first, second, currency, unblended, amortized, estimated


class MalformedResponse(ValueError):
    """A page that does not have the shape Cost Explorer documents."""


@dataclass(frozen=True, slots=True)
class CostRow:
    day: date
    keys: tuple[str, ...]
    currency: str
    unblended: Decimal
    amortized: Decimal
    estimated: bool


@dataclass
class NormalisedResult:
    rows: list[CostRow]
    estimated_days: set[date] = field(default_factory=set)
    account_names: dict[str, str] = field(default_factory=dict)
    days: set[date] = field(default_factory=set)


def amount_text(value: Any) -> str | None:
    """`value` as exact plain decimal text, or None if it is not a finite number written as text that
    the fact tables can store exactly.

    "12.3400000000" -> "12.3400000000" (as it is); "1.5E-7" -> "0.00000015"; "NaN", "x", 0.1, an amount
    with a thirteenth significant decimal place -> None. A JSON number is refused: Cost Explorer
    documents Amount as a string, and a float is never exact.
    """
    if type(value) is not str:
        return None
    if _plain_amount(value):
        return value
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    if not number:
        return "0"
    # Trailing zeros past the twelfth place change nothing and are dropped; a digit there would be lost.
    text = format(number.normalize(), "f")
    return text if _plain_amount(text) else None


def amount_problem(value: Any) -> str:
    """Why amount_text refused `value`, in words for the run's error."""
    try:
        number = Decimal(value) if type(value) is str else None
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite():
        return f"{value!r} is not a number"
    return (
        f"{value!r} cannot be stored exactly (at most {AMOUNT_INTEGER_DIGITS} digits before the point and "
        f"{AMOUNT_DECIMAL_PLACES} after it); it was refused rather than rounded"
    )


def csv_field(value: str) -> str:
    """One CSV field as COPY reads it: quoted (quotes doubled) only if it holds a comma, quote or newline."""
    if _needs_quotes(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def _amount(metrics: Mapping[str, Any], name: str, where: str) -> str:
    try:
        metric = metrics[name]
        text, _ = metric["Amount"], metric["Unit"]
    except KeyError as exc:
        raise MalformedResponse(f"{where}: metric {name} is missing {exc}") from exc
    except TypeError as exc:
        raise MalformedResponse(f"{where}: metric {name} is not an object") from exc
    exact = amount_text(text)
    if exact is None:
        raise MalformedResponse(f"{where}: {name} amount {amount_problem(text)}")
    return exact


def tag_value_from_key(key: str) -> str:
    """'team$payments' -> 'payments'; 'team$' (untagged) -> ''."""
    _, sep, value = key.partition("$")
    if not sep:
        raise MalformedResponse(f"tag group key {key!r} has no '$'")
    return value


class PageNormaliser:
    """Normalise one query's pages as they arrive, holding only what the next page needs.

    Cost Explorer lists days in order; a day's groups may run on into the next page, never come back
    after a later day. So the duplicate check keeps the keys of the days still open and forgets the
    rest: a window of a million rows is read in the memory of a page. A day that reappears after a
    later one is refused, as a group arriving twice is: either would risk double counting. A day
    outside [start, end), when given, is refused too.
    """

    def __init__(
        self,
        *,
        tag_grouping: bool = False,
        start: date | None = None,
        end: date | None = None,
        rollups: Sequence[RollupSums] = (),
    ) -> None:
        self.tag_grouping = tag_grouping
        self.rollups = tuple(rollups)
        self.start, self.end = start, end
        self.estimated_days: set[date] = set()
        self.account_names: dict[str, str] = {}
        self.days: set[date] = set()
        self.pages = 0
        self._last_day: date | None = None
        self._open_keys: set[tuple[str, str, str]] = set()
        self._quoted: dict[str, str] = {}

    def _results(self, page: Mapping[str, Any]) -> Iterator[tuple[int, date, bool, Iterable[Any]]]:
        """(page number, day, estimated, groups) of each result of the page, the day checked."""
        self.pages += 1
        page_number = self.pages
        for attribute in page.get("DimensionValueAttributes", []) or []:
            name = (attribute.get("Attributes") or {}).get("description")
            if name:
                self.account_names[attribute["Value"]] = name
        for entry in page.get("ResultsByTime", []) or []:
            try:
                day = date.fromisoformat(entry["TimePeriod"]["Start"])
            except (KeyError, ValueError, TypeError) as exc:
                raise MalformedResponse(
                    f"page {page_number}: a result has no valid TimePeriod.Start"
                ) from exc
            if day != self._last_day:
                if day in self.days:
                    raise MalformedResponse(
                        f"page {page_number}: {day.isoformat()} arrived again after later days"
                    )
                if self.start is not None and self.end is not None and not (self.start <= day < self.end):
                    raise MalformedResponse(
                        f"the source answered for {day}, outside the window {self.start}..{self.end}"
                    )
                self._open_keys = set()
                self._last_day = day
            self.days.add(day)
            estimated = bool(entry.get("Estimated", False))
            if estimated:
                self.estimated_days.add(day)
            yield page_number, day, estimated, entry.get("Groups") or ()

    def _groups(
        self, page: Mapping[str, Any]
    ) -> Iterator[tuple[date, bool, str, str, str, str, str, tuple[str, str, str]]]:
        """(day, estimated, first key, second key or tag value, currency, unblended text, amortized
        text, (first, second, currency)) of every group of the page, each checked; the amounts are
        exact decimal text."""
        tag_grouping = self.tag_grouping
        plain = _plain_amount
        for page_number, day, estimated, groups in self._results(page):
            open_keys = self._open_keys
            # The hot loop of a pull: one pass per group, nothing built that is not kept. Anything
            # unexpected drops to _refuse, which names what is wrong.
            for group in groups:
                try:
                    first, second = group["Keys"]
                    metrics = group["Metrics"]
                    unblended_metric = metrics["UnblendedCost"]
                    amortized_metric = metrics["AmortizedCost"]
                    unit = unblended_metric["Unit"]
                    unblended = unblended_metric["Amount"]
                    amortized = amortized_metric["Amount"]
                    if amortized_metric["Unit"] != unit or type(unit) is not str:
                        raise ValueError
                    if not (type(first) is str and type(second) is str):
                        raise ValueError
                    if not (type(unblended) is str and plain(unblended)):
                        unblended = amount_text(unblended)
                        if unblended is None:
                            raise ValueError
                    if not (type(amortized) is str and plain(amortized)):
                        amortized = amount_text(amortized)
                        if amortized is None:
                            raise ValueError
                except (KeyError, TypeError, ValueError):
                    self._refuse(group, page_number, day)
                if tag_grouping:
                    second = tag_value_from_key(second)
                row_key = (first, second, unit)
                if row_key in open_keys:
                    raise MalformedResponse(
                        f"page {page_number}, {day.isoformat()}, group {first}/{second}: the same group arrived twice"
                    )
                open_keys.add(row_key)
                yield day, estimated, first, second, unit, unblended, amortized, row_key

    @staticmethod
    def _refuse(group: Any, page_number: int, day: date) -> NoReturn:
        """Raise MalformedResponse saying what is wrong with a group the hot loop could not read."""
        keys = group.get("Keys") if isinstance(group, Mapping) else None
        if not isinstance(keys, list | tuple) or len(keys) != 2:
            shown = "/".join(str(k) for k in keys) if isinstance(keys, list | tuple) else repr(keys)
            raise MalformedResponse(
                f"page {page_number}, {day.isoformat()}, group {shown}: "
                "expected two keys (the account and the service or tag)"
            )
        where = f"page {page_number}, {day.isoformat()}, group {keys[0]}/{keys[1]}"
        if not all(isinstance(k, str) for k in keys):
            raise MalformedResponse(f"{where}: keys are not text")
        metrics = group.get("Metrics")
        if not isinstance(metrics, Mapping):
            raise MalformedResponse(f"{where}: no Metrics")
        _amount(metrics, "UnblendedCost", where)
        _amount(metrics, "AmortizedCost", where)
        units = (metrics["UnblendedCost"]["Unit"], metrics["AmortizedCost"]["Unit"])
        if not all(isinstance(u, str) for u in units):
            raise MalformedResponse(f"{where}: a Unit is not text")
        raise MalformedResponse(f"{where}: metrics in two currencies ({units[0]}, {units[1]})")

    def feed(self, page: Mapping[str, Any]) -> Iterator[CostRow]:
        """The rows of the next page, checked, amounts as Decimal (small windows and tests)."""
        for day, estimated, first, second, unit, unblended, amortized, _ in self._groups(page):
            yield CostRow(day, (first, second), unit, Decimal(unblended), Decimal(amortized), estimated)

    def feed_csv(
        self, page: Mapping[str, Any], *, line_start: str, after_day: str, after_first: str
    ) -> list[str]:
        """The rows of the next page, checked, as COPY-ready CSV lines (what a pull spools).

        Each line is line_start + day + after_day + first key + after_first + "," + second key (or tag
        value) + amounts + currency + estimated flag: the caller supplies the columns around the keys
        (source id, provider, tag key), already CSV-quoted. Amounts are the exact text Cost Explorer sent.
        """
        quoted = self._quoted
        if len(quoted) > 100_000:  # tag values can be many; accounts and services repeat
            quoted.clear()
        lines: list[str] = []
        append = lines.append
        last_day: date | None = None
        head = ""
        rollups = self.rollups
        # Per rollup, on each new day: its bucket's dict and whether the row's own key is its key.
        buckets: list[tuple[dict[tuple[str, str, str], list[Any]], bool]] = []
        with localcontext(EXACT):
            for day, estimated, first, second, unit, unblended, amortized, row_key in self._groups(page):
                if day is not last_day:
                    last_day = day
                    head = f"{line_start}{day.isoformat()}{after_day}"
                    buckets = [(r.sums.setdefault(r.bucket(day), {}), r.keep_second) for r in rollups]
                try:
                    q_first, q_second, q_unit = quoted[first], quoted[second], quoted[unit]
                except KeyError:
                    q_first = quoted.setdefault(first, csv_field(first))
                    q_second = quoted.setdefault(second, csv_field(second))
                    q_unit = quoted.setdefault(unit, csv_field(unit))
                append(
                    f"{head}{q_first}{after_first},{q_second},{unblended},{amortized},{q_unit}{',t' if estimated else ',f'}\n"
                )
                for sums, keep_second in buckets:
                    key = row_key if keep_second else (first, "", unit)
                    total = sums.get(key)
                    if total is None:
                        sums[key] = [Decimal(unblended), Decimal(amortized), estimated]
                    else:
                        total[0] += Decimal(unblended)
                        total[1] += Decimal(amortized)
                        if estimated:
                            total[2] = True
        return lines


def normalise_pages(pages: Iterable[Mapping[str, Any]], *, tag_grouping: bool = False) -> NormalisedResult:
    """Every page of one GetCostAndUsage query as rows in memory (for small windows and tests).

    Amounts are Decimal (never float); a group seen twice is refused, which would mean double
    counting; account names come from DimensionValueAttributes on any page.
    """
    normaliser = PageNormaliser(tag_grouping=tag_grouping)
    rows = [row for page in pages for row in normaliser.feed(page)]
    return NormalisedResult(
        rows=rows,
        estimated_days=normaliser.estimated_days,
        account_names=normaliser.account_names,
        days=normaliser.days,
    )
