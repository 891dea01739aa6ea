"""The scheduled task through a real Celery worker on Redis (skipped without REDIS_URL; `make test` has it)."""

from __future__ import annotations

import pytest

from meetings.models import Meeting

pytestmark = pytest.mark.worker


@pytest.fixture
def worker(transactional_db):
    from celery.contrib.testing.worker import start_worker

    from partnership.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield app


def test_the_beat_task_materialises_meetings_on_a_real_worker(worker, monthly):
    from meetings import tasks

    Meeting.objects.all().delete()
    first = tasks.cadences_materialise.delay().get(timeout=60)
    assert len(first[str(monthly.pk)]["created"]) == monthly.occurrences_ahead
    assert tasks.cadences_materialise.delay().get(timeout=60) == {}
    assert Meeting.objects.filter(cadence=monthly).count() == monthly.occurrences_ahead
