from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from meetings import agenda, services
from meetings.models import ActionItem, Attendance, Cadence, Meeting, Topic
from tests.meetings.conftest import NOW

LATER = NOW + timedelta(days=40)  # past the 10 February meeting


def planned(cadence, now=NOW):
    return list(
        Meeting.objects.filter(cadence=cadence, starts_at__gt=now, status=Meeting.Status.PLANNED).order_by(
            "starts_at"
        )
    )


# --- materialisation --------------------------------------------------------------------------


def test_creating_a_cadence_schedules_its_next_occurrences_in_local_time(monthly):
    starts = [m.local_start() for m in planned(monthly)]
    assert [s.date() for s in starts] == [date(2026, 2, 10), date(2026, 3, 10), date(2026, 4, 14)]
    assert {(s.hour, s.minute) for s in starts} == {(10, 0)}
    assert starts[2].utcoffset() == timedelta(hours=1)  # April is BST: still 10:00 local


def test_materialising_twice_creates_nothing_new(monthly):
    before = list(Meeting.objects.values_list("pk", "starts_at", "sequence", "status"))
    result = services.cadence_materialise(cadence=monthly, now=NOW)
    assert not result.changed
    assert list(Meeting.objects.values_list("pk", "starts_at", "sequence", "status")) == before


def test_time_passing_adds_the_next_occurrence_and_keeps_the_rest(monthly):
    first = planned(monthly)
    result = services.cadence_materialise(cadence=monthly, now=LATER)
    assert len(result.created) == 1 and not result.moved and not result.cancelled
    assert [m.pk for m in planned(monthly, LATER)][:2] == [first[1].pk, first[2].pk]
    assert planned(monthly, LATER)[-1].local_start().date() == date(2026, 5, 12)


def test_meetings_get_the_participants_and_whole_groups_as_attendees(monthly, people):
    meeting = planned(monthly)[0]
    names = set(meeting.attendances.values_list("stakeholder__name", flat=True))
    assert names == {"Fiona Finance", "Erik Engineer", "Tom Techlead"}  # techlead via the technology group


def test_editing_the_rule_moves_future_planned_meetings_but_never_past_ones(monthly):
    past = Meeting.objects.create(
        cadence=monthly,
        title="January",
        starts_at=datetime(2026, 1, 13, 10, tzinfo=UTC),
        occurrence=datetime(2026, 1, 13, 10, tzinfo=UTC),
        status=Meeting.Status.HELD,
    )
    future = planned(monthly)
    uids = [m.uid for m in future]
    services.cadence_update(cadence=monthly, rrule="FREQ=MONTHLY;BYDAY=+3TH", now=NOW)
    moved = planned(monthly)
    assert [m.uid for m in moved] == uids  # the same meetings (calendar UIDs kept), moved
    assert [m.local_start().date() for m in moved] == [
        date(2026, 1, 15),
        date(2026, 2, 19),
        date(2026, 3, 19),
    ]
    assert all(m.sequence >= 1 for m in moved)
    past.refresh_from_db()
    assert past.starts_at == datetime(2026, 1, 13, 10, tzinfo=UTC) and past.sequence == 0


def test_fewer_occurrences_ahead_cancels_the_surplus_rather_than_deleting_it(monthly):
    services.cadence_update(cadence=monthly, occurrences_ahead=1, now=NOW)
    statuses = list(
        Meeting.objects.filter(cadence=monthly).order_by("starts_at").values_list("status", flat=True)
    )
    assert statuses == ["planned", "cancelled", "cancelled"]
    assert not services.cadence_materialise(cadence=monthly, now=NOW).changed


def test_a_meeting_moved_by_hand_keeps_its_time_when_materialised_again(monthly):
    meeting = planned(monthly)[0]
    services.meeting_update(meeting=meeting, starts_at=meeting.starts_at + timedelta(hours=3))
    services.cadence_materialise(cadence=monthly, now=NOW)
    meeting.refresh_from_db()
    assert meeting.local_start().hour == 13 and meeting.sequence == 1
    assert Meeting.objects.filter(cadence=monthly).count() == 3


def test_a_cancelled_occurrence_is_not_recreated(monthly):
    meeting = planned(monthly)[0]
    services.meeting_status_set(meeting=meeting, status=Meeting.Status.CANCELLED)
    assert not services.cadence_materialise(cadence=monthly, now=NOW).created


def test_an_inactive_cadence_cancels_its_future_meetings(monthly):
    services.cadence_update(cadence=monthly, active=False, now=NOW)
    assert not planned(monthly)


