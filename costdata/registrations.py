"""What costdata tells the other apps through their registries (it may depend on them, not they on it)."""

from __future__ import annotations

from stakeholders.known_accounts import KnownAccount


def cloud_accounts_for_stakeholders() -> list[KnownAccount]:
    """Every account a cost source has reported, for the readiness check's "accounts without an owner"."""
    from costdata.models import CloudAccount

    return [
        KnownAccount(account_id=account.account_id, name=account.name, provider=account.provider)
        for account in CloudAccount.objects.order_by("provider", "account_id")
    ]


def register_all() -> None:
    from costdata.agenda_providers import OverdueVariances, VariancesAwaitingReview
    from meetings.agenda import register_provider
    from stakeholders import known_accounts

    known_accounts.register("costdata", cloud_accounts_for_stakeholders)
    register_provider(VariancesAwaitingReview())
    register_provider(OverdueVariances())

    from costdata import dashboards
    from costdata.dashboard_providers import BudgetsFromPlans, VariancePanels

    dashboards.register_budget_provider(BudgetsFromPlans())
    dashboards.register_panel_provider(VariancePanels())
