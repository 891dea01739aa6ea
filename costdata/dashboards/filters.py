"""What a dashboard URL may ask for: the filters (period, basis, business unit, team, account,
service, currency, days), validated, and the glossary links for the chosen basis.

A bad value raises FilterErrors naming each bad field; nothing is computed for such a request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q
from django.http import Http404
from django.urls import reverse

from common.glossary_links import term_anchor
from common.types import AnyUser
from stakeholders.models import Team

BASES = ("unblended", "amortized")
BASIS_ALIASES = {"amortised": "amortized"}
BASIS_LABELS = {"unblended": "Unblended", "amortized": "Amortised"}
SCOPE_KINDS = ("business_unit", "team", "account", "service")
SCOPE_LABELS = {
    "organisation": "Organisation",
    "business_unit": "Business unit",
    "team": "Team",
    "account": "Account",
    "service": "Service",
}
DEFAULT_DAYS = 90
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")

# Glossary slugs (meetings' seeded glossary) for the term keys the chart functions use.
_TERM_SLUGS = {
    "estimated": "estimated-figures",
    "forecast": "forecast",
    "projected": "forecast",
    "variance": "variance",
    "commitments": "savings-plan",
    "coverage": "coverage",
    "utilisation": "utilisation",
    "top_movers": "variance",
}
BASIS_TERMS = {"unblended": "unblended-cost", "amortized": "amortised-cost"}  # glossary slugs


def term_urls(basis: str) -> dict[str, str]:
    """Chart term keys -> glossary URLs; "cost", "actual" and "daily_cost" name the chosen basis."""
    glossary = reverse("glossary-list")
    urls = {key: f"{glossary}#{term_anchor(slug)}" for key, slug in _TERM_SLUGS.items()}
    for key in ("cost", "actual", "daily_cost"):
        urls[key] = f"{glossary}#{term_anchor(BASIS_TERMS[basis])}"
    return urls


@dataclass(frozen=True)
class DashboardFilters:
    """What the URL asks for, validated. `period` is the first of the month the page is about."""

    period: date | None = None
    basis: str = "unblended"
    business_unit: Team | None = None
    team: Team | None = None
    account: str = ""
    service: str = ""
    currency: str = ""
    days: int = DEFAULT_DAYS
    # What the user may see, as a condition over DailyCost/MonthlyCost fields (account_id, service);
    # None means everything. Filled by the views from the user's role; never from the URL.
    visible: Q | None = None
    # The user `visible` was computed for: with `visible` set, budgets, the organisation's totals and
    # the providers' panels (variances) are shown only as costdata.permissions allows this user (no
    # user: none of them). Ignored while `visible` is None.
    viewer: AnyUser | None = field(default=None, compare=False, repr=False)

    @property
    def restricted(self) -> bool:
        """The figures are for someone who may not read every cost."""
        return self.visible is not None

    def query(self, *, exclude: Iterable[str] = ()) -> dict[str, str]:
        """The filters as URL parameters (defaults left out), for links that keep the selection."""
        params = {
            "period": f"{self.period:%Y-%m}" if self.period else "",
            "basis": self.basis if self.basis != "unblended" else "",
            "business_unit": str(self.business_unit.pk) if self.business_unit else "",
            "team": str(self.team.pk) if self.team else "",
            "account": self.account,
            "service": self.service,
            "currency": self.currency,
            "days": str(self.days) if self.days != DEFAULT_DAYS else "",
        }
        return {k: v for k, v in params.items() if v and k not in set(exclude)}

    def describe(self) -> list[str]:
        parts = []
        if self.business_unit:
            parts.append(f"business unit {self.business_unit.name}")
        if self.team:
            parts.append(f"team {self.team.name}")
        if self.account:
            parts.append(f"account {self.account}")
        if self.service:
            parts.append(f"service {self.service}")
        return parts


class FilterErrors(ValueError):
    """Bad filter values: field -> message. Nothing is computed for a request that has any."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


FILTER_FIELDS = ("period", "basis", "business_unit", "team", "account", "service", "currency", "days")


def _team_param(name: str, raw: str, kind: str, errors: dict[str, str]) -> Team | None:
    if not raw:
        return None
    if not raw.isdigit():
        errors[name] = f"Give the {SCOPE_LABELS[kind].lower()}'s id (a number); got {raw!r}."
        return None
    team = Team.objects.filter(pk=int(raw), kind=kind).first()
    if team is None:  # as for a team the viewer may not see (views._visible_filters): nothing to tell
        raise Http404(f"No such {SCOPE_LABELS[kind].lower()}.")
    return team


def parse_filters(params: Mapping[str, str]) -> DashboardFilters:
    """Validate URL parameters; raise FilterErrors naming each bad field. Unknown parameters are ignored."""
    errors: dict[str, str] = {}
    raw = {name: (params.get(name) or "").strip() for name in FILTER_FIELDS}
    period = None
    if raw["period"]:
        match = _PERIOD.match(raw["period"])
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
            errors["period"] = f"Give a month as YYYY-MM, e.g. 2026-11; got {raw['period']!r}."
        else:
            period = date(int(match.group(1)), int(match.group(2)), 1)
    basis = BASIS_ALIASES.get(raw["basis"].lower(), raw["basis"].lower()) or "unblended"
    if basis not in BASES:
        errors["basis"] = f"Choose unblended or amortized; got {raw['basis']!r}."
    business_unit = _team_param("business_unit", raw["business_unit"], Team.Kind.BUSINESS_UNIT, errors)
    team = _team_param("team", raw["team"], Team.Kind.TEAM, errors)
    if len(raw["account"]) > 100:
        errors["account"] = "An account id is at most 100 characters."
    if len(raw["service"]) > 255:
        errors["service"] = "A service name is at most 255 characters."
    if raw["currency"] and not _CURRENCY.match(raw["currency"]):
        errors["currency"] = f"Give an ISO 4217 code such as USD; got {raw['currency']!r}."
    days = DEFAULT_DAYS
    if raw["days"]:
        if not raw["days"].isdigit() or not 7 <= int(raw["days"]) <= 400:
            errors["days"] = f"Give a whole number of days from 7 to 400; got {raw['days']!r}."
        else:
            days = int(raw["days"])
    if errors:
        raise FilterErrors(errors)
    return DashboardFilters(
        period=period,
        basis=basis,
        business_unit=business_unit,
        team=team,
        account=raw["account"],
        service=raw["service"],
        currency=raw["currency"],
        days=days,
    )