def test_a_malformed_rule_or_unknown_zone_saves_nothing(people):
    with pytest.raises(ValidationError) as exc:
        services.cadence_create(
            name="Bad",
            rrule="FREQ=FORTNIGHTLY",
            timezone_name="Europe/Atlantis",
            starts_on=date(2026, 1, 1),
            start_time=time(9),
        )
    assert set(exc.value.message_dict) == {"timezone"}
    with pytest.raises(ValidationError) as exc:
        services.cadence_create(
            name="Bad",
            rrule="FREQ=FORTNIGHTLY",
            timezone_name="Europe/Paris",
            starts_on=date(2026, 1, 1),
            start_time=time(9),
        )
    assert set(exc.value.message_dict) == {"rrule"}
    assert not Cadence.objects.exists() and not Meeting.objects.exists()


def test_updating_with_a_bad_rule_leaves_the_cadence_and_meetings_untouched(monthly):
    before = list(Meeting.objects.values_list("starts_at", flat=True))
    with pytest.raises(ValidationError):
        services.cadence_update(cadence=monthly, rrule="FREQ=MONTHLY;BYDAY=+9XX", now=NOW)
    monthly.refresh_from_db()
    assert monthly.rrule == "FREQ=MONTHLY;BYDAY=+2TU"
    assert list(Meeting.objects.values_list("starts_at", flat=True)) == before


# --- agenda and carry-over ----------------------------------------------------------------------


def test_the_agenda_starts_with_the_practices_template_then_topics_due(monthly):
    items = list(planned(monthly)[0].agenda_items.order_by("position"))
    assert [i.title for i in items[:4]] == [
        "State of the organisation",
        "Programmes running",
        "Financial and optimisation metrics",
        "Key workloads in detail",
    ]
    assert {i.source for i in items[4:]} == {"topic"}
    assert len(items) == 4 + Topic.objects.filter(active=True).count()  # nothing discussed yet: all due


def test_open_action_items_carry_over_to_the_next_meeting_until_closed(monthly, people):
    first, second, third = planned(monthly)
    owner = people["engineer"].stakeholder
    open_item = services.action_item_create(
        title="Tag the payments buckets", owner=owner, origin_meeting=first
    )
    done_item = services.action_item_create(title="Already sorted", owner=owner, origin_meeting=first)
    services.action_item_update(item=done_item, status=ActionItem.Status.DONE)
    services.meeting_status_set(meeting=first, status=Meeting.Status.HELD)

    carried = list(second.agenda_items.filter(source="action").values_list("action_item_id", flat=True))
    assert carried == [open_item.pk]

    services.action_item_update(item=open_item, status=ActionItem.Status.DONE)
    services.meeting_agenda_build(meeting=third)
    assert not third.agenda_items.filter(source="action").exists()


def test_rebuilding_an_agenda_never_duplicates_and_keeps_manual_items(monthly):
    meeting = planned(monthly)[0]
    services.agenda_item_add(meeting=meeting, title="Any other business")
    count = meeting.agenda_items.count()
    services.meeting_agenda_build(meeting=meeting)
    services.meeting_agenda_build(meeting=meeting)
    assert meeting.agenda_items.count() == count
    assert meeting.agenda_items.order_by("-position").first().title == "Any other business"


def test_a_registered_provider_adds_its_items(monthly):
    class Variances:
        key, title, order = "variances", "Variances awaiting review", 40

        def propose(self, meeting):
            yield agenda.ProposedItem(ref="v1", title="EC2 up 23% in Payments", url="/variances/1/")

    # It stands in for meetings' own variance provider (meetings.cost_items), restored afterwards.
    real = next((p for p in agenda.providers() if p.key == "variances"), None)
    agenda.register_provider(Variances())
    try:
        meeting = planned(monthly)[0]
        services.meeting_agenda_build(meeting=meeting)
        item = meeting.agenda_items.get(key="variances:v1")
        assert item.source == "variances" and item.position == meeting.agenda_items.count()
    finally:
        agenda.unregister_provider("variances")
        if real is not None:
            agenda.register_provider(real)
    services.meeting_agenda_build(meeting=meeting)
    assert not meeting.agenda_items.filter(source="variances").exists()


def test_a_provider_without_propose_is_refused():
    class Broken:
        key, title, order = "broken", "Broken", 1

    with pytest.raises(TypeError):
        agenda.register_provider(Broken())


def test_ticking_a_topic_discussed_at_a_held_meeting_resets_its_review_clock(monthly):
    meeting = Meeting.objects.create(
        cadence=monthly,
        title="Ad hoc",
        starts_at=datetime(2026, 1, 13, 10, tzinfo=UTC),
        timezone="Europe/London",
    )
    services.meeting_agenda_build(meeting=meeting)
    item = meeting.agenda_items.get(key="topic:budgeting")
    services.agenda_item_update(item=item, discussed=True)
    services.meeting_status_set(meeting=meeting, status=Meeting.Status.HELD)
    topic = Topic.objects.get(slug="budgeting")
    assert topic.last_discussed == date(2026, 1, 13)
    assert not topic.is_due(date(2026, 2, 1))
    assert topic.is_due(date(2026, 1, 13) + timedelta(days=topic.review_frequency_days))


