"""The source pages: freshness, runs and failures, request spend, forecast; admin-only pull and import."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from costdata.facts import selectors
from costdata.ingestion import services
from costdata.models import CostSource, DailyCost, IngestionRun
from tests.costdata.conftest import finance_reader

SAMPLE = Path("/work/shared/data/focus-1.0/focus_sample.csv")


@pytest.fixture
def reader(client, db):
    finance_reader()
    client.login(username="reader", password="pw-reader-1")
    return client


@pytest.fixture
def admin_client_(client, db):
    get_user_model().objects.create_user("boss", password="pw-boss-1", is_staff=True)
    client.login(username="boss", password="pw-boss-1")
    return client


@pytest.fixture
def demo_pulled(db) -> CostSource:
    source = services.source_create(name="Demo", kind=CostSource.Kind.DEMO, tag_keys=["team"])
    today = timezone.localdate()
    services.source_pull(source_id=source.pk, start=today - timedelta(days=10), end=today)
    return source


def test_the_source_page_shows_freshness_requests_forecast_and_commitments(reader, demo_pulled):
    page = " ".join(reader.get(f"/costs/sources/{demo_pulled.pk}/").content.decode().split())
    yesterday = timezone.localdate() - timedelta(days=1)
    assert f"Data up to {yesterday:%Y-%m-%d}, refreshed just now, 3 days estimated." in page
    assert "3 days estimated" in page
    run = demo_pulled.runs.get()
    assert '<p class="figure">' + str(run.requests_made) + "</p>" in page
    assert f"{Decimal(run.requests_made) * Decimal('0.01')} USD" in page
    assert 'id="month-forecast"' in page
    assert "Savings Plans</strong>: coverage " in page
    assert "Pull now" not in page, "only admins may trigger a pull"


def test_freshness_says_how_many_minutes_ago_the_last_successful_pull_finished(reader, db):
    source = services.source_create(name="Demo", kind=CostSource.Kind.DEMO)
    today = timezone.localdate()
    # Up to the day before yesterday: of the three days the demo still estimates, two are in.
    run = services.source_pull(
        source_id=source.pk, start=today - timedelta(days=10), end=today - timedelta(days=1)
    )
    IngestionRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now() - timedelta(minutes=14, seconds=20)
    )
    # A later failed run does not count as a refresh.
    IngestionRun.objects.create(
        source=source,
        status=IngestionRun.Status.FAILED,
        error="Cost Explorer timed out",
        finished_at=timezone.now(),
    )

    # Collapse the template's line breaks and indents, keeping timesince's non-breaking spaces.
    detail = re.sub(r"[ \t\r\n]+", " ", reader.get(f"/costs/sources/{source.pk}/").content.decode())
    listing = reader.get("/costs/sources/").content.decode()

    up_to = today - timedelta(days=2)
    assert f"Data up to {up_to:%Y-%m-%d}, refreshed 14\xa0minutes ago, 2 days estimated." in detail
    assert "14\xa0minutes ago" in listing


def test_a_failed_run_shows_its_message_and_says_old_data_is_kept(reader, demo_pulled):
    IngestionRun.objects.create(
        source=demo_pulled,
        status=IngestionRun.Status.FAILED,
        error="Access denied: the credentials may not call Cost Explorer (ce:GetCostAndUsage).",
        finished_at=timezone.now(),
    )
    page = " ".join(reader.get(f"/costs/sources/{demo_pulled.pk}/").content.decode().split())
    assert "The last pull failed" in page
    assert "ce:GetCostAndUsage" in page
    assert "The data from earlier pulls is kept." in page


def test_the_source_list_shows_each_sources_freshness(reader, demo_pulled):
    page = reader.get("/costs/sources/").content.decode()
    assert "Demo" in page and "ago" in page


def test_an_admin_queues_a_pull_from_the_page(admin_client_, demo_pulled, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client_.post(f"/costs/sources/{demo_pulled.pk}/pull/")
    assert response.status_code == 302
    assert demo_pulled.runs.filter(status=IngestionRun.Status.QUEUED).count() == 1
    assert len(callbacks) == 1


def test_a_non_admin_may_neither_pull_nor_import(reader, demo_pulled):
    focus = services.source_create(name="FOCUS", kind=CostSource.Kind.FOCUS_FILE)
    assert reader.post(f"/costs/sources/{demo_pulled.pk}/pull/").status_code == 403
    assert reader.get(f"/costs/sources/{focus.pk}/import/").status_code == 403
    upload = SimpleUploadedFile("focus.csv", SAMPLE.read_bytes())
    assert reader.post(f"/costs/sources/{focus.pk}/import/", {"file": upload}).status_code == 403
    assert not DailyCost.objects.filter(source=focus).exists()


def test_an_admin_uploads_a_focus_file(admin_client_, db):
    focus = services.source_create(name="FOCUS", kind=CostSource.Kind.FOCUS_FILE)
    upload = SimpleUploadedFile("focus_sample.csv", SAMPLE.read_bytes(), content_type="text/csv")
    response = admin_client_.post(f"/costs/sources/{focus.pk}/import/", {"file": upload}, follow=True)
    assert response.status_code == 200
    assert "Imported focus_sample.csv" in response.content.decode()
    assert DailyCost.objects.filter(source=focus).exists()
    assert focus.runs.get().trigger == IngestionRun.Trigger.IMPORT


def test_a_refused_upload_lists_row_and_column_and_imports_nothing(admin_client_, db):
    focus = services.source_create(name="FOCUS", kind=CostSource.Kind.FOCUS_FILE)
    lines = SAMPLE.read_text().splitlines()
    lines[3] = lines[3].replace('"USD"', '"XYZ"', 1)
    upload = SimpleUploadedFile("bad.csv", "\n".join(lines).encode(), content_type="text/csv")
    response = admin_client_.post(f"/costs/sources/{focus.pk}/import/", {"file": upload})
    page = response.content.decode()
    assert "nothing was imported" in page
    assert "row 4, column BillingCurrency: &#x27;XYZ&#x27; is not an ISO 4217 currency code" in page
    assert not DailyCost.objects.filter(source=focus).exists()
    assert "refused, nothing imported" in admin_client_.get(f"/costs/sources/{focus.pk}/").content.decode()


def test_requests_this_month_count_only_runs_of_this_calendar_month(reader, db):
    source = services.source_create(name="Payer", kind=CostSource.Kind.DEMO)
    first = timezone.localdate().replace(day=1)
    month_start = timezone.make_aware(datetime.combine(first, time(0, 0, 30)))
    last_month = month_start - timedelta(minutes=2)  # 23:58:30 on the last day of last month
    IngestionRun.objects.create(
        source=source,
        status=IngestionRun.Status.SUCCEEDED,
        requests_made=40,
        started_at=last_month,
        finished_at=last_month + timedelta(seconds=50),
    )
    IngestionRun.objects.create(
        source=source,
        status=IngestionRun.Status.SUCCEEDED,
        requests_made=7,
        started_at=month_start,
        finished_at=month_start + timedelta(seconds=50),
    )
    # A failed run's requests were billed all the same.
    IngestionRun.objects.create(
        source=source,
        status=IngestionRun.Status.FAILED,
        requests_made=2,
        error="Cost Explorer refused the request",
        started_at=month_start + timedelta(minutes=1),
        finished_at=month_start + timedelta(minutes=2),
    )

    assert selectors.source_requests_this_month(source=source, today=first) == (9, Decimal("0.09"))
    page = " ".join(reader.get(f"/costs/sources/{source.pk}/").content.decode().split())
    assert '<p class="figure">9</p>' in page
    assert f"costing {9 * settings.COST_EXPLORER_REQUEST_PRICE} USD" in page
    assert "costing 0.09 USD" in page


def test_the_source_page_says_when_pulls_run_whatever_the_kind_of_schedule(reader, db):
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule

    source = services.source_create(name="Payer", kind=CostSource.Kind.AWS_COST_EXPLORER)

    def shown() -> str:
        page = " ".join(reader.get(f"/costs/sources/{source.pk}/").content.decode().split())
        return re.search(r'<section class="card"><h2>Configuration</h2>(.*?)</section>', page).group(1)

    assert "Pulled every 4 hours." in shown()

    task = source.schedule
    task.interval = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    task.save()
    assert "Pulled every hour." in shown()

    task.interval = None
    task.crontab = CrontabSchedule.objects.create(minute="15", hour="*/6")
    task.enabled = False
    task.save()
    assert "Pulled at 15 minutes past the hour, every 6 hours UTC (the schedule is paused)." in shown()
    assert "every None" not in shown()


def test_a_focus_source_page_mentions_no_schedule(reader, db):
    source = services.source_create(name="Azure EA", kind=CostSource.Kind.FOCUS_FILE)
    page = reader.get(f"/costs/sources/{source.pk}/").content.decode()
    assert "Pulled" not in page
