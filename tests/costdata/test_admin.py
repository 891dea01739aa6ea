"""Django admin for cost data: sources get their schedule, pulls can be queued, failures are readable."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from costdata import services
from costdata.models import CostSource, IngestionRun


@pytest.fixture
def admin_user_client(client, db):
    get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-1")
    client.login(username="root", password="pw-root-1")
    return client


def test_a_source_added_in_admin_gets_its_own_schedule(admin_user_client):
    response = admin_user_client.post(
        "/admin/costdata/costsource/add/",
        {
            "name": "Payer 3",
            "kind": "aws_cost_explorer",
            "role_arn": "",
            "external_id": "",
            "tag_keys": "[]",
            "active": "on",
            "created_at_0": "2026-11-27",
            "created_at_1": "06:00:00",
            "runs-TOTAL_FORMS": "0",
            "runs-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    source = CostSource.objects.get(name="Payer 3")
    assert source.schedule is not None and source.schedule.enabled
    assert source.schedule.interval.every == 4


def test_the_admin_action_queues_a_pull(admin_user_client, django_capture_on_commit_callbacks):
    demo = services.source_create(name="Demo", kind=CostSource.Kind.DEMO)
    with django_capture_on_commit_callbacks() as callbacks:
        admin_user_client.post(
            "/admin/costdata/costsource/", {"action": "pull_now", "_selected_action": [demo.pk]}
        )
    assert demo.runs.get().status == IngestionRun.Status.QUEUED
    assert len(callbacks) == 1


def test_failed_runs_and_their_errors_are_listed(admin_user_client):
    demo = services.source_create(name="Demo", kind=CostSource.Kind.DEMO)
    IngestionRun.objects.create(source=demo, status=IngestionRun.Status.FAILED, error="Access denied: nope")
    page = admin_user_client.get("/admin/costdata/ingestionrun/?status__exact=failed").content.decode()
    assert "Access denied: nope" in page


@pytest.mark.parametrize(
    "path",
    [
        "/admin/costdata/dailycost/",
        "/admin/costdata/dailytagcost/",
        "/admin/costdata/monthlycost/",
        "/admin/costdata/costforecast/",
        "/admin/costdata/commitmentmetric/",
        "/admin/costdata/cloudaccount/",
    ],
)
def test_every_cost_data_admin_page_opens(admin_user_client, path):
    assert admin_user_client.get(path).status_code == 200
