"""Queued e-mail: sent once after its transaction commits, never after a rollback, retried on transport
errors with backoff, and never sent twice by a redelivered task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import transaction
from django.utils import timezone

from outbox import services
from outbox.models import Delivery
from outbox.tasks import deliver


def enqueue(**overrides) -> Delivery:
    fields = {
        "kind": "variance_assigned",
        "to": ["engineer@example.com"],
        "subject": "Variance to explain",
        "text": "Explain it here: http://testserver/x",
        "reference": "variance:12",
        **overrides,
    }
    return services.email_enqueue(**fields)


def _queued() -> Delivery:
    """A delivery row as email_enqueue leaves it, its task not yet run (the test's transaction never
    commits)."""
    return enqueue()


@pytest.mark.django_db(transaction=True)
def test_an_email_queued_in_a_transaction_that_rolls_back_sends_nothing_and_leaves_no_row():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue()
        raise RuntimeError("the change that caused it fails")
    assert Delivery.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_after_commit_it_is_sent_once_and_the_row_says_sent():
    with transaction.atomic():
        delivery = enqueue(html="<p>Explain it</p>")
        assert mail.outbox == [], "nothing leaves before the transaction commits"
    [message] = mail.outbox
    assert message.to == ["engineer@example.com"]
    assert (message.subject, message.body) == ("Variance to explain", "Explain it here: http://testserver/x")
    assert message.alternatives[0].content == "<p>Explain it</p>"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Delivery.Status.SENT, 1, "")
    assert delivery.sent_at is not None and delivery.claimed_until is None


@pytest.mark.django_db(transaction=True)
def test_attachments_are_sent_as_recorded():
    enqueue(attachments=[("meeting-3.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")])
    [message] = mail.outbox
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("meeting-3.ics", "text/calendar") and "BEGIN:VCALENDAR" in content


def test_an_email_needs_a_recipient(db):
    with pytest.raises(ValueError):
        enqueue(to=[])
    assert not Delivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_smtp_errors_are_retried_with_backoff_then_fail_while_the_change_stays_committed(
    smtp_down, retry_delays
):
    with transaction.atomic():
        Group.objects.create(name="the change that caused it")
        delivery = enqueue()

    assert Group.objects.filter(name="the change that caused it").exists()
    delivery.refresh_from_db()
    attempts = deliver.max_retries + 1
    assert len(smtp_down) == attempts
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, attempts)
    assert delivery.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert delivery.sent_at is None
    # Exponential backoff from 30 seconds (the last call is the one that gives up).
    assert retry_delays[: deliver.max_retries] == [30 * 2**n for n in range(deliver.max_retries)]
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_a_failed_attempt_then_a_good_one_ends_sent_with_two_attempts(monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    original = EmailBackend.send_messages
    outcomes = iter([False, True])

    def flaky(self, messages):
        if next(outcomes):
            return original(self, messages)
        raise ConnectionRefusedError("mail server restarting")

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    delivery = enqueue()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 2)
    assert delivery.last_error == "ConnectionRefusedError: mail server restarting"
    assert len(mail.outbox) == 1


def test_an_error_that_is_not_the_transports_fails_at_once_without_retry(db, monkeypatch, retry_delays):
    from django.core.mail.backends.locmem import EmailBackend

    def broken(self, messages):
        raise ValueError("bad header")

    monkeypatch.setattr(EmailBackend, "send_messages", broken)
    with pytest.raises(ValueError):
        deliver.apply(args=[_queued().pk], throw=True)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, retry_delays) == (Delivery.Status.FAILED, 1, [])


def test_a_redelivered_task_for_a_sent_delivery_sends_nothing(db):
    delivery = _queued()
    deliver.apply(args=[delivery.pk])
    assert len(mail.outbox) == 1

    deliver.apply(args=[delivery.pk])  # the broker hands the same message over again

    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 1)


def test_a_delivery_another_worker_holds_is_left_to_it(db):
    delivery = _queued()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENDING, attempts=1, claimed_until=timezone.now() + timedelta(minutes=1)
    )
    deliver.apply(args=[delivery.pk])
    assert mail.outbox == []
    assert Delivery.objects.get().attempts == 1


def test_a_claim_whose_worker_vanished_lapses_and_the_delivery_is_sent(db):
    delivery = _queued()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENDING, attempts=1, claimed_until=timezone.now() - timedelta(seconds=1)
    )
    deliver.apply(args=[delivery.pk])
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 2)


def test_a_failed_delivery_is_not_taken_by_a_late_task(db):
    delivery = _queued()
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, attempts=6)
    deliver.apply(args=[delivery.pk])
    assert mail.outbox == []


def test_a_broker_outage_leaves_the_delivery_queued_and_the_change_intact(db, monkeypatch):
    def broker_down(self, *args, **kwargs):
        raise ConnectionRefusedError("redis down")

    monkeypatch.setattr(type(deliver._get_current_object()), "apply_async", broker_down)
    services._schedule(_queued().pk)  # what on_commit runs
    assert Delivery.objects.get().status == Delivery.Status.QUEUED
    assert mail.outbox == []


def test_the_task_is_registered_under_its_explicit_name(settings):
    from partnership.celery import app

    task = app.tasks["outbox.deliver"]
    assert task.acks_late and task.max_retries == settings.OUTBOX_MAX_RETRIES
