"""How a failed pull is put in words: STS refusing a role, no credentials at all, STS's own codes.

The end-to-end versions (a real STS answer over HTTP, the command's output) are in test_endpoint.py;
here the same failures are read back where people look: the source's page, the API and the admin.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from costdata.ingestion import services
from costdata.ingestion.services.errors import (
    PullFailed,
    PullThrottled,
    PullTimedOut,
    classify_error,
    describe_error,
)
from costdata.models import CostSource, DailyCost, IngestionRun
from tests.costdata.conftest import finance_reader

ROLE_ARN = "arn:aws:iam::210987654321:role/CostExplorerReader"
NO_CREDENTIALS = "No AWS credentials found: set them through the environment, a profile or an instance role."


def sts_error(code: str, message: str, status: int = 403) -> ClientError:
    return ClientError(
        {
            "Error": {"Type": "Sender", "Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "AssumeRole",
    )


REFUSAL = sts_error(
    "AccessDenied",
    "User: arn:aws:iam::123456789012:user/partnership-reader is not authorized to perform: "
    f"sts:AssumeRole on resource: {ROLE_ARN}",
)


def test_sts_refusing_a_role_names_the_role_and_what_to_check():
    described = describe_error(REFUSAL)

    assert described == (
        "STS refused to let the credentials of arn:aws:iam::123456789012:user/partnership-reader assume "
        f"the role {ROLE_ARN} (AccessDenied): either the source's external id is not the one the role's "
        "trust policy requires, or the trust policy does not trust these credentials. Check the external "
        "id on the source and the role's trust policy."
    )
    assert isinstance(classify_error(REFUSAL), PullFailed)


def test_the_role_given_by_the_caller_is_named_when_sts_does_not_say_which():
    terse = sts_error("AccessDenied", "Access denied")

    assert describe_error(terse, role_arn=ROLE_ARN).startswith(
        f"STS refused to let these credentials assume the role {ROLE_ARN} (AccessDenied)"
    )
    assert describe_error(terse).startswith("STS refused to let these credentials assume the source's role")


def test_access_denied_by_cost_explorer_itself_keeps_its_own_message():
    denied = ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}, "GetCostAndUsage"
    )
    assert describe_error(denied) == (
        "Access denied: the credentials may not call Cost Explorer (ce:GetCostAndUsage)."
    )


def test_sts_throttling_is_retried_later_and_expired_credentials_are_said_so():
    throttled = sts_error("Throttling", "Rate exceeded", status=400)
    expired = sts_error("ExpiredToken", "The security token included in the request is expired", status=400)

    assert isinstance(classify_error(throttled), PullThrottled)
    assert describe_error(throttled, role_arn=ROLE_ARN) == (
        f"STS kept throttling the request to assume the role {ROLE_ARN} (Throttling); the pull will be retried."
    )
    assert describe_error(expired, role_arn=ROLE_ARN) == (
        f"Assuming the role {ROLE_ARN} failed: The AWS credentials have expired."
    )


@pytest.fixture
def no_aws_credentials(monkeypatch, tmp_path: Path) -> None:
    """boto3's whole chain comes up empty: no keys in the environment, no profile files, no instance
    or container role. Cost Explorer's endpoint is a closed local port, in case anything were sent."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL_COST_EXPLORER", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")


def test_a_pull_without_credentials_shows_why_on_the_page_the_api_and_the_admin(
    no_aws_credentials, client, db
):
    source = services.source_create(name="Payer", kind=CostSource.Kind.AWS_COST_EXPLORER)
    today = timezone.localdate()

    with pytest.raises(PullFailed, match="No AWS credentials found"):
        services.source_pull(source_id=source.pk, start=today - timedelta(days=3), end=today)

    run = source.runs.get()
    assert (run.status, run.error) == (IngestionRun.Status.FAILED, NO_CREDENTIALS)
    assert run.requests_made == 0, "nothing was signed, so nothing was sent or billed"
    assert not DailyCost.objects.filter(source=source).exists()

    reader = finance_reader()
    client.force_login(reader)
    page = " ".join(client.get(f"/costs/sources/{source.pk}/").content.decode().split())
    assert "The last pull failed" in page and NO_CREDENTIALS in page

    api = APIClient()
    api.force_authenticate(reader)
    listed = api.get(f"/api/v1/sources/{source.pk}/runs/").json()["results"]
    assert [(r["status"], r["error"]) for r in listed] == [("failed", NO_CREDENTIALS)]

    boss = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw-boss-1")
    client.force_login(boss)
    admin_page = " ".join(client.get("/admin/costdata/ingestionrun/").content.decode().split())
    assert NO_CREDENTIALS in admin_page


def test_a_request_that_never_reached_cost_explorer_is_not_counted(aws_source_unreachable, db):
    """No connection: nothing reached Cost Explorer, so nothing was billed or counted."""
    today = timezone.localdate()
    with pytest.raises(PullTimedOut, match="Could not reach Cost Explorer"):
        services.source_pull(
            source_id=aws_source_unreachable.pk,
            start=today - timedelta(days=3),
            end=today,
            client=unreachable_client(),
        )
    run = aws_source_unreachable.runs.get()
    assert run.status == IngestionRun.Status.FAILED and run.requests_made == 0


def test_a_request_cost_explorer_refused_is_counted(aws_source_unreachable, db):
    from botocore.stub import Stubber

    client = unreachable_client()
    today = timezone.localdate()
    with Stubber(client) as stubber:
        stubber.add_client_error("get_cost_and_usage", "DataUnavailableException", "not yet", 400)
        with pytest.raises(PullFailed):
            services.source_pull(
                source_id=aws_source_unreachable.pk, start=today - timedelta(days=3), end=today, client=client
            )
    assert aws_source_unreachable.runs.get().requests_made == 1


def unreachable_client():
    import boto3
    from botocore.config import Config

    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    return boto3.session.Session().client(
        "ce",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=2),
    )


@pytest.fixture
def aws_source_unreachable(db):
    return services.source_create(
        name="Payer far away", kind=CostSource.Kind.AWS_COST_EXPLORER, role_arn=ROLE_ARN
    )


def test_a_failed_pull_names_the_sources_own_role_when_sts_does_not(aws_source_unreachable, db):
    """STS's message may not name the role: the run's error then names the source's."""
    from unittest import mock

    refusal = sts_error("AccessDenied", "Access denied")
    today = timezone.localdate()
    with mock.patch("costdata.ingestion.services.pull.cost_explorer_for", side_effect=refusal):
        with pytest.raises(PullFailed, match=ROLE_ARN):
            services.source_pull(
                source_id=aws_source_unreachable.pk, start=today - timedelta(days=3), end=today
            )
    assert ROLE_ARN in aws_source_unreachable.runs.get().error
