import pytest

from meetings.models import Meeting


@pytest.mark.parametrize(
    "model",
    ["glossaryterm", "topic", "cadence", "meeting", "actionitem", "decision", "calendarfeed", "reviewpack"],
)
def test_every_admin_list_renders_with_search_and_filters(client, people, monthly, model):
    client.force_login(people["admin"].user)
    assert client.get(f"/admin/meetings/{model}/", {"q": "review"}).status_code == 200


def test_the_meeting_admin_shows_its_inlines(client, people, monthly):
    client.force_login(people["admin"].user)
    meeting = Meeting.objects.first()
    page = client.get(f"/admin/meetings/meeting/{meeting.pk}/change/").content.decode()
    assert (
        "attendances-TOTAL_FORMS" in page
        and "agenda_items-TOTAL_FORMS" in page
        and "action_items-TOTAL_FORMS" in page
    )


def test_the_cadence_admin_refuses_a_malformed_rule(client, people, monthly):
    client.force_login(people["admin"].user)
    response = client.post(
        "/admin/meetings/cadence/add/",
        {
            "name": "Bad",
            "rrule": "FREQ=OFTEN",
            "timezone": "Europe/London",
            "starts_on": "2026-01-01",
            "start_time": "10:00",
            "duration_minutes": "60",
            "participant_groups": "[]",
            "agenda_template": "x",
            "occurrences_ahead": "3",
            "meetings-TOTAL_FORMS": "0",
            "meetings-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200 and "FREQ=OFTEN is not allowed" in response.content.decode()


def test_the_review_pack_admin_at_its_old_address_redirects_to_meetings(client, people):
    client.force_login(people["admin"].user)
    response = client.get("/admin/costdata/reviewpack/3/change/?q=x")
    assert response.status_code == 301
    assert response["Location"] == "/admin/meetings/reviewpack/3/change/?q=x"
