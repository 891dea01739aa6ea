"""Demo budgets and variances: a locked original and an active reforecast for the demo scopes, detection
on the demo source's data (its spikes become variances), and variances taken through every state of
the procedure with explanations. Idempotent: run it as often as you like.

The lead calls `demo_budgets_and_variances_seed()` from partnership/demo.py after the demo pull.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from costdata import permissions
from costdata.ingestion import windows
from costdata.planning import budget_exports, budget_files
from costdata.planning import services as budget_services
from costdata.planning.models import Budget
from costdata.variances import services as sop
from costdata.variances.models import Explanation, Variance
from costdata.variances.rules import ScopeKey, ScopeType
from stakeholders.models import Team

# Demo accounts (costdata.ingestion.demo_source) and the units and teams of partnership/demo.py.
DEMO_ACCOUNTS = (
    "210987654321",
    "210987654322",
    "310987654321",
    "410987654321",
    "510987654321",
    "610987654321",
)
# Payments is budgeted tight in the reforecast so that it heads over budget: a variance to explain.
TIGHT = {"Payments": Decimal("0.85"), "210987654321": Decimal("0.85")}
ORIGINAL_FACTOR = Decimal("1.03")
REFORECAST_FACTOR = Decimal("1.08")
CENT = Decimal("0.01")


@dataclass
class DemoBudgetResult:
    budget_created: bool = False
    variances_created: int = 0
    procedure_steps: list[str] = field(default_factory=list)


def _scopes() -> list[ScopeKey]:
    scopes = [ScopeKey(ScopeType.ORGANISATION, "")]
    for team in Team.objects.order_by("kind", "name"):
        kind = ScopeType.BUSINESS_UNIT if team.kind == Team.Kind.BUSINESS_UNIT else ScopeType.TEAM
        scopes.append(ScopeKey(kind, team.name))
    scopes += [ScopeKey(ScopeType.ACCOUNT, account) for account in DEMO_ACCOUNTS]
    return scopes


def _lines(*, factor: Decimal, currency: str, months: list, base_month) -> list[budget_files.BudgetLine]:
    lines = []
    for scope in _scopes():
        actual = sop.scope_month_actual(scope=scope, month=base_month, currency=currency)
        if not actual:
            continue
        scope_factor = TIGHT.get(scope.value, factor) if factor == REFORECAST_FACTOR else factor
        for month in months:
            amount = (actual * scope_factor).quantize(CENT, rounding=ROUND_HALF_UP)
            lines.append(budget_files.BudgetLine(scope, month, amount, currency))
    return lines


def _budgets(result: DemoBudgetResult) -> None:
    today = timezone.localdate()
    fiscal_year = budget_services.fiscal_year_for(today)
    if Budget.objects.filter(fiscal_year=fiscal_year).exists():
        return
    base_month = windows.add_months(today, -1)
    first, _ = budget_services.fiscal_year_bounds(fiscal_year)
    months = budget_files.fiscal_year_months(first)
    finance = get_user_model().objects.filter(username="finance").first()
    budget = budget_services.budget_create(
        name=f"FY{fiscal_year} cloud budget", fiscal_year=fiscal_year, actor=finance
    )
    original = budget_services.budget_version_create(budget=budget, name="Original", actor=finance)
    lines = _lines(factor=ORIGINAL_FACTOR, currency=budget.currency, months=months, base_month=base_month)
    if not lines:
        return  # no cost data yet: nothing to budget from
    data = budget_exports.export_budget_csv(lines)  # through the import path finance uses
    budget_services.budget_version_import(version=original, data=data, filename="original.csv", actor=finance)
    budget_services.budget_version_lock(version=original, actor=finance)
    reforecast = budget_services.budget_version_create(
        budget=budget,
        name="Q2 reforecast",
        note="Payments' new checkout is cheaper than planned.",
        actor=finance,
    )
    data = budget_exports.export_budget_csv(
        _lines(factor=REFORECAST_FACTOR, currency=budget.currency, months=months, base_month=base_month)
    )
    budget_services.budget_version_import(
        version=reforecast, data=data, filename="reforecast.csv", actor=finance
    )
    budget_services.budget_version_activate(version=reforecast, actor=finance)
    result.budget_created = True


EXPLANATIONS = [
    (
        "incident",
        "A retry storm in the settlement worker after a bad deploy; rolled back the same afternoon.",
        "one_off",
    ),
    (
        "usage_growth",
        "Black Friday traffic ran 40% above last year; checkout scaled out as designed.",
        "this_month",
    ),
    ("new_workload", "The fraud-scoring service went live this month on its own RDS cluster.", "ongoing"),
    (
        "data_issue",
        "Staging resources were tagged team=payments by a template default; fixed in the template.",
        "one_off",
    ),
]


def _procedure(result: DemoBudgetResult) -> None:
    """Take demo variances through every state, once (a second run finds explanations and stops)."""
    if Explanation.objects.exists():
        return
    User = get_user_model()
    finance, engineer, admin = (
        User.objects.filter(username=n).first() for n in ("finance", "engineer", "admin")
    )
    if finance is None or engineer is None or admin is None:
        return
    assigned = list(Variance.objects.filter(status=Variance.Status.ASSIGNED).order_by("-month", "pk"))
    payments = [v for v in assigned if permissions.may_explain_variance(engineer, v)]
    keep = payments[0] if payments else None  # one stays assigned for the engineer to explain
    queue = [v for v in payments[1:] + [v for v in assigned if v not in payments]]
    steps = ["explained", "sent_back", "accepted", "closed"]
    for variance, step in zip(queue, steps, strict=False):
        author = engineer if permissions.may_explain_variance(engineer, variance) else admin
        category, narrative, duration = EXPLANATIONS[steps.index(step) % len(EXPLANATIONS)]
        sop.variance_explain(
            variance=variance,
            actor=author,
            category=category,
            narrative=narrative,
            expected_duration=duration,
            planned_action="Review the autoscaling limits at the next partnership meeting.",
        )
        if step == "sent_back":
            sop.variance_send_back(
                variance=variance, actor=finance, comment="Which deploy? Please link the incident report."
            )
        elif step in ("accepted", "closed"):
            sop.variance_accept(variance=variance, actor=finance, comment="Understood; no further action.")
            if step == "closed":
                sop.variance_close(variance=variance, actor=finance, comment="Settled at the monthly review.")
        result.procedure_steps.append(f"{variance.pk}:{step}")
    if keep is not None:
        result.procedure_steps.append(f"{keep.pk}:assigned")


def demo_budgets_and_variances_seed() -> DemoBudgetResult:
    """Budgets, detection and the procedure for the demo organisation (after its first pull)."""
    result = DemoBudgetResult()
    through = sop.data_through()
    if through is None:
        return result
    _budgets(result)
    now = timezone.now()
    current = windows.first_of_month(through)
    previous = windows.add_months(current, -1)
    # Last month's variances were found while it was open, twelve days ago: some are overdue by now.
    result.variances_created += sop.variances_detect(months=[previous], now=now - timedelta(days=12)).created
    result.variances_created += sop.variances_detect(months=[current], now=now).created
    _procedure(result)
    sop.variances_escalate_overdue(now=now)
    return result
