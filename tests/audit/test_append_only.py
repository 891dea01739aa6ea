"""Nobody changes history: no edit or delete through the admin or the API, and Postgres refuses it too."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction

from audit.models import AuditLogEntry
from stakeholders.models import Team
from tests.audit.conftest import last

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(db) -> AuditLogEntry:
    return last(Team.objects.create(name="Payments"))


def test_the_admin_lists_and_shows_entries_but_offers_no_add_change_or_delete(browser, entry):
    client = browser("admin")
    listing = client.get("/admin/audit/auditlogentry/")
    assert listing.status_code == 200 and "Payments" in listing.content.decode()
    assert 'name="action"' not in listing.content.decode()  # no bulk "delete selected"
    detail = client.get(f"/admin/audit/auditlogentry/{entry.pk}/change/")
    assert detail.status_code == 200 and 'type="submit"' not in detail.content.decode().split("<form")[-1]
    assert client.get("/admin/audit/auditlogentry/add/").status_code == 403


def test_the_admin_refuses_to_edit_or_delete_an_entry(browser, entry):
    client = browser("admin")
    changed = client.post(
        f"/admin/audit/auditlogentry/{entry.pk}/change/", {"object_repr": "forged", "action": 2}
    )
    assert changed.status_code == 403
    deleted = client.post(f"/admin/audit/auditlogentry/{entry.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    bulk = client.post(
        "/admin/audit/auditlogentry/",
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    entry.refresh_from_db()
    assert entry.object_repr == "Payments"


@pytest.mark.parametrize("method", ["put", "patch", "delete", "post"])
def test_the_api_offers_no_write_on_the_audit_trail(api, entry, method):
    client = api("admin")
    url = "/api/v1/audit/" if method == "post" else f"/api/v1/audit/{entry.pk}/"
    response = getattr(client, method)(url, {"object_repr": "forged"}, format="json")
    assert response.status_code in (404, 405)
    entry.refresh_from_db()
    assert entry.object_repr == "Payments"


def test_postgres_refuses_an_update_of_an_audit_row(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditLogEntry.objects.filter(pk=entry.pk).update(object_repr="forged")
    entry.refresh_from_db()
    assert entry.object_repr == "Payments"


def test_postgres_refuses_a_delete_of_an_audit_row(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM partnership_auditlogentry WHERE id = %s", [entry.pk])
    assert AuditLogEntry.objects.filter(pk=entry.pk).exists()


def test_postgres_refuses_a_forged_actor_but_lets_a_deleted_user_go(users):
    from audit.recording import audit_context

    with audit_context("page", actor=users["eng"]):
        team = Team.objects.create(name="Search")
    row = last(team)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditLogEntry.objects.filter(pk=row.pk).update(actor=users["admin"])
    get_user_model().objects.filter(pk=users["eng"].pk).delete()  # SET_NULL on the log: allowed
    row.refresh_from_db()
    assert row.actor_id is None and row.actor_email == "eng@example.com"


def test_deleting_a_user_keeps_their_entries_with_their_email(users):
    from audit.recording import audit_context

    with audit_context("page", actor=users["eng"]):
        team = Team.objects.create(name="Search")
    row = last(team)
    users["eng"].delete()
    row.refresh_from_db()
    assert row.actor_id is None and row.actor_email == "eng@example.com"


def test_the_admin_pages_at_their_old_address_redirect_to_the_audit_app(browser: Any) -> None:
    client = browser("admin")
    response = client.get("/admin/partnership/auditlogentry/12/change/?q=x")
    assert response.status_code == 301
    assert response["Location"] == "/admin/audit/auditlogentry/12/change/?q=x"


def test_deleting_a_user_without_an_email_keeps_their_username(users, django_user_model):
    from audit.recording import audit_context

    nameless = django_user_model.objects.create_user("no-mail", "", "pw-no-mail-1234")
    with audit_context("page", actor=nameless):
        team = Team.objects.create(name="Search")
    row = last(team)
    nameless.delete()
    row.refresh_from_db()
    assert row.actor_id is None and not row.actor_email and row.actor_username == "no-mail"


@pytest.mark.django_db(transaction=True)
def test_the_applications_database_role_cannot_disable_or_drop_the_append_only_trigger(entry):
    """Production runs migrations as the tables' owner and the product as a role with row rights only
    (README, "Audit trail"): such a role may write rows but never turn the trigger off."""
    import psycopg2

    database = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute("DROP ROLE IF EXISTS partnership_app_test")
        cursor.execute("CREATE ROLE partnership_app_test LOGIN PASSWORD 'app-test-pw'")
        cursor.execute(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO partnership_app_test"
        )
    app = psycopg2.connect(
        host=database["HOST"],
        port=database["PORT"],
        dbname=database["NAME"],
        user="partnership_app_test",
        password="app-test-pw",
    )
    try:
        for statement in (
            "ALTER TABLE partnership_auditlogentry DISABLE TRIGGER audit_append_only",
            "DROP TRIGGER audit_append_only ON partnership_auditlogentry",
            "UPDATE partnership_auditlogentry SET object_repr = 'forged'",
        ):
            with (
                pytest.raises(psycopg2.Error, match="owner|append-only|permission denied"),
                app,
                app.cursor() as cursor,
            ):
                cursor.execute(statement)
    finally:
        app.close()
        with connection.cursor() as cursor:
            cursor.execute("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM partnership_app_test")
            cursor.execute("DROP ROLE partnership_app_test")


@pytest.mark.parametrize(("role", "shown"), [("admin", True), ("fin", True), ("lead", False), ("eng", False)])
def test_an_objects_history_is_shown_inline_only_to_the_audit_trails_readers(browser, users, role, shown):
    from audit.recording import audit_context

    with audit_context("page", actor=users["fin"]):
        team = Team.objects.create(name="Search")
    page = browser(role).get(f"/teams/{team.pk}/").content.decode()
    assert ('data-testid="history"' in page) is shown
