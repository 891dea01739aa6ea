"""What other parts of the programme offer on a dashboard scope page, below its charts.

The dashboards know nothing of meetings: the meetings app offers "freeze this view into a meeting's
review pack" by registering a provider here in its AppConfig.ready(). For each scope page the view
asks every provider, in `order`, and the page includes each offer's template with the offer's context
as `offer` (beside the page's own context: scope, filters, view).

    class ReviewPackOffer:
        key = "review-pack"
        order = 10

        def offer(self, *, user, view):  # -> ScopeOffer | None (None: nothing to offer this viewer)
            return ScopeOffer(template="meetings/review_packs/_scope_pack.html", context={...})

    register_scope_offer(ReviewPackOffer())
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class ScopeOffer:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class ScopeOfferProvider(Protocol):
    key: str
    order: int

    def offer(self, *, user: Any, view: Any) -> ScopeOffer | None: ...


_providers: dict[str, ScopeOfferProvider] = {}


def register_scope_offer(provider: ScopeOfferProvider) -> None:
    """Add (or replace, by key) a provider of scope-page offers."""
    if not isinstance(provider, ScopeOfferProvider):
        raise TypeError("a scope offer provider has key, order and offer(*, user, view)")
    _providers[provider.key] = provider


def unregister_scope_offer(key: str) -> None:
    _providers.pop(key, None)


def scope_offers(*, user: Any, view: Any) -> list[ScopeOffer]:
    """The offers for this viewer of this scope page (a DashboardView), in the providers' order."""
    offers = []
    for provider in sorted(_providers.values(), key=lambda p: (p.order, p.key)):
        offer = provider.offer(user=user, view=view)
        if offer is not None:
            offers.append(offer)
    return offers
