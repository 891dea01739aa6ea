"""A source has at most one queued pull, and a backfill that would cost many billed Cost Explorer requests
is queued only when confirmed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from costdata.ingestion import services
from costdata.ingestion.services.sources import backfill_estimate
from costdata.models import CostSource, IngestionRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def source() -> CostSource:
    return services.source_create(
        name="Payer", kind=CostSource.Kind.AWS_COST_EXPLORER, tag_keys=["team", "env"]
    )


@pytest.fixture
def admin_api(django_user_model) -> APIClient:
    client = APIClient()
    client.force_authenticate(
        django_user_model.objects.create_superuser("root", "root@example.com", "pw-r-1234")
    )
    return client


def _window(months: int) -> tuple[date, date]:
    end = timezone.localdate().replace(day=1)
    start = end
    for _ in range(months):
        start = (start - timedelta(days=1)).replace(day=1)
    return start, end


def test_asking_twice_for_a_pull_queues_one(source, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = services.source_pull_enqueue(source=source)
        second = services.source_pull_enqueue(source=source)
    assert first.pk == second.pk and len(callbacks) == 1
    assert source.runs.filter(status=IngestionRun.Status.QUEUED).count() == 1


def test_a_backfill_waits_for_the_queued_pull(source):
    queued = services.source_pull_enqueue(source=source)
    start, end = _window(1)
    with pytest.raises(ValidationError, match=f"already queued \\(run {queued.pk}\\)"):
        services.source_pull_enqueue(source=source, start=start, end=end)


def test_a_pull_queued_for_over_an_hour_lost_its_task_and_blocks_nothing(source):
    stale = services.source_pull_enqueue(source=source)
    IngestionRun.objects.filter(pk=stale.pk).update(started_at=timezone.now() - timedelta(hours=2))
    fresh = services.source_pull_enqueue(source=source)
    assert fresh.pk != stale.pk
    stale.refresh_from_db()
    assert stale.status == IngestionRun.Status.FAILED and "Never started" in stale.error


def test_the_estimate_counts_one_query_per_tag_key_and_the_pages_history_needed(source):
    start, end = _window(3)
    assert backfill_estimate(source=source, start=start, end=end)[0] == 3 * 3  # 3 queries, 3 months, 1 page
    IngestionRun.objects.create(
        source=source,
        status=IngestionRun.Status.SUCCEEDED,
        requests_made=12,
        window_start=date(2026, 9, 1),
        window_end=date(2026, 10, 1),
    )  # 12 requests for 3 queries over a month: 4 pages a query a month
    requests, cost = backfill_estimate(source=source, start=start, end=end)
    assert requests == 3 * 3 * 4 and str(cost) == "0.36"


def test_a_costly_backfill_is_queued_only_when_confirmed(source, admin_api, settings):
    settings.BACKFILL_CONFIRM_REQUESTS = 5
    start, end = _window(3)
    body = {"start": start.isoformat(), "end": end.isoformat()}
    refused = admin_api.post(f"/api/v1/sources/{source.pk}/pull/", body, format="json")
    assert refused.status_code == 400
    assert "about 9 Cost Explorer requests (about 0.09 USD" in refused.json()["confirm"][0]
    assert not source.runs.exists()
    queued = admin_api.post(f"/api/v1/sources/{source.pk}/pull/", {**body, "confirm": True}, format="json")
    assert queued.status_code == 202 and queued.json()["trigger"] == "backfill"
