"""What costdata tells the layers below it through their registries (and the dashboards' own hooks)."""

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
    from stakeholders import known_accounts

    known_accounts.register("costdata", cloud_accounts_for_stakeholders)

    from costdata.dashboards.providers import BudgetsFromPlans, VariancePanels
    from costdata.dashboards.registries import register_budget_provider, register_panel_provider

    register_budget_provider(BudgetsFromPlans())
    register_panel_provider(VariancePanels())
