"""The demo organisation gets budgets and variances in every state of the procedure, idempotently."""

from __future__ import annotations

from costdata.models import Budget, Explanation, Variance, VarianceTransition
from costdata.planning.demo import demo_budgets_and_variances_seed


def test_the_demo_has_a_locked_original_an_active_reforecast_and_variances_in_every_state(demo_organisation):
    # The demo organisation's seed already ran this once; what matters is the state it left.
    budget = Budget.objects.get()
    original, reforecast = budget.versions.order_by("number")
    assert original.is_locked and not reforecast.is_locked
    assert budget.active_version == reforecast
    assert original.lines.count() > 0 and reforecast.lines.count() == original.lines.count()
    assert Variance.objects.count() > 0
    statuses = set(Variance.objects.values_list("status", flat=True))
    assert {"assigned", "explained", "accepted", "closed"} <= statuses
    assert Variance.objects.filter(kind="spike").exists()
    assert Explanation.objects.filter(outcome="sent_back").exists()
    engineer_can_explain = Variance.objects.filter(status="assigned", owner_team__name="Payments")
    assert engineer_can_explain.exists()

    counts = (Variance.objects.count(), Explanation.objects.count(), VarianceTransition.objects.count())
    again = demo_budgets_and_variances_seed()
    assert again.variances_created == 0 and not again.budget_created
    assert (Variance.objects.count(), Explanation.objects.count()) == counts[:2]
