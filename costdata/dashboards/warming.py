"""Warming the dashboards after new cost data, so the first person to open them does not wait.

The dashboards keep their aggregates per data version (costdata.facts.data_cache): a pull or an import
commits a new version, and the first request after it reads the facts again (up to about a second
for a business unit at ten million rows). Computing the views everyone opens first (the
organisation's overview and each business unit's and team's page, default filters, both bases) in
the worker right after the commit fills the shared cache for every web process.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from costdata.dashboards.filters import BASES, DashboardFilters
from costdata.dashboards.pages import dashboard_view
from costdata.dashboards.scopes import ORGANISATION, CostScope, scope_for
from costdata.dashboards.selectors import filter_choices
from stakeholders.models import Team

logger = logging.getLogger(__name__)
WARM_TASK_NAME = "costdata.warm_dashboards"


def dashboards_warm() -> int:
    """Compute the default views' cost aggregates into the cache; returns how many views were built.

    The organisation's overview and each business unit's page in both bases, as those who read every
    cost see them; each team's page, and the overview as each distinct restricted viewer sees it (a
    business-unit owner's, an engineer's team's rows: their condition makes other keys), in the
    default basis (there are many more of them, and the amortised view of one team is rarely the
    first thing anyone opens).
    """
    units = Team.objects.filter(kind=Team.Kind.BUSINESS_UNIT).order_by("pk")
    teams = Team.objects.filter(kind=Team.Kind.TEAM).order_by("pk")
    default_basis = DashboardFilters().basis
    views: list[tuple[CostScope, str, dict[str, Any]]] = [
        (scope, basis, {})
        for scope in [ORGANISATION] + [scope_for(u.kind, str(u.pk)) for u in units]
        for basis in BASES
    ]
    views += [(scope_for(t.kind, str(t.pk)), default_basis, {}) for t in teams]
    views += [(ORGANISATION, default_basis, viewer) for viewer in _restricted_viewers()]
    for scope, basis, viewer in views:
        filters = DashboardFilters(basis=basis, **viewer)
        view = dashboard_view(scope=scope, filters=filters, panels=False)
        filter_choices(filters, version=view.facts_version)
    return len(views)


def _restricted_viewers() -> list[dict[str, Any]]:
    """`visible` and `viewer` for one person per distinct (role, rows they may see) among those who
    read some costs but not all (as costdata.dashboards.views fills them)."""
    from django.contrib.auth import get_user_model

    from costdata import permissions
    from costdata.facts import data_cache
    from stakeholders.roles import role_of

    people = (
        get_user_model()
        .objects.filter(is_active=True, is_staff=False, is_superuser=False, stakeholder__active=True)
        .select_related("stakeholder")
        .order_by("pk")
    )
    chosen: dict[Any, dict[str, Any]] = {}
    for user in people:
        if not permissions.may_read_costs(user) or permissions.may_read_all_costs(user):
            continue
        visible = permissions.cost_filter(user).facts
        try:
            key = (role_of(user), data_cache.key_part(visible))
        except data_cache.Unkeyable:
            continue
        chosen.setdefault(key, {"visible": visible, "viewer": user})
    return list(chosen.values())


def dashboards_warm_enqueue() -> None:
    """Queue the warming once the surrounding transaction commits (the pull's and the import's success)."""

    def send() -> None:
        from costdata.tasks import warm_dashboards

        try:
            warm_dashboards.delay()
        except Exception:  # a broker outage must not turn a good pull into a failed one
            logger.exception("could not queue dashboard warming")

    transaction.on_commit(send)
