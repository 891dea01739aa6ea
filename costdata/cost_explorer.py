"""Cost Explorer GetCostAndUsage pages -> rows at the fact grain. Pure: no Django, no network.

A response lists, per day, groups keyed by the GroupBy dimensions, each with its metrics. Cost
Explorer splits a long answer across pages by NextPageToken, and one day's groups may straddle two
pages: rows are keyed by (day, keys, currency) and merged across pages, never overwritten.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

METRICS = ("UnblendedCost", "AmortizedCost")


class MalformedResponse(ValueError):
    """A page that does not have the shape Cost Explorer documents."""


@dataclass(frozen=True)
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


def normalise_pages(pages: Iterable[Mapping[str, Any]], *, tag_grouping: bool = False) -> NormalisedResult:
    """Merge every page of one GetCostAndUsage query into rows.

    Steps: read each ResultsByTime entry's day and Estimated flag; for each group read both metrics as
    Decimal (never float); key the row by (day, group keys, currency); refuse a key seen twice, which
    would mean double counting. Account names come from DimensionValueAttributes on any page.
    """
    merged: dict[tuple[date, tuple[str, ...], str], CostRow] = {}
    result = NormalisedResult(rows=[])
    for page_number, page in enumerate(pages, start=1):
        for attribute in page.get("DimensionValueAttributes", []) or []:
            name = (attribute.get("Attributes") or {}).get("description")
            if name:
                result.account_names[attribute["Value"]] = name
        for entry in page.get("ResultsByTime", []) or []:
            try:
                day = date.fromisoformat(entry["TimePeriod"]["Start"])
            except (KeyError, ValueError) as exc:
                raise MalformedResponse(
                    f"page {page_number}: a result has no valid TimePeriod.Start"
                ) from exc
            result.days.add(day)
            estimated = bool(entry.get("Estimated", False))
            if estimated:
                result.estimated_days.add(day)
            for group in entry.get("Groups", []) or []:
                keys = tuple(group.get("Keys") or ())
                where = f"page {page_number}, {day.isoformat()}, group {'/'.join(keys)}"
                if tag_grouping:
                    if len(keys) != 2:
                        raise MalformedResponse(f"{where}: expected an account and a tag key")
                    keys = (keys[0], tag_value_from_key(keys[1]))
                metrics = group.get("Metrics") or {}
                unblended, unit = _amount(metrics, "UnblendedCost", where)
                amortized, amortized_unit = _amount(metrics, "AmortizedCost", where)
                if amortized_unit != unit:
                    raise MalformedResponse(f"{where}: metrics in two currencies ({unit}, {amortized_unit})")
                row_key = (day, keys, unit)
                if row_key in merged:
                    raise MalformedResponse(f"{where}: the same group arrived twice")
                merged[row_key] = CostRow(day, keys, unit, unblended, amortized, estimated)
    result.rows = list(merged.values())
    return result
