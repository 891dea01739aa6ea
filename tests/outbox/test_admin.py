"""Deliveries in Django admin: listed, filtered, searched and read by admins, failed ones queued again;
refused to everyone else."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import mail

from outbox import services
from outbox.models import Delivery

LIST = "/admin/outbox/delivery/"


@pytest.fixture
def failed(db) -> Delivery:
    delivery = services.email_enqueue(
        kind="agenda",
        to=["finance@example.com"],
        subject="Agenda: Monthly review",
        text="x",
        reference="meeting:3",
    )
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.FAILED, attempts=6, last_error="SMTPServerDisconnected: closed"
    )
    return delivery


@pytest.fixture
def sent(db) -> Delivery:
    delivery = services.email_enqueue(
        kind="variance_assigned",
        to=["engineer@example.com"],
        subject="Variance to explain",
        text="y",
        reference="variance:12",
    )
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT, attempts=1)
    return delivery


def login(client, *, staff: bool, superuser: bool = False, perms: tuple[str, ...] = ()):
    user = get_user_model().objects.create_user("someone", "someone@example.com", "pw-someone-1")
    user.is_staff, user.is_superuser = staff, superuser
    user.save()
    user.user_permissions.set(Permission.objects.filter(codename__in=perms, content_type__app_label="outbox"))
    client.login(username="someone", password="pw-someone-1")
    return client


@pytest.fixture
def admin_client_(client, db):
    return login(client, staff=True, superuser=True)


def test_the_list_shows_deliveries_with_their_status_and_error_filters(admin_client_, failed, sent):
    page = admin_client_.get(LIST).content.decode()
    assert "Agenda: Monthly review" in page and "Variance to explain" in page
    failed_only = admin_client_.get(LIST, {"status__exact": "failed"}).content.decode()
    assert "Agenda: Monthly review" in failed_only and "Variance to explain" not in failed_only
    by_kind = admin_client_.get(LIST, {"kind": "variance_assigned"}).content.decode()
    assert "Variance to explain" in by_kind and "Agenda: Monthly review" not in by_kind


@pytest.mark.parametrize(("query", "found"), [("variance:12", "Variance to explain"), ("finance@", "Agenda")])
def test_search_finds_a_delivery_by_reference_or_recipient(admin_client_, failed, sent, query, found):
    page = admin_client_.get(LIST, {"q": query}).content.decode()
    assert found in page
    assert "1 result" in page


def test_the_detail_is_read_only_and_shows_the_error(admin_client_, failed):
    response = admin_client_.get(f"{LIST}{failed.pk}/change/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "SMTPServerDisconnected: closed" in page
    assert 'name="_save"' not in page
    assert admin_client_.get(f"{LIST}add/").status_code == 403


def test_the_retry_action_queues_failed_deliveries_again_and_they_are_sent(
    admin_client_, failed, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            LIST, {"action": "retry_failed", "_selected_action": [failed.pk, sent.pk]}, follow=True
        )
    assert "1 delivery(ies) queued again." in response.content.decode()
    assert [m.subject for m in mail.outbox] == ["Agenda: Monthly review"]
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts) == (Delivery.Status.SENT, 7)
    assert (sent.status, sent.attempts) == (Delivery.Status.SENT, 1)


def test_a_non_staff_user_is_refused_the_list_and_the_action(
    client, failed, django_capture_on_commit_callbacks
):
    login(client, staff=False)
    assert client.get(LIST).status_code == 302  # to the admin login
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LIST, {"action": "retry_failed", "_selected_action": [failed.pk]})
    assert response.status_code == 302
    assert mail.outbox == []
    failed.refresh_from_db()
    assert failed.status == Delivery.Status.FAILED


def test_staff_without_the_outbox_permissions_are_refused(client, failed):
    login(client, staff=True)
    assert client.get(LIST).status_code == 403


def test_staff_who_may_only_view_deliveries_may_not_retry_them(
    client, failed, django_capture_on_commit_callbacks
):
    login(client, staff=True, perms=("view_delivery",))
    assert client.get(LIST).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(LIST, {"action": "retry_failed", "_selected_action": [failed.pk]})
    failed.refresh_from_db()
    assert failed.status == Delivery.Status.FAILED and mail.outbox == []
