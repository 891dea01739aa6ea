"""Warming the dashboards after new cost data, so the first person to open them does not wait.

The dashboards keep their aggregates per data version (costdata.data_cache): a pull or an import
commits a new version, and the first request after it reads the facts again (up to about a second
for a business unit at ten million rows). Computing the views everyone opens first (the
organisation's overview and each business unit's and team's page, default filters, both bases) in
the worker right after the commit fills the shared cache for every web process.
"""

from __future__ import annotations

import logging

from django.db import transaction

from costdata import dashboards
from stakeholders.models import Team

logger = logging.getLogger(__name__)
WARM_TASK_NAME = "costdata.warm_dashboards"


def dashboards_warm() -> int:
    """Compute the default views' cost aggregates into the cache; returns how many views were built."""
    scopes = [dashboards.ORGANISATION] + [
        dashboards.scope_for(team.kind, str(team.pk))
        for team in Team.objects.filter(kind__in=[Team.Kind.BUSINESS_UNIT, Team.Kind.TEAM]).order_by("pk")
    ]
    built = 0
    for scope in scopes:
        for basis in dashboards.BASES:
            dashboards.dashboard_view(
                scope=scope, filters=dashboards.DashboardFilters(basis=basis), panels=False
            )
            built += 1
    return built


def dashboards_warm_enqueue() -> None:
    """Queue the warming once the surrounding transaction commits (the pull's and the import's success)."""

    def send() -> None:
        from costdata.tasks import warm_dashboards

        try:
            warm_dashboards.delay()
        except Exception:  # a broker outage must not turn a good pull into a failed one
            logger.exception("could not queue dashboard warming")

    transaction.on_commit(send)
