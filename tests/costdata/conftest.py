"""Shared fixtures for cost data: a real boto3 Cost Explorer client behind botocore's Stubber.

The Stubber checks every request the product makes and every response a test feeds it against the real
Cost Explorer service model, so a test cannot pass on a shape Cost Explorer would never send or accept.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from costdata.models import CostSource

TODAY = date(2026, 11, 20)

ACCOUNT = {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}
SERVICE = {"Type": "DIMENSION", "Key": "SERVICE"}


def group(keys: list[str], unblended: str, amortized: str | None = None, unit: str = "USD") -> dict[str, Any]:
    return {
        "Keys": keys,
        "Metrics": {
            "UnblendedCost": {"Amount": unblended, "Unit": unit},
            "AmortizedCost": {"Amount": amortized if amortized is not None else unblended, "Unit": unit},
        },
    }


def day_result(day: date, groups: list[dict[str, Any]], *, estimated: bool = False) -> dict[str, Any]:
    return {
        "TimePeriod": {"Start": day.isoformat(), "End": (day + timedelta(days=1)).isoformat()},
        "Total": {},
        "Groups": groups,
        "Estimated": estimated,
    }


def page(
    results: list[dict[str, Any]],
    *,
    token: str | None = None,
    second: dict[str, str] = SERVICE,
    names: dict[str, str] | None = None,
) -> dict[str, Any]:
    response: dict[str, Any] = {
        "GroupDefinitions": [ACCOUNT, second],
        "ResultsByTime": results,
        "DimensionValueAttributes": [
            {"Value": account, "Attributes": {"description": name}} for account, name in (names or {}).items()
        ],
    }
    if token:
        response["NextPageToken"] = token
    return response


def request(
    start: date, end: date, *, second: dict[str, str] = SERVICE, token: str | None = None
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "DAILY",
        "Metrics": ["UnblendedCost", "AmortizedCost"],
        "GroupBy": [ACCOUNT, second],
    }
    if token:
        params["NextPageToken"] = token
    return params


def tag(key: str) -> dict[str, str]:
    return {"Type": "TAG", "Key": key}


def ce_client() -> Any:
    # Dummy credentials: the Stubber answers before anything is signed or sent.
    return boto3.session.Session().client(
        "ce", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    client = ce_client()
    with Stubber(client) as stubber:
        yield client, stubber


@pytest.fixture
def aws_source(db) -> CostSource:
    from costdata.ingestion.services import source_create

    return source_create(name="Payer 1", kind=CostSource.Kind.AWS_COST_EXPLORER)


def finance_reader(username: str = "reader", password: str = "pw-reader-1"):
    """A user who is a finance business analyst: reads every source and cost (tests/security walks
    the narrower roles)."""
    from django.contrib.auth import get_user_model

    from stakeholders.models import Group, Role, Stakeholder

    user = get_user_model().objects.create_user(username, f"{username}@example.com", password)
    Stakeholder.objects.create(
        name=username.title(),
        email=f"{username}@example.com",
        group=Group.FINANCE,
        role=Role.BUSINESS_ANALYST,
        user=user,
    )
    return user


def decimal_sum(values: list[str]) -> Decimal:
    return sum((Decimal(v) for v in values), Decimal(0))


# Budget and variance fixtures (people, teams, ownership, a source): defined beside their helpers.
from tests.costdata.variance_fixtures import cost_source, org  # noqa: E402, F401
