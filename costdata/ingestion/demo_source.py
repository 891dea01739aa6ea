"""A deterministic stand-in for the Cost Explorer API, so the embedded default runs the real pull.

`DemoCostExplorer` answers `get_cost_and_usage` with the same page shapes Cost Explorer returns
(ResultsByTime, Groups, DimensionValueAttributes, NextPageToken, the Estimated flag), paginating at a
fixed number of groups so one day's groups straddle pages. Its figures depend only on the seed and the
day: growth month over month, lower weekends for compute, a few spikes a month, and the most recent
days marked Estimated at a lower figure that a later pull restates. No Django imports.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from botocore.exceptions import ClientError

TEN_PLACES = Decimal("0.0000000001")
ESTIMATED_DAYS = 3
GROUPS_PER_PAGE = 250


@dataclass(frozen=True)
class DemoAccount:
    account_id: str
    name: str
    team: str
    services: dict[str, Decimal]  # service -> base daily cost in USD


_COMPUTE = "Amazon Elastic Compute Cloud - Compute"
DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        "210987654321",
        "payments-prod",
        "payments",
        {
            _COMPUTE: Decimal("612.40"),
            "Amazon Relational Database Service": Decimal("298.15"),
            "Amazon ElastiCache": Decimal("74.20"),
            "Amazon Simple Storage Service": Decimal("41.87"),
            "Elastic Load Balancing": Decimal("28.30"),
            "EC2 - Other": Decimal("55.12"),
            "AmazonCloudWatch": Decimal("19.45"),
            "AWS Key Management Service": Decimal("3.10"),
        },
    ),
    DemoAccount(
        "210987654322",
        "payments-staging",
        "payments",
        {
            _COMPUTE: Decimal("96.30"),
            "Amazon Relational Database Service": Decimal("44.60"),
            "Amazon Simple Storage Service": Decimal("6.05"),
            "EC2 - Other": Decimal("12.40"),
        },
    ),
    DemoAccount(
        "310987654321",
        "search-prod",
        "search",
        {
            _COMPUTE: Decimal("455.00"),
            "Amazon OpenSearch Service": Decimal("388.90"),
            "Amazon Simple Storage Service": Decimal("67.33"),
            "Amazon CloudFront": Decimal("52.10"),
            "AWS Lambda": Decimal("21.75"),
            "AmazonCloudWatch": Decimal("14.02"),
        },
    ),
    DemoAccount(
        "410987654321",
        "data-platform",
        "data",
        {
            "Amazon Redshift": Decimal("520.00"),
            "Amazon Simple Storage Service": Decimal("233.48"),
            "AWS Glue": Decimal("118.60"),
            "Amazon Athena": Decimal("37.90"),
            "Amazon Kinesis": Decimal("66.25"),
            "EC2 - Other": Decimal("31.70"),
        },
    ),
    DemoAccount(
        "510987654321",
        "marketing-web",
        "web",
        {
            "Amazon CloudFront": Decimal("88.40"),
            "AWS Lambda": Decimal("35.60"),
            "Amazon DynamoDB": Decimal("48.75"),
            "Amazon Simple Storage Service": Decimal("12.90"),
            "Amazon Route 53": Decimal("4.20"),
        },
    ),
    DemoAccount(
        "610987654321",
        "shared-services",
        "platform",
        {
            _COMPUTE: Decimal("140.00"),
            "Amazon Elastic Container Service": Decimal("64.30"),
            "Amazon Virtual Private Cloud": Decimal("58.80"),
            "AWS Config": Decimal("11.40"),
            "AWS CloudTrail": Decimal("6.60"),
            "AmazonCloudWatch": Decimal("22.90"),
        },
    ),
)
# Services whose cost carries no team tag (shared networking, account-level charges).
UNTAGGED_SERVICES = frozenset({"EC2 - Other", "Amazon Virtual Private Cloud", "AWS CloudTrail", "AWS Config"})
WEEKEND_SENSITIVE = frozenset({_COMPUTE, "Amazon Elastic Container Service", "AWS Lambda", "AWS Glue"})
MONTHLY_GROWTH = Decimal("0.018")


def _unit_interval(*parts: object) -> Decimal:
    """A deterministic number in [0, 1) from the parts, as an exact Decimal."""
    digest = hashlib.blake2b(":".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return Decimal(int.from_bytes(digest, "big")) / Decimal(2**64)


def _months_between(origin: date, day: date) -> int:
    return (day.year - origin.year) * 12 + day.month - origin.month


class DemoCostExplorer:
    """Implements the Cost Explorer client methods the pull uses, from a seeded generator."""

    ORIGIN = date(2024, 1, 1)

    def __init__(self, *, seed: int = 2027, today: date | None = None) -> None:
        self.seed = seed
        self.today = today or date.today()
        self.requests = 0
        self._answers: dict[str, list[tuple[date, dict[str, Any]]]] = {}

    # --- figures ------------------------------------------------------------------------------
    def final_amount(self, account: DemoAccount, service: str, day: date) -> Decimal:
        base = account.services[service]
        growth = (1 + MONTHLY_GROWTH) ** max(_months_between(self.ORIGIN, day), 0)
        weekend = Decimal("0.78") if day.weekday() >= 5 and service in WEEKEND_SENSITIVE else Decimal(1)
        noise = Decimal("0.92") + _unit_interval(self.seed, day, account.account_id, service) * Decimal(
            "0.16"
        )
        amount = base * growth * weekend * noise
        if self.is_spike(account, service, day):
            amount *= Decimal("2.6")
        return amount.quantize(TEN_PLACES, rounding=ROUND_HALF_EVEN)

    def is_spike(self, account: DemoAccount, service: str, day: date) -> bool:
        """Two spikes a month, each on one account's largest service for three days running."""
        largest = max(account.services, key=account.services.__getitem__)
        if service != largest:
            return False
        for n in range(2):
            month = day.replace(day=1)
            start_day = 3 + int(_unit_interval(self.seed, "spike-day", month, n) * 22)
            index = int(_unit_interval(self.seed, "spike-account", month, n) * len(DEMO_ACCOUNTS))
            if DEMO_ACCOUNTS[index] is account and 0 <= day.day - start_day < 3:
                return True
        return False

    def is_estimated(self, day: date) -> bool:
        return self.today - timedelta(days=ESTIMATED_DAYS) <= day < self.today

    def amount(self, account: DemoAccount, service: str, day: date) -> Decimal:
        final = self.final_amount(account, service, day)
        if self.is_estimated(day):
            # Recent figures arrive low and are restated upwards as late usage is billed.
            return (final * Decimal("0.93")).quantize(TEN_PLACES, rounding=ROUND_HALF_EVEN)
        return final

    # --- the API surface ------------------------------------------------------------------------
    def get_cost_and_usage(self, **request: Any) -> dict[str, Any]:
        self.requests += 1
        start, end, group_by = self._validate(request)
        offset = self._offset(request.get("NextPageToken"), request)
        fingerprint = self._fingerprint(request)
        if fingerprint not in self._answers:  # generate the whole answer once, then serve it page by page
            groups_by_day = self._all_groups(start, end, group_by)
            self._answers = {fingerprint: [(day, group) for day, groups in groups_by_day for group in groups]}
        flat = self._answers[fingerprint]
        chunk = flat[offset : offset + GROUPS_PER_PAGE]
        results: dict[date, list[dict[str, Any]]] = {}
        for day, group in chunk:
            results.setdefault(day, []).append(group)
        response: dict[str, Any] = {
            "GroupDefinitions": [{"Type": g["Type"], "Key": g["Key"]} for g in group_by],
            "ResultsByTime": [
                {
                    "TimePeriod": {"Start": day.isoformat(), "End": (day + timedelta(days=1)).isoformat()},
                    "Total": {},
                    "Groups": groups,
                    "Estimated": self.is_estimated(day),
                }
                for day, groups in results.items()
            ],
            "DimensionValueAttributes": [
                {"Value": a.account_id, "Attributes": {"description": a.name}} for a in DEMO_ACCOUNTS
            ],
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }
        if offset + GROUPS_PER_PAGE < len(flat):
            response["NextPageToken"] = self._token(offset + GROUPS_PER_PAGE, request)
        return response

    def _all_groups(self, start: date, end: date, group_by: list[dict[str, str]]) -> list[tuple[date, list]]:
        tag_key = group_by[1]["Key"] if group_by[1]["Type"] == "TAG" else None
        days = []
        day = start
        while day < min(end, self.today):
            groups: list[dict[str, Any]] = []
            for account in DEMO_ACCOUNTS:
                if tag_key is None:
                    for service in account.services:
                        groups.append(
                            self._group([account.account_id, service], self.amount(account, service, day))
                        )
                else:
                    by_value: dict[str, Decimal] = {}
                    for service in account.services:
                        value = self._tag_value(account, service, tag_key)
                        by_value[value] = by_value.get(value, Decimal(0)) + self.amount(account, service, day)
                    for value, total in by_value.items():
                        groups.append(self._group([account.account_id, f"{tag_key}${value}"], total))
            days.append((day, groups))
            day += timedelta(days=1)
        return days

    @staticmethod
    def _tag_value(account: DemoAccount, service: str, tag_key: str) -> str:
        if service in UNTAGGED_SERVICES:
            return ""
        if tag_key == "team":
            return account.team
        if tag_key == "cost-centre":
            return {"payments": "CC-100", "search": "CC-200", "data": "CC-300", "web": "CC-400"}.get(
                account.team, ""
            )
        return ""

    @staticmethod
    def _group(keys: list[str], amount: Decimal) -> dict[str, Any]:
        text = format(amount, "f")
        return {
            "Keys": keys,
            "Metrics": {
                "UnblendedCost": {"Amount": text, "Unit": "USD"},
                # The demo organisation buys no commitments, so amortised equals unblended.
                "AmortizedCost": {"Amount": text, "Unit": "USD"},
            },
        }

    # --- forecast and commitments ------------------------------------------------------------
    # The demo organisation covers part of its compute with a Savings Plan and part of its databases
    # with Reserved Instances; the figures vary by month from the seed.
    def _period(self, request: dict[str, Any]) -> tuple[date, date]:
        try:
            start = date.fromisoformat(request["TimePeriod"]["Start"])
            end = date.fromisoformat(request["TimePeriod"]["End"])
        except (KeyError, ValueError):
            raise self._error(
                "ValidationException", "TimePeriod Start and End must be YYYY-MM-DD dates"
            ) from None
        if end <= start:
            raise self._error("ValidationException", "End date must be after the start date")
        return start, end

    def _month_total(self, start: date, end: date, services: frozenset[str] | None = None) -> Decimal:
        total = Decimal(0)
        day = start
        while day < end:
            for account in DEMO_ACCOUNTS:
                for service in account.services:
                    if services is None or service in services:
                        total += self.final_amount(account, service, day)
            day += timedelta(days=1)
        return total

    def get_cost_forecast(self, **request: Any) -> dict[str, Any]:
        self.requests += 1
        start, end = self._period(request)
        if start < self.today:
            raise self._error("ValidationException", "Start date must be on or after the current date")
        mean = self._month_total(start, end).quantize(TEN_PLACES)
        spread = (mean * Decimal("0.06")).quantize(TEN_PLACES)
        return {
            "Total": {"Amount": format(mean, "f"), "Unit": "USD"},
            "ForecastResultsByTime": [
                {
                    "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
                    "MeanValue": format(mean, "f"),
                    "PredictionIntervalLowerBound": format(mean - spread, "f"),
                    "PredictionIntervalUpperBound": format(mean + spread, "f"),
                }
            ],
        }

    def _share(self, name: str, start: date, low: str, high: str) -> Decimal:
        fraction = _unit_interval(self.seed, name, start.replace(day=1))
        return Decimal(low) + (Decimal(high) - Decimal(low)) * fraction

    def get_savings_plans_coverage(self, **request: Any) -> dict[str, Any]:
        self.requests += 1
        start, end = self._period(request)
        compute = self._month_total(start, min(end, self.today), WEEKEND_SENSITIVE)
        covered = (compute * self._share("sp-coverage", start, "0.55", "0.72")).quantize(TEN_PLACES)
        on_demand = compute - covered
        percent = (covered * 100 / compute).quantize(TEN_PLACES) if compute else Decimal(0)
        return {
            "SavingsPlansCoverages": [
                {
                    "Attributes": {},
                    "Coverage": {
                        "SpendCoveredBySavingsPlans": format(covered, "f"),
                        "OnDemandCost": format(on_demand, "f"),
                        "TotalCost": format(compute, "f"),
                        "CoveragePercentage": format(percent, "f"),
                    },
                    "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
                }
            ]
        }

    def get_savings_plans_utilization(self, **request: Any) -> dict[str, Any]:
        self.requests += 1
        start, end = self._period(request)
        days = Decimal((min(end, self.today) - start).days)
        commitment = (Decimal("820.00") * days).quantize(TEN_PLACES)
        used = (commitment * self._share("sp-use", start, "0.91", "0.995")).quantize(TEN_PLACES)
        utilisation = {
            "TotalCommitment": format(commitment, "f"),
            "UsedCommitment": format(used, "f"),
            "UnusedCommitment": format(commitment - used, "f"),
            "UtilizationPercentage": format(
                (used * 100 / commitment).quantize(TEN_PLACES) if commitment else 0, "f"
            ),
        }
        return {
            "SavingsPlansUtilizationsByTime": [
                {
                    "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
                    "Utilization": utilisation,
                }
            ],
            "Total": {"Utilization": utilisation},
        }

    def get_reservation_coverage(self, **request: Any) -> dict[str, Any]:
        self.requests += 1
        start, end = self._period(request)
        hours = Decimal((min(end, self.today) - start).days * 24 * 14)
        reserved = (hours * self._share("ri-coverage", start, "0.30", "0.45")).quantize(Decimal("0.01"))
        on_demand_hours = hours - reserved
        total = {
            "CoverageHours": {
                "OnDemandHours": format(on_demand_hours, "f"),
                "ReservedHours": format(reserved, "f"),
                "TotalRunningHours": format(hours, "f"),
                "CoverageHoursPercentage": format(
                    (reserved * 100 / hours).quantize(TEN_PLACES) if hours else 0, "f"
                ),
            },
            "CoverageCost": {
                "OnDemandCost": format((on_demand_hours * Decimal("0.384")).quantize(TEN_PLACES), "f")
            },
        }
        return {
            "CoveragesByTime": [
                {
                    "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
                    "Groups": [],
                    "Total": total,
                }
            ],
            "Total": total,
        }

    def get_reservation_utilization(self, **request: Any) -> dict[str, Any]:
        self.requests += 1
        start, end = self._period(request)
        purchased = Decimal((min(end, self.today) - start).days * 24 * 5)
        used = (purchased * self._share("ri-use", start, "0.82", "0.97")).quantize(Decimal("0.01"))
        fee = (purchased * Decimal("0.21")).quantize(TEN_PLACES)
        total = {
            "UtilizationPercentage": format(
                (used * 100 / purchased).quantize(TEN_PLACES) if purchased else 0, "f"
            ),
            "PurchasedHours": format(purchased, "f"),
            "TotalActualHours": format(used, "f"),
            "UnusedHours": format(purchased - used, "f"),
            "TotalAmortizedFee": format(fee, "f"),
            "RICostForUnusedHours": format(((purchased - used) * Decimal("0.21")).quantize(TEN_PLACES), "f"),
        }
        return {
            "UtilizationsByTime": [
                {
                    "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
                    "Groups": [],
                    "Total": total,
                }
            ],
            "Total": total,
        }

    # --- request checking, as Cost Explorer does it ----------------------------------------------
    def _validate(self, request: dict[str, Any]) -> tuple[date, date, list[dict[str, str]]]:
        try:
            start = date.fromisoformat(request["TimePeriod"]["Start"])
            end = date.fromisoformat(request["TimePeriod"]["End"])
        except (KeyError, ValueError):
            raise self._error(
                "ValidationException", "TimePeriod Start and End must be YYYY-MM-DD dates"
            ) from None
        if end <= start:
            raise self._error("ValidationException", "End date must be after the start date")
        if end > self.today:
            raise self._error("ValidationException", "End date past the current date")
        if request.get("Granularity") != "DAILY":
            raise self._error("ValidationException", "The demo source answers DAILY granularity only")
        group_by = request.get("GroupBy") or []
        if len(group_by) != 2 or group_by[0] != {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}:
            raise self._error("ValidationException", "Group by LINKED_ACCOUNT and one SERVICE or TAG")
        if group_by[1] != {"Type": "DIMENSION", "Key": "SERVICE"} and group_by[1].get("Type") != "TAG":
            raise self._error("ValidationException", "The second grouping must be SERVICE or a TAG")
        return start, end, group_by

    @staticmethod
    def _fingerprint(request: dict[str, Any]) -> str:
        stable = {k: v for k, v in request.items() if k != "NextPageToken"}
        return hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()[:16]

    def _token(self, offset: int, request: dict[str, Any]) -> str:
        raw = json.dumps({"o": offset, "f": self._fingerprint(request)}).encode()
        return base64.urlsafe_b64encode(raw).decode()

    def _offset(self, token: str | None, request: dict[str, Any]) -> int:
        if not token:
            return 0
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()))
            offset, fingerprint = int(data["o"]), data["f"]
        except (ValueError, KeyError, TypeError):
            raise self._error("InvalidNextTokenException", "The pagination token is invalid") from None
        if fingerprint != self._fingerprint(request):
            raise self._error("RequestChangedException", "The request changed between pages")
        return offset

    @staticmethod
    def _error(code: str, message: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": message}}, "GetCostAndUsage")
