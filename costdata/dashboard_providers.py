"""Budgets and the variance procedure, plugged into the dashboards' hooks.

The dashboards (costdata/dashboards.py) know nothing of budgets or variances: they ask registered
providers. This module answers from the budget plans (the budget's active version, else its latest)
and from the variances, and is registered by costdata.registrations.register_all().
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
from django.db.models import Q
from django.utils import timezone

from costdata import charts, dashboards
from costdata.models import Budget, BudgetLine, Variance
from costdata.variance_rules import ScopeType
from costdata.variance_selectors import variance_status_counts

# The dashboards' scope kinds name the budget plans' scope types one to one.
_SCOPE_TYPES = {
    "organisation": ScopeType.ORGANISATION,
    "business_unit": ScopeType.BUSINESS_UNIT,
    "team": ScopeType.TEAM,
    "account": ScopeType.ACCOUNT,
    "service": ScopeType.SERVICE,
}


def budget_scope_key(scope: dashboards.CostScope) -> tuple[str, str] | None:
    """(scope_type, scope_value) as budget lines name the scope; None for a scope budgets cannot have."""
    if scope.kind == "organisation":
        # The "No business unit" row is organisation-kind too, but no budget line is about it.
        return (ScopeType.ORGANISATION, "") if scope.label == dashboards.ORGANISATION.label else None
    if scope.kind in ("business_unit", "team"):
        return (_SCOPE_TYPES[scope.kind], scope.label)  # budget lines name teams and units by name
    if scope.kind in _SCOPE_TYPES:
        return (_SCOPE_TYPES[scope.kind], scope.value)
    return None


class BudgetsFromPlans:
    """The month's amount from the effective version of the budget covering it, in its currency."""

    def budget_for(
        self, *, scope: dashboards.CostScope, month: date, basis: str, currency: str
    ) -> Decimal | None:
        key = budget_scope_key(scope)
        budget = _budget_covering(month) if key is not None else None
        version = (budget.active_version or budget.versions.order_by("-number").first()) if budget else None
        if key is None or version is None:
            return None
        amounts = list(
            BudgetLine.objects.filter(
                version=version,
                scope_type=key[0],
                scope_value=key[1],
                month=month.replace(day=1),
                currency=currency,
            ).values_list("amount", flat=True)
        )
        return sum(amounts, Decimal(0)) if amounts else None


def _budget_covering(month: date) -> Budget | None:
    first = month.replace(day=1)
    return (
        Budget.objects.filter(versions__lines__month=first)
        .select_related("active_version")
        .order_by("-fiscal_year", "-pk")
        .first()
    )


class VariancePanels:
    """The variance funnel and the overdue list, for the organisation or one scope."""

    key = "variances"
    order = 10

    def panels(self, *, view: Any) -> Iterator[dashboards.Panel]:
        counts = variance_status_counts()
        frame = pd.DataFrame({"status": list(counts), "count": [counts[s] for s in counts]})
        labels = dict(Variance.Status.choices)
        yield dashboards.Panel(
            key="variance-funnel",
            title="Variances by status",
            figure=charts.cached_figure(
                charts.variance_funnel_figure,
                frame,
                status_order=list(Variance.Status.values),
                labels=labels,
                term_urls=view.term_urls,
            ),
            frame=frame,
            term="variance",
        )
        overdue = (
            Variance.objects.filter(Q(status__in=Variance.AWAITING_OWNER), due_at__lte=timezone.now())
            .select_related("owner_team")
            .order_by("due_at")[:20]
        )
        yield dashboards.Panel(
            key="variances-overdue",
            title="Overdue variances",
            items=[
                dashboards.PanelItem(
                    text=str(variance),
                    url=variance.get_absolute_url(),
                    overdue=True,
                    detail=f"due {timezone.localtime(variance.due_at):%d %b %Y}" if variance.due_at else "",
                )
                for variance in overdue
            ],
            term="variance",
        )
