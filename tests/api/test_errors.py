"""Regression tests for what Schemathesis found: each was a 500 or an undocumented answer."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from meetings.models import Cadence
from partnership.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(django_user_model):
    admin = django_user_model.objects.create_superuser("fuzz", "fuzz@example.com", "fuzz-pass-123456")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + api_token_create(user=admin, name="t").key)
    return client


def test_an_unmatched_api_url_answers_json_404(api):
    response = api.get("/api/v1/action-items/0.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_an_unmatched_page_url_answers_the_sites_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Not found" in response.content and response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/cadences/?participants=1814701385211800723652608",
        "/api/v1/teams/99999999999999999999999/",
        "/api/v1/action-items/?owner=-3045530941003892265947496448",
    ],
)
def test_an_integer_beyond_the_databases_range_is_a_400_not_a_500(api, url):
    response = api.get(url)
    assert response.status_code in (400, 404)
    assert response.status_code != 500


def test_a_cadence_created_through_the_api_without_a_time_zone_takes_the_default(api):
    response = api.post(
        "/api/v1/cadences/",
        {
            "name": "Quarterly",
            "rrule": "FREQ=MONTHLY;INTERVAL=3;BYDAY=1TU",
            "starts_on": "2027-01-05",
            "start_time": "10:00",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Cadence.objects.get().timezone == Cadence._meta.get_field("timezone").default


def test_a_cadence_can_be_created_inactive_through_the_api(api):
    response = api.post(
        "/api/v1/cadences/",
        {
            "name": "Paused",
            "rrule": "FREQ=WEEKLY",
            "timezone": "Europe/Paris",
            "starts_on": "2027-01-05",
            "start_time": "10:00",
            "active": False,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    cadence = Cadence.objects.get()
    assert cadence.active is False
    assert not cadence.meetings.exists(), "an inactive cadence schedules no meetings"
