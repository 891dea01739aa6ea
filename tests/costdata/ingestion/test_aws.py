"""Cost Explorer clients: botocore's adaptive retry mode, with or without a role to assume."""

from __future__ import annotations

import pytest

from costdata.ingestion.aws import cost_explorer_client
from tests.costdata.ingestion.test_endpoint import FakeCostExplorer, endpoint  # noqa: F401 (the fixture)


@pytest.fixture
def aws_environment(monkeypatch, tmp_path, endpoint: FakeCostExplorer):  # noqa: F811
    for name, value in {
        "AWS_ENDPOINT_URL_COST_EXPLORER": endpoint.url,
        "AWS_ENDPOINT_URL_STS": endpoint.url,
        "AWS_ACCESS_KEY_ID": "AKIDTESTING",
        "AWS_SECRET_ACCESS_KEY": "testing-secret",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    return endpoint


def adaptive(settings) -> dict:
    return {"mode": "adaptive", "total_max_attempts": settings.COST_EXPLORER_MAX_ATTEMPTS}


def test_a_client_backs_off_in_adaptive_mode_with_the_configured_attempts(aws_environment, settings):
    settings.COST_EXPLORER_MAX_ATTEMPTS = 7
    client = cost_explorer_client()
    assert client.meta.config.retries == adaptive(settings)
    assert client.meta.region_name == "us-east-1"
    assert client.meta.endpoint_url == aws_environment.url


def test_a_client_through_an_assumed_role_retries_the_same_way(aws_environment, settings):
    trusted = aws_environment.trusted_external_id
    client = cost_explorer_client(role_arn="arn:aws:iam::123456789012:role/read-costs", external_id=trusted)
    assert [call["target"] for call in aws_environment.calls] == ["STS.AssumeRole"]
    assert aws_environment.calls[0]["body"]["ExternalId"] == trusted
    assert client.meta.config.retries == adaptive(settings)
    assert client._request_signer._credentials.access_key == "ASIATEMPORARY"
