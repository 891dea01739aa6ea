from django.core import mail

from meetings import tasks
from meetings.models import Meeting


def test_the_materialise_task_is_idempotent(monthly):
    # The fixture scheduled from a fixed past "now"; the task runs at the real now and fills up to it.
    first = tasks.cadences_materialise.apply().get()
    count = Meeting.objects.count()
    assert str(monthly.pk) in first
    assert tasks.cadences_materialise.apply().get() == {}
    assert Meeting.objects.count() == count


def test_the_agenda_task_sends_each_agenda_once(people, settings, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from meetings import services

    meeting = services.meeting_create(
        title="Ad hoc commitment review",
        starts_at=timezone.now() + timedelta(days=1),
        timezone_name="Europe/London",
        attendees=[people["finance"].stakeholder],
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.agendas_send_due.apply().get() == [meeting.pk]
        assert tasks.agendas_send_due.apply().get() == []
    assert len(mail.outbox) == 1
