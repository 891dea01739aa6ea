import pytest
from django.utils import timezone

from meetings.demo import CADENCE_NAME, demo_programme_meetings_seed
from meetings.models import ActionItem, Cadence, Meeting


@pytest.fixture
def demo_people(db, settings):
    from partnership.demo import demo_people_create

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo_people_create(password="demo-password-for-tests-1")


def test_the_demo_programme_has_held_and_planned_meetings_and_items_in_every_state(demo_people):
    result = demo_programme_meetings_seed()
    meetings = Meeting.objects.filter(cadence=result.cadence)
    now = timezone.now()
    held = meetings.filter(status="held", starts_at__lt=now)
    assert held.count() == 6 and meetings.filter(status="planned", starts_at__gt=now).count() == 3
    assert all(m.minutes and m.decisions.exists() and m.action_items.exists() for m in held)
    assert set(ActionItem.objects.values_list("status", flat=True)) == set(ActionItem.Status.values)
    assert held.first().attendances.filter(status="present").exists()


def test_seeding_twice_changes_nothing(demo_people):
    demo_programme_meetings_seed()
    counts = (Cadence.objects.count(), Meeting.objects.count(), ActionItem.objects.count())
    again = demo_programme_meetings_seed()
    assert not again.created and again.cadence.name == CADENCE_NAME
    assert (Cadence.objects.count(), Meeting.objects.count(), ActionItem.objects.count()) == counts


def test_the_next_planned_meeting_carries_the_open_items(demo_people):
    result = demo_programme_meetings_seed()
    upcoming = Meeting.objects.filter(cadence=result.cadence, status="planned").order_by("starts_at").first()
    carried = set(upcoming.agenda_items.filter(source="action").values_list("action_item_id", flat=True))
    assert carried == set(
        ActionItem.objects.filter(status__in=["open", "in_progress"]).values_list("pk", flat=True)
    )


def test_it_refuses_to_run_without_the_demo_people(db):
    with pytest.raises(LookupError):
        demo_programme_meetings_seed()


def test_the_demo_names_people_on_every_seeded_topic(demo_people):
    from meetings.models import Topic

    demo_programme_meetings_seed()
    assert not Topic.objects.filter(members__isnull=True).exists()
