"""Regression tests for what Schemathesis found: each was a 500 or an undocumented answer."""

from __future__ import annotations

import importlib

import pytest
from rest_framework.test import APIClient

from common.services import api_token_create
from meetings.models import Cadence

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
def test_an_integer_beyond_the_databases_range_is_a_400_naming_where_it_was(api, url):
    response = api.get(url)
    assert response.status_code == 400
    assert "out of range" in str(response.json())
    assert api.get("/api/v1/teams/").status_code == 200, "the connection is still usable"


def test_an_integer_beyond_range_in_a_json_body_is_refused_before_any_query(api):
    response = api.post("/api/v1/agenda-items/", {"meeting": 10**30, "title": "x"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"meeting": ["This number is out of range."]}


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


@pytest.fixture
def openapi():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_local_times_are_described_by_a_pattern_not_rfc3339s_offset_time(openapi):
    import re

    start_time = openapi["components"]["schemas"]["Cadence"]["properties"]["start_time"]
    assert "format" not in start_time
    assert re.match(start_time["pattern"], "10:00:00") and re.match(start_time["pattern"], "09:30")


def test_a_source_without_a_role_matches_its_schema(openapi):
    import re

    role_arn = openapi["components"]["schemas"]["CostSource"]["properties"]["role_arn"]
    assert re.match(role_arn["pattern"], "")
    assert re.match(role_arn["pattern"], "arn:aws:iam::123456789012:role/CostExplorerReader")
    assert not re.match(role_arn["pattern"], "arn:aws:iam::1234:role/x")


def test_fields_that_may_be_null_say_so(openapi):
    schemas = openapi["components"]["schemas"]
    assert schemas["Stakeholder"]["properties"]["username"].get("nullable") is True
    assert schemas["Team"]["properties"]["parent_name"].get("nullable") is True


def test_every_operation_documents_its_error_responses(openapi):
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                assert {"400", "401", "403", "404", "429"} <= set(operation["responses"]), f"{method} {path}"


def test_a_topic_can_be_created_inactive_through_the_api(api):
    from meetings.models import Topic

    response = api.post(
        "/api/v1/topics/",
        {
            "name": "Chargeback model",
            "owning_group": "finance",
            "description": "How costs are charged back.",
            "active": False,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Topic.objects.get(name="Chargeback model").active is False


def test_a_number_beyond_a_32_bit_column_is_a_400_and_leaves_the_connection_usable(api):
    # Within bigint (the edge check passes it) but beyond Postgres's integer columns.
    response = api.get("/api/v1/topics/?review_frequency_days=3000000000")
    assert response.status_code in (200, 400)
    assert api.get("/api/v1/topics/").status_code == 200
    response = api.post(
        "/api/v1/topics/",
        {
            "name": "Huge",
            "owning_group": "finance",
            "description": "x",
            "review_frequency_days": 3_000_000_000,
        },
        format="json",
    )
    assert response.status_code == 400
    assert api.get("/api/v1/teams/").status_code == 200, "the connection is still usable"


@pytest.fixture
def finance_api(django_user_model):
    from stakeholders.models import Group, Role, Stakeholder

    user = django_user_model.objects.create_user("fin", "fin@example.com", "fuzz-pass-123456")
    Stakeholder.objects.create(
        name="Fin", email="fin@example.com", group=Group.FINANCE, role=Role.FINANCIAL_CONTROLLER, user=user
    )
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_forecast_for_month_0000_is_a_400_not_a_500(api):
    response = api.get("/api/v1/forecasts/?month=0000-01&scope_type=organisation")
    assert response.status_code == 400
    assert "month" in response.json()


def test_detecting_variances_for_month_0000_is_a_400_not_a_500(finance_api):
    response = finance_api.post("/api/v1/variances/detect/", {"months": ["0000-01"]}, format="json")
    assert response.status_code == 400
    assert "months" in response.json()


def test_the_xlsx_export_content_type_is_documented(openapi):
    path = openapi["paths"]["/api/v1/budget-versions/{id}/export/"]["get"]
    assert (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        in path["responses"]["200"]["content"]
    )


def test_building_an_agenda_is_documented_as_the_plain_list_it_returns(openapi):
    schema = openapi["paths"]["/api/v1/meetings/{id}/build-agenda/"]["post"]["responses"]["200"]
    assert schema["content"]["application/json"]["schema"]["type"] == "array"


def test_the_forecast_is_documented_as_the_one_object_it_returns(openapi):
    # Found by the fuzz: a month with no data yet answers 200 with one forecast, which the schema
    # described as a list.
    ok = openapi["paths"]["/api/v1/forecasts/"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Forecast"}


# --- one shape for each kind of error, whichever app's endpoint gives it -------------------------
# A service's errors propagate from the view; common.api_errors.exception_handler answers each kind
# the same way everywhere: invalid input {field: [messages], non_field_errors: [messages]}, anything
# else {"detail": message}.

ENDPOINTS = {
    "meetings": (
        "/api/v1/topics/",
        {"name": "Chargeback", "owning_group": "finance", "description": "How costs are charged back."},
        "meetings.services",
        "topic_create",
    ),
    "costdata": (
        "/api/v1/budgets/",
        {"name": "FY2027", "fiscal_year": 2027, "currency": "USD"},
        "costdata.planning.services",
        "budget_create",
    ),
    "stakeholders": (
        "/api/v1/teams/",
        {"name": "Payments", "kind": "team"},
        "stakeholders.services",
        "team_create",
    ),
}


def _post_raising(api, monkeypatch, app, error):
    """POST a valid body to the app's endpoint, whose service then raises `error`."""
    url, body, module, name = ENDPOINTS[app]

    def service(**kwargs):
        raise error

    monkeypatch.setattr(importlib.import_module(module), name, service)
    return api.post(url, body, format="json")


@pytest.mark.parametrize("app", sorted(ENDPOINTS))
def test_a_services_field_error_is_a_400_naming_the_field(api, monkeypatch, app):
    from django.core.exceptions import ValidationError

    response = _post_raising(api, monkeypatch, app, ValidationError({"name": "Taken already."}))
    assert response.status_code == 400
    assert response.json() == {"name": ["Taken already."]}


@pytest.mark.parametrize("app", sorted(ENDPOINTS))
def test_a_services_error_of_no_field_is_under_non_field_errors(api, monkeypatch, app):
    from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

    response = _post_raising(api, monkeypatch, app, ValidationError("The programme is paused."))
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["The programme is paused."]}
    mixed = ValidationError({NON_FIELD_ERRORS: ["Not now."], "name": ["Too long."]})
    assert _post_raising(api, monkeypatch, app, mixed).json() == {
        "non_field_errors": ["Not now."],
        "name": ["Too long."],
    }


@pytest.mark.parametrize("app", sorted(ENDPOINTS))
def test_a_services_permission_denied_is_a_403_with_its_message(api, monkeypatch, app):
    from django.core.exceptions import PermissionDenied

    response = _post_raising(api, monkeypatch, app, PermissionDenied("Only finance does this."))
    assert response.status_code == 403
    assert response.json() == {"detail": "Only finance does this."}


@pytest.mark.parametrize("app", sorted(ENDPOINTS))
def test_a_write_that_loses_a_race_on_a_unique_constraint_is_a_400_in_words(api, monkeypatch, app):
    from django.db import transaction

    from stakeholders.models import Team

    Team.objects.create(name="Payments")

    def duplicate():  # what a concurrent request's commit does to this one: the database refuses it
        with transaction.atomic():
            Team.objects.create(name="Payments")

    url, body, module, name = ENDPOINTS[app]
    monkeypatch.setattr(importlib.import_module(module), name, lambda **kwargs: duplicate())
    response = api.post(url, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Another team already has this name."]}
    assert "INSERT" not in response.content.decode() and "stakeholders_team" not in response.content.decode()
    assert api.get("/api/v1/teams/").status_code == 200, "the connection is still usable"


def test_a_budget_files_problems_are_the_errors_of_its_file_field(api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from costdata.planning import services as budgets

    version = budgets.budget_version_create(
        budget=budgets.budget_create(name="B", fiscal_year=2026), name="v"
    )
    bad = b"scope_type,scope_value,month,amount,currency\naccount,123,2026-11,abc,USD\n"
    response = api.post(
        f"/api/v1/budget-versions/{version.pk}/import/",
        {"file": SimpleUploadedFile("b.csv", bad)},
        format="multipart",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["file"]
    assert all(isinstance(problem, str) for problem in response.json()["file"])
    assert any("row 2" in problem for problem in response.json()["file"])


def test_the_schema_documents_the_400_shape_and_the_detail_of_other_errors(openapi):
    schemas = openapi["components"]["schemas"]
    invalid = schemas["ValidationError"]
    assert invalid["properties"]["non_field_errors"] == {"type": "array", "items": {"type": "string"}}
    assert {"type": "array", "items": {"type": "string"}} in invalid["additionalProperties"]["oneOf"]
    assert schemas["Error"]["properties"] == {"detail": {"type": "string"}}
    assert schemas["Error"]["required"] == ["detail"]
    responses = openapi["paths"]["/api/v1/topics/"]["post"]["responses"]
    refs = [option["$ref"] for option in responses["400"]["content"]["application/json"]["schema"]["oneOf"]]
    assert refs[0] == "#/components/schemas/ValidationError"
    for status in ("401", "403", "404", "429"):
        assert responses[status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }


def test_a_view_raising_a_message_per_field_answers_a_list_per_field(django_user_model):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(
        django_user_model.objects.create_superuser("shape", "s@example.com", "pw-shape-1234")
    )
    response = client.get("/api/v1/ownerships/resolve/", {"account_id": "", "tag": "AAA"})
    assert response.status_code == 400
    assert response.json() == {
        "account_id": ["Give the row's 12-digit account id."],
        "tag": ["Write each tag as key=value; got 'AAA'."],
    }
