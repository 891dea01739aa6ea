"""Django admin for cost data: sources get their schedule, pulls can be queued, failures are readable."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from costdata.ingestion import services
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


def _change_source(client, source: CostSource, **changes: str):
    data = {
        "name": source.name,
        "kind": source.kind,
        "role_arn": source.role_arn,
        "external_id": source.external_id,
        "tag_keys": "[]",
        "runs-TOTAL_FORMS": "0",
        "runs-INITIAL_FORMS": "0",
        **({"active": "on"} if source.active else {}),
        **changes,
    }
    if changes.get("active") == "":
        data.pop("active")
    return client.post(f"/admin/costdata/costsource/{source.pk}/change/", data)


def test_an_interval_edited_on_the_periodic_task_is_kept_when_the_source_is_saved(admin_user_client):
    from django_celery_beat.models import IntervalSchedule

    source = services.source_create(name="Payer 4", kind=CostSource.Kind.AWS_COST_EXPLORER)
    task = source.schedule
    task.interval = IntervalSchedule.objects.create(every=2, period=IntervalSchedule.HOURS)
    task.save()

    response = _change_source(admin_user_client, source, role_arn="arn:aws:iam::123456789012:role/read-costs")

    assert response.status_code == 302, response.content.decode()[:2000]
    task.refresh_from_db()
    assert task.interval.every == 2 and task.enabled


def on_crontab(source: CostSource, **crontab: str):
    """Switch the source's periodic task to a crontab, as an admin does in the beat admin."""
    from django_celery_beat.models import CrontabSchedule

    task = source.schedule
    task.interval = None
    task.crontab = CrontabSchedule.objects.create(**crontab)
    task.save()
    return task


def test_a_crontab_set_on_the_periodic_task_survives_saving_the_source(admin_user_client):
    source = services.source_create(name="Payer 5", kind=CostSource.Kind.AWS_COST_EXPLORER)
    task = on_crontab(source, minute="15", hour="*/6")

    response = _change_source(admin_user_client, source, active="")

    assert response.status_code == 302, response.content.decode()[:2000]
    task.refresh_from_db()
    assert task.crontab.hour == "*/6" and task.interval is None
    assert not task.enabled, "pausing the source pauses its schedule"


def test_the_schedule_is_linked_and_cannot_be_pointed_at_another_sources_task(admin_user_client):
    source = services.source_create(name="Payer 6", kind=CostSource.Kind.AWS_COST_EXPLORER)
    other = services.source_create(name="Payer 7", kind=CostSource.Kind.AWS_COST_EXPLORER)

    page = admin_user_client.get(f"/admin/costdata/costsource/{source.pk}/change/").content.decode()
    assert f"/admin/django_celery_beat/periodictask/{source.schedule.pk}/change/" in page
    assert "every 4 hours" in page

    _change_source(admin_user_client, source, schedule=str(other.schedule.pk))
    source.refresh_from_db()
    other.schedule.refresh_from_db()
    assert source.schedule_id != other.schedule_id
    assert other.schedule.args == f"[{other.pk}]"


def test_setting_an_interval_in_code_replaces_a_crontab(db):
    source = services.source_create(name="Payer 8", kind=CostSource.Kind.AWS_COST_EXPLORER)
    task = on_crontab(source, minute="0", hour="3")

    services.source_schedule_set(source=source, interval_hours=6)

    task.refresh_from_db()
    assert task.interval.every == 6 and task.crontab is None
