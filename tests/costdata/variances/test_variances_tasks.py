"""Detection after ingestion: a successful pull queues it for the months it touched, on commit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from costdata import tasks
from costdata.ingestion import services
from costdata.models import CostSource, Variance
from costdata.variances.services import months_to_detect
from tests.costdata.variance_fixtures import facts


def test_a_successful_pull_queues_detection_for_the_open_months_it_touched(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.detect_variances, "delay", lambda **kwargs: queued.append(kwargs))
    demo = services.source_create(name="Demo", kind=CostSource.Kind.DEMO, tag_keys=["team"])
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        services.source_pull(
            source_id=demo.pk, start=today - timedelta(days=40), end=today, with_insights=False
        )
    expected = sorted({m.isoformat() for m in months_to_detect(start=today - timedelta(days=40), end=today)})
    assert queued == [{"months": expected}]
    assert today.replace(day=1).isoformat() in expected


def test_only_the_open_month_and_the_one_before_are_detected_after_a_backfill():
    months = months_to_detect(start=date(2025, 11, 1), end=date(2026, 11, 20), today=date(2026, 11, 20))
    assert months == [date(2026, 10, 1), date(2026, 11, 1)]


def test_the_detection_task_runs_detection_and_is_safe_to_run_twice(cost_source, org):
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={date(2026, 11, 10): "400"})
    first = tasks.detect_variances.apply(kwargs={"months": ["2026-11-01"]}).get()
    second = tasks.detect_variances.apply(kwargs={"months": ["2026-11-01"]}).get()
    assert first["created"] > 0 and second["created"] == 0
    assert Variance.objects.count() == first["created"]


def test_the_command_detects_on_demand_for_a_month(cost_source, org, capsys):
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={date(2026, 11, 10): "400"})
    call_command("detect_variances", "--month", "2026-11")
    out = capsys.readouterr().out
    assert "2026-11" in out and "new variances" in out
    assert Variance.objects.filter(kind="spike").exists()


def test_the_periodic_tasks_are_registered_with_beat(db):
    from django_celery_beat.models import PeriodicTask

    tasks_registered = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {"costdata.escalate_overdue_variances", "costdata.send_variance_digest"} <= tasks_registered


def test_the_escalation_task_escalates_overdue_variances(
    cost_source, org, django_capture_on_commit_callbacks
):
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={date(2026, 11, 10): "400"})
    from costdata.variances.services import variances_detect

    variances_detect(months=[date(2026, 11, 1)], now=datetime(2026, 10, 1, tzinfo=UTC))  # long overdue
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        escalated = tasks.escalate_overdue_variances.apply().get()
    assert len(escalated) == Variance.objects.count()
    assert mail.outbox