def test_last_discussed_never_moves_backwards(db):
    topic = Topic.objects.get(slug="forecasting")
    assert services.topic_mark_discussed(topic=topic, on=date(2026, 3, 1))
    assert not services.topic_mark_discussed(topic=topic, on=date(2026, 2, 1))
    topic.refresh_from_db()
    assert topic.last_discussed == date(2026, 3, 1)


def test_held_meetings_keep_their_agenda(monthly):
    meeting = planned(monthly)[0]
    services.meeting_status_set(meeting=meeting, status=Meeting.Status.HELD)
    titles = list(meeting.agenda_items.values_list("title", flat=True))
    Topic.objects.update(last_discussed=date(2026, 1, 1))
    services.meeting_agenda_build(meeting=meeting)
    assert list(meeting.agenda_items.values_list("title", flat=True)) == titles


# --- email --------------------------------------------------------------------------------------


def test_assigning_an_action_item_emails_its_owner(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.action_item_create(
            title="Model the RI renewal", owner=people["techlead"].stakeholder, due_on=date(2026, 2, 1)
        )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["techlead@example.com"]
    assert "Model the RI renewal" in mail.outbox[0].subject and "1 February 2026" in mail.outbox[0].body


def test_reassigning_notifies_the_new_owner_only(people, django_capture_on_commit_callbacks):
    item = services.action_item_create(title="x", owner=people["engineer"].stakeholder, notify=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.action_item_update(item=item, status=ActionItem.Status.IN_PROGRESS)
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.action_item_update(item=item, owner=people["engineer2"].stakeholder)
    assert [m.to for m in mail.outbox] == [["engineer2@example.com"]]


def test_the_agenda_goes_to_attendees_once_with_the_calendar_file(
    monthly, django_capture_on_commit_callbacks
):
    meeting = planned(monthly)[0]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.meeting_agenda_send(meeting_id=meeting.pk) == 1
        assert services.meeting_agenda_send(meeting_id=meeting.pk) == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["engineer@example.com", "finance@example.com", "techlead@example.com"]
    assert "State of the organisation" in message.body
    name, content, mimetype = message.attachments[0]
    text = content.decode() if isinstance(content, bytes) else content
    assert mimetype == "text/calendar" and str(meeting.uid) in text


def test_agendas_go_out_the_configured_number_of_days_before(monthly, settings):
    settings.MEETINGS_AGENDA_DAYS_BEFORE = 3
    first = planned(monthly)[0]  # 10 February 10:00 London
    assert services.agendas_send_due(now=first.starts_at - timedelta(days=4)) == []
    assert services.agendas_send_due(now=first.starts_at - timedelta(days=2)) == [first.pk]
    assert services.agendas_send_due(now=first.starts_at - timedelta(days=1)) == []
    services.cadence_update(cadence=monthly, agenda_days_before=60, now=NOW)
    assert len(services.agendas_send_due(now=NOW)) == 1  # the March meeting; February's already went


def test_cancelled_meetings_get_no_agenda(monthly):
    meeting = planned(monthly)[0]
    services.meeting_status_set(meeting=meeting, status=Meeting.Status.CANCELLED)
    assert services.meeting_agenda_send(meeting_id=meeting.pk) == 0
    assert mail.outbox == []


# --- attendance and feeds -----------------------------------------------------------------------


def test_attendance_is_one_row_per_person_and_rejects_unknown_states(monthly, people):
    meeting = planned(monthly)[0]
    services.attendance_set(meeting=meeting, stakeholder=people["finance"].stakeholder, status="present")
    assert (
        meeting.attendances.get(stakeholder=people["finance"].stakeholder).status == Attendance.Status.PRESENT
    )
    with pytest.raises(ValidationError):
        services.attendance_set(meeting=meeting, stakeholder=people["finance"].stakeholder, status="asleep")


def test_feed_tokens_are_stored_only_as_hashes_and_can_be_revoked_and_rotated(monthly):
    feed, token = services.calendar_feed_create(cadence=monthly)
    assert token not in feed.token_hash and len(feed.token_hash) == 64
    assert services.calendar_feed_resolve(token=token) == feed
    new, new_token = services.calendar_feed_rotate(feed=feed)
    assert services.calendar_feed_resolve(token=token) is None
    assert services.calendar_feed_resolve(token=new_token) == new
    services.calendar_feed_revoke(feed=new)
    assert services.calendar_feed_resolve(token=new_token) is None


def test_ad_hoc_meetings_refuse_naive_times_and_unknown_zones(people):
    with pytest.raises(ValidationError) as exc:
        services.meeting_create(title="x", starts_at=datetime(2026, 1, 1, 9), timezone_name="Europe/London")
    assert "starts_at" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.meeting_create(title="x", starts_at=NOW, timezone_name="Nowhere/Special")
    assert "timezone" in exc.value.message_dict
    assert not Meeting.objects.exists()


def test_a_failed_agenda_send_is_retried_by_its_delivery(
    monthly, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.mail.backends.locmem import EmailBackend

    from outbox.models import Delivery

    first = planned(monthly)[0]
    now = first.starts_at - timedelta(days=1)
    original, refusals = EmailBackend.send_messages, []

    def refuse_once(self, messages):
        if not refusals:
            refusals.append(1)
            raise ConnectionRefusedError("smtp down")
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_once)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.agendas_send_due(now=now) == [first.pk]
    first.refresh_from_db()
    assert first.agenda_sent_at is not None
    delivery = Delivery.objects.get(reference=f"meeting:{first.pk}")
    assert (delivery.kind, delivery.status, delivery.attempts) == ("agenda", Delivery.Status.SENT, 2)
    assert delivery.last_error == "ConnectionRefusedError: smtp down"
    assert services.agendas_send_due(now=now) == []  # the next run does not send it again
    assert len(mail.outbox) == 1


# --- change records -----------------------------------------------------------------------------


def test_changing_a_rule_records_who_changed_what(monthly, people):
    from audit.models import AuditLogEntry

    services.cadence_update(
        cadence=monthly, rrule="FREQ=MONTHLY;BYDAY=+3TH", actor=people["finance"].user, now=NOW
    )
    record = AuditLogEntry.objects.get_for_object(monthly).get(changes__has_key="rrule", action=1)
    assert record.actor == people["finance"].user
    assert record.changes == {"rrule": ["FREQ=MONTHLY;BYDAY=+2TU", "FREQ=MONTHLY;BYDAY=+3TH"]}
    moved = AuditLogEntry.objects.get_for_objects(monthly.meetings.all()).filter(
        action=AuditLogEntry.Action.UPDATE, changes__has_key="starts_at"
    )
    assert moved.count() == 3 and {entry.actor for entry in moved} == {people["finance"].user}


def test_each_save_of_the_minutes_is_recorded_with_the_text_before_and_after(monthly, people):
    from audit.models import AuditLogEntry

    meeting = planned(monthly)[0]
    for text in ["A", "AB", "ABC"]:
        services.meeting_minutes_update(meeting=meeting, minutes=text, actor=people["techlead"].user)
    minutes = [
        entry.changes["minutes"]
        for entry in AuditLogEntry.objects.get_for_object(meeting).filter(action=1).order_by("pk")
        if "minutes" in (entry.changes or {})
    ]
    assert minutes == [["", "A"], ["A", "AB"], ["AB", "ABC"]]


def test_an_action_items_status_change_is_recorded_with_old_and_new(people):
    from audit.models import AuditLogEntry

    item = services.action_item_create(title="x", owner=people["engineer"].stakeholder, notify=False)
    services.action_item_update(item=item, status="done", actor=people["engineer"].user)
    record = AuditLogEntry.objects.get_for_object(item).get(action=AuditLogEntry.Action.UPDATE)
    assert record.changes["status"] == ["open", "done"] and record.actor == people["engineer"].user


def test_an_ad_hoc_meeting_starts_with_an_empty_agenda(people):
    meeting = services.meeting_create(
        title="RI renewal", starts_at=NOW + timedelta(days=3), timezone_name="Europe/London"
    )
    assert not meeting.agenda_items.exists()
    services.agenda_item_add(meeting=meeting, title="Which RDS reservations to renew")
    assert list(meeting.agenda_items.values_list("source", flat=True)) == ["manual"]


def test_an_extra_meeting_in_a_cadence_is_not_moved_by_the_rule(monthly):
    extra = services.meeting_create(
        title="Extra: RI renewal",
        starts_at=NOW + timedelta(days=5),
        timezone_name="Europe/London",
        cadence=monthly,
    )
    services.cadence_update(cadence=monthly, rrule="FREQ=MONTHLY;BYDAY=+3TH", now=NOW)
    extra.refresh_from_db()
    assert extra.starts_at == NOW + timedelta(days=5) and extra.status == Meeting.Status.PLANNED


def test_a_postponed_meeting_keeps_its_new_time_after_its_slot_passes(monthly):
    february = planned(monthly)[0]  # 10 February 10:00
    services.meeting_update(meeting=february, starts_at=february.starts_at + timedelta(days=2))
    day_between = february.occurrence + timedelta(days=1)
    result = services.cadence_materialise(cadence=monthly, now=day_between)
    february.refresh_from_db()
    assert february.pk not in result.moved and february.pk not in result.cancelled
    assert february.local_start().date() == date(2026, 2, 12)
    assert not services.cadence_materialise(cadence=monthly, now=day_between).changed
