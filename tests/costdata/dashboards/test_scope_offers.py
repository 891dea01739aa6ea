"""The scope page's offers come from providers registered with costdata.dashboards.registries (costdata knows
nothing of what they offer)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from costdata.dashboards import registries
from costdata.dashboards.registries import ScopeOffer, register_scope_offer, unregister_scope_offer


class Offering:
    def __init__(self, key: str, order: int, offer: ScopeOffer | None) -> None:
        self.key, self.order, self._offer = key, order, offer

    def offer(self, *, user, view):
        return self._offer


@pytest.fixture
def only_these_offers():
    saved = dict(registries._scope_offer_providers)
    registries._scope_offer_providers.clear()
    yield
    registries._scope_offer_providers.clear()
    registries._scope_offer_providers.update(saved)


def test_offers_come_in_the_providers_order_and_a_provider_may_offer_nothing(only_these_offers):
    late, early = ScopeOffer(template="late.html"), ScopeOffer(template="early.html", context={"n": 1})
    register_scope_offer(Offering("late", 20, late))
    register_scope_offer(Offering("early", 10, early))
    register_scope_offer(Offering("silent", 5, None))
    assert registries.scope_offers(user=None, view=SimpleNamespace()) == [early, late]
    unregister_scope_offer("early")
    assert registries.scope_offers(user=None, view=SimpleNamespace()) == [late]


def test_a_provider_without_offer_is_refused(only_these_offers):
    with pytest.raises(TypeError):
        register_scope_offer(SimpleNamespace(key="x", order=1))


def test_meetings_registers_the_review_pack_offer():
    assert "review-pack" in registries._scope_offer_providers
