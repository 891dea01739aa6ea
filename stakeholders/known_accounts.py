"""The cloud accounts the product knows about, supplied by whichever app holds them.

stakeholders must not depend on costdata, yet the readiness check needs costdata's accounts to find
those without an owner. So, as with sections.py, the dependency is inverted: an app that knows accounts
registers a provider in its AppConfig.ready(), e.g. in costdata/apps.py

    def ready(self):
        from stakeholders import known_accounts
        known_accounts.register("costdata", cloud_accounts_for_stakeholders)

and the readiness selector takes the accounts as a plain argument, so it is tested without any provider.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class KnownAccount:
    account_id: str
    name: str = ""
    provider: str = "AWS"

    def __str__(self) -> str:
        return f"{self.name} ({self.account_id})" if self.name else self.account_id


Provider = Callable[[], Iterable[KnownAccount]]

_providers: dict[str, Provider] = {}


def register(key: str, provider: Provider) -> None:
    """Add (or replace) the provider registered under `key`."""
    _providers[key] = provider


def unregister(key: str) -> None:
    _providers.pop(key, None)


def known_accounts() -> list[KnownAccount]:
    """Every provider's accounts, one per (provider, account id), named when any provider names it."""
    by_id: dict[tuple[str, str], KnownAccount] = {}
    for key in sorted(_providers):
        for account in _providers[key]():
            seen = by_id.get((account.provider, account.account_id))
            if seen is None or (not seen.name and account.name):
                by_id[(account.provider, account.account_id)] = account
    return sorted(by_id.values(), key=lambda a: (a.provider, a.account_id))
