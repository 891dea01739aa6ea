"""Cost Explorer GetCostAndUsage pages -> rows at the fact grain. Pure: no Django, no network.

A response lists, per day, groups keyed by the GroupBy dimensions, each with its metrics. Cost
Explorer splits a long answer across pages by NextPageToken, and one day's groups may straddle two
pages: rows are keyed by (day, keys, currency) and merged across pages, never overwritten.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

METRICS = ("UnblendedCost", "AmortizedCost")


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


def _amount(metrics: Mapping[str, Any], name: str, where: str) -> tuple[Decimal, str]:
    try:
        metric = metrics[name]
        return Decimal(metric["Amount"]), metric["Unit"]
    except KeyError as exc:
        raise MalformedResponse(f"{where}: metric {name} is missing {exc}") from exc
    except (InvalidOperation, TypeError) as exc:
        raise MalformedResponse(
            f"{where}: {name} amount {metrics[name].get('Amount')!r} is not a number"
        ) from exc


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
    later one is refused, as a group arriving twice is: either would risk double counting.
    """

    def __init__(self, *, tag_grouping: bool = False) -> None:
        self.tag_grouping = tag_grouping
        self.estimated_days: set[date] = set()
        self.account_names: dict[str, str] = {}
        self.days: set[date] = set()
        self.pages = 0
        self._last_day: date | None = None
        self._open_keys: set[tuple[str, str, str]] = set()

    def feed(self, page: Mapping[str, Any]) -> Iterator[CostRow]:
        """The rows of the next page, checked."""
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
                self._open_keys = set()
                self._last_day = day
            self.days.add(day)
            estimated = bool(entry.get("Estimated", False))
            if estimated:
                self.estimated_days.add(day)
            open_keys = self._open_keys
            tag_grouping = self.tag_grouping
            # The hot loop of a pull: one pass per group, nothing built that is not kept.
            for group in entry.get("Groups") or ():
                keys = group.get("Keys") or ()
                if len(keys) != 2:
                    raise MalformedResponse(
                        f"page {page_number}, {day.isoformat()}, group {'/'.join(keys)}: "
                        "expected two keys (the account and the service or tag)"
                    )
                first, second = keys
                if tag_grouping:
                    second = tag_value_from_key(second)
                metrics = group.get("Metrics") or {}
                try:
                    unblended_metric = metrics["UnblendedCost"]
                    amortized_metric = metrics["AmortizedCost"]
                    unit = unblended_metric["Unit"]
                    unblended = Decimal(unblended_metric["Amount"])
                    amortized = Decimal(amortized_metric["Amount"])
                    same_unit = amortized_metric["Unit"] == unit
                    if not (unblended.is_finite() and amortized.is_finite()):
                        raise InvalidOperation
                except (KeyError, TypeError, InvalidOperation):
                    where = f"page {page_number}, {day.isoformat()}, group {first}/{second}"
                    _amount(metrics, "UnblendedCost", where)
                    _amount(metrics, "AmortizedCost", where)
                    raise MalformedResponse(f"{where}: an amount is not a finite number") from None
                if not same_unit:
                    raise MalformedResponse(
                        f"page {page_number}, {day.isoformat()}, group {first}/{second}: metrics in two "
                        f"currencies ({unit}, {amortized_metric['Unit']})"
                    )
                row_key = (first, second, unit)
                if row_key in open_keys:
                    raise MalformedResponse(
                        f"page {page_number}, {day.isoformat()}, group {first}/{second}: the same group arrived twice"
                    )
                open_keys.add(row_key)
                yield CostRow(day, (first, second), unit, unblended, amortized, estimated)


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
