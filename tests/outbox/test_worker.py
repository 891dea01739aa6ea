"""The real path: a delivery queued on Redis is sent by a Celery worker (skipped without REDIS_URL;
`make test` has it)."""

from __future__ import annotations

import time

import pytest
from django.core import mail

from outbox import services
from outbox.models import Delivery

pytestmark = pytest.mark.worker


@pytest.fixture
def worker(transactional_db):
    from celery.contrib.testing.worker import start_worker

    from partnership.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield app


def test_a_delivery_queued_on_redis_is_sent_by_a_real_worker(worker):
    delivery = services.email_enqueue(
        kind="agenda",
        to=["finance@example.com"],
        subject="Agenda: Monthly review",
        text="x",
        reference="meeting:3",
    )
    deadline = time.monotonic() + 60
    while Delivery.objects.get(pk=delivery.pk).status != Delivery.Status.SENT:
        assert time.monotonic() < deadline, "the worker never sent the delivery"
        time.sleep(0.1)
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert [m.subject for m in mail.outbox] == ["Agenda: Monthly review"]
