"""The source page's progress fragment, which static/js/source-runs.js polls while a pull runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from costdata.ingestion import services
from costdata.models import CostSource, IngestionRun
from stakeholders.models import Group, Role, Stakeholder


@pytest.fixture
def reader(client, db):
    """A finance lead: sources and their runs are for the roles that read every cost."""
    user = get_user_model().objects.create_user("reader", password="pw-reader-1")
    Stakeholder.objects.create(
        user=user, name="Reader", email="reader@example.com", group=Group.FINANCE, role=Role.CFO
    )
    client.login(username="reader", password="pw-reader-1")
    return client


def test_the_fragment_is_refused_to_a_login_without_a_role(client, source):
    get_user_model().objects.create_user("nobody", password="pw-nobody-1")
    client.login(username="nobody", password="pw-nobody-1")
    assert client.get(f"/costs/sources/{source.pk}/progress/").status_code == 403


@pytest.fixture
def source(db) -> CostSource:
    return services.source_create(name="Demo", kind=CostSource.Kind.DEMO, tag_keys=["team"])


def test_the_fragment_shows_a_queued_run_as_active(reader, source):
    run = IngestionRun.objects.create(source=source, trigger=IngestionRun.Trigger.MANUAL, status="queued")
    response = reader.get(f"/costs/sources/{source.pk}/progress/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert f'data-run-id="{run.pk}" data-status="queued"' in html
    assert "Queued" in html and "Manual" in html
    assert 'id="freshness"' in html and "No data yet, never refreshed" in html


def test_the_fragment_follows_the_run_to_success_with_its_rows_and_freshness(reader, source):
    today = timezone.localdate()
    run = services.source_pull(source_id=source.pk, start=today - timedelta(days=5), end=today)
    assert run.rows_written > 0
    html = " ".join(reader.get(f"/costs/sources/{source.pk}/progress/").content.decode().split())
    assert f'data-run-id="{run.pk}" data-status="succeeded"' in html
    assert f'<td class="num run-rows">{run.rows_written}</td>' in html
    assert f"Data up to {today - timedelta(days=1):%Y-%m-%d}, refreshed just now" in html


def test_the_fragment_is_only_the_changing_parts_not_a_whole_page(reader, source):
    html = reader.get(f"/costs/sources/{source.pk}/progress/").content.decode()
    assert "<html" not in html and "<nav" not in html
    assert "No run yet." in html


def test_the_source_page_polls_the_fragment(reader, source):
    html = reader.get(f"/costs/sources/{source.pk}/").content.decode()
    assert f'data-progress-url="/costs/sources/{source.pk}/progress/"' in html
    assert "js/source-runs.js" in html and 'id="run-rows"' in html
    assert 'id="source-summary"' in html, "the cards the script refreshes once a run finishes"


def test_signed_out_visitors_are_sent_to_log_in(client, source):
    response = client.get(f"/costs/sources/{source.pk}/progress/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_unknown_source_is_not_found(reader, db):
    assert reader.get("/costs/sources/999999/progress/").status_code == 404


def test_the_admin_pull_action_links_to_the_page_that_follows_the_run(client, source):
    get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-1")
    client.login(username="root", password="pw-root-1")
    response = client.post(
        "/admin/costdata/costsource/", {"action": "pull_now", "_selected_action": [source.pk]}, follow=True
    )
    run = source.runs.get()
    assert run.status == IngestionRun.Status.QUEUED
    html = response.content.decode()
    assert f"Demo: pull queued (run {run.pk}); " in html
    assert f'<a href="/costs/sources/{source.pk}/">follow it on the source\'s page</a>' in html
