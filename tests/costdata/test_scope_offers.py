"""The scope page's offers come from providers registered with costdata.scope_offers (costdata knows
nothing of what they offer)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from costdata import scope_offers
from costdata.scope_offers import ScopeOffer


class Offering:
    def __init__(self, key: str, order: int, offer: ScopeOffer | None) -> None:
        self.key, self.order, self._offer = key, order, offer

    def offer(self, *, user, view):
        return self._offer


@pytest.fixture
def only_these_offers():
    saved = dict(scope_offers._providers)
    scope_offers._providers.clear()
    yield
    scope_offers._providers.clear()
    scope_offers._providers.update(saved)


def test_offers_come_in_the_providers_order_and_a_provider_may_offer_nothing(only_these_offers):
    late, early = ScopeOffer(template="late.html"), ScopeOffer(template="early.html", context={"n": 1})
    scope_offers.register_scope_offer(Offering("late", 20, late))
    scope_offers.register_scope_offer(Offering("early", 10, early))
    scope_offers.register_scope_offer(Offering("silent", 5, None))
    assert scope_offers.scope_offers(user=None, view=SimpleNamespace()) == [early, late]
    scope_offers.unregister_scope_offer("early")
    assert scope_offers.scope_offers(user=None, view=SimpleNamespace()) == [late]


def test_a_provider_without_offer_is_refused(only_these_offers):
    with pytest.raises(TypeError):
        scope_offers.register_scope_offer(SimpleNamespace(key="x", order=1))


def test_meetings_registers_the_review_pack_offer():
    assert "review-pack" in scope_offers._providers
