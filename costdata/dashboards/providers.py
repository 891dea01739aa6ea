"""Budgets and the variance procedure, plugged into the dashboards' hooks.

The dashboards know nothing of budgets or variances: they ask the providers registered with
costdata.dashboards.registries. This module answers from the budget plans (the budget's active
version, else its latest) and from the variances, and is registered by
costdata.registrations.register_all().
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
from django.db.models import Q, QuerySet
from django.utils import timezone

from costdata import permissions
from costdata.dashboards.figures import cached_figure
from costdata.dashboards.programme_charts import variance_funnel_figure
from costdata.dashboards.registries import Panel, PanelItem, budget_scope_key
from costdata.dashboards.scopes import CostScope
from costdata.models import Budget, BudgetLine, Variance
from costdata.variances.selectors import variance_status_counts


class BudgetsFromPlans:
    """The month's amount from the effective version of the budget covering it, in its currency."""

    def budget_for(self, *, scope: CostScope, month: date, basis: str, currency: str) -> Decimal | None:
        return self.budgets_for(scopes=[scope], month=month, basis=basis, currency=currency)[0]

    def budgets_for(
        self, *, scopes: list[CostScope], month: date, basis: str, currency: str
    ) -> list[Decimal | None]:
        """Each scope's amount (the sum of its lines for the month and currency; None without lines),
        with one lookup of the budget and its version and one query for every scope's lines."""
        keys = [budget_scope_key(scope) for scope in scopes]
        wanted = {key for key in keys if key is not None}
        budget = _budget_covering(month) if wanted else None
        version = (budget.active_version or budget.versions.order_by("-number").first()) if budget else None
        if version is None:
            return [None] * len(scopes)
        lines = Q()
        for scope_type, scope_value in sorted(wanted):
            lines |= Q(scope_type=scope_type, scope_value=scope_value)
        sums: dict[tuple[str, str], Decimal] = {}
        rows = BudgetLine.objects.filter(
            lines, version=version, month=month.replace(day=1), currency=currency
        ).values_list("scope_type", "scope_value", "amount")
        for scope_type, scope_value, amount in rows:
            sums[(scope_type, scope_value)] = sums.get((scope_type, scope_value), Decimal(0)) + amount
        return [sums.get(key) if key is not None else None for key in keys]


def _budget_covering(month: date) -> Budget | None:
    first = month.replace(day=1)
    return (
        Budget.objects.filter(versions__lines__month=first)
        .select_related("active_version")
        .order_by("-fiscal_year", "-pk")
        .first()
    )


def visible_variances_for(view: Any) -> QuerySet[Variance]:
    """The variances the page's viewer may see: the variance list's rule (costdata.permissions) when
    the dashboard is restricted to a viewer's scopes, else every variance."""
    variances = Variance.objects.all()
    filters = getattr(view, "filters", None)  # no filters: an unrestricted view
    if filters is not None and filters.restricted:
        return permissions.visible_variances(filters.viewer, variances)
    return variances


class VariancePanels:
    """The variance funnel and the overdue list, for the organisation or one scope."""

    key = "variances"
    order = 10

    def panels(self, *, view: Any) -> Iterator[Panel]:
        variances = visible_variances_for(view)
        counts = variance_status_counts(queryset=variances)
        frame = pd.DataFrame({"status": list(counts), "count": [counts[s] for s in counts]})
        labels = dict(Variance.Status.choices)
        yield Panel(
            key="variance-funnel",
            title="Variances by status",
            figure=cached_figure(
                variance_funnel_figure,
                frame,
                status_order=list(Variance.Status.values),
                labels=labels,
                term_urls=view.term_urls,
            ),
            frame=frame,
            term="variance",
        )
        overdue = (
            variances.filter(Q(status__in=Variance.AWAITING_OWNER), due_at__lte=timezone.now())
            .select_related("owner_team")
            .order_by("due_at")[:20]
        )
        yield Panel(
            key="variances-overdue",
            title="Overdue variances",
            items=[
                PanelItem(
                    text=str(variance),
                    url=variance.get_absolute_url(),
                    overdue=True,
                    detail=f"due {timezone.localtime(variance.due_at):%d %b %Y}" if variance.due_at else "",
                )
                for variance in overdue
            ],
            term="variance",
        )
