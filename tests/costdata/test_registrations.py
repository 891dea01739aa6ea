"""costdata reports its accounts to the programme's readiness check."""

from __future__ import annotations

import pytest

from stakeholders.known_accounts import known_accounts

pytestmark = pytest.mark.django_db


def test_accounts_a_pull_reported_reach_the_readiness_check(demo_organisation):
    accounts = {account.account_id: account.name for account in known_accounts()}
    assert accounts["210987654321"] == "payments-prod"
    assert len(accounts) == 6


def test_the_demo_programme_owns_every_demo_account(client, demo_organisation):
    client.login(username="finance", password="correct-horse-battery-staple-42")
    body = client.get("/api/v1/readiness/").json()
    assert body["ready"] is True and body["findings"] == []
    accounts_check = next(check for check in body["checks"] if "account" in check["code"])
    assert accounts_check["ok"] is True and accounts_check["missing"] == []
    assert "No cloud accounts are known yet" not in client.get("/readiness/").content.decode()


def test_an_account_nobody_owns_is_reported(client, demo_organisation):
    from costdata.models import CloudAccount

    CloudAccount.objects.create(provider="AWS", account_id="999988887777", name="shadow-it")
    client.login(username="finance", password="correct-horse-battery-staple-42")
    page = client.get("/readiness/").content.decode()
    assert "999988887777" in page and "shadow-it" in page
    body = client.get("/api/v1/readiness/").json()
    assert body["ready"] is False
    accounts_check = next(check for check in body["checks"] if "account" in check["code"])
    assert accounts_check["ok"] is False
    assert "999988887777" in str(accounts_check["missing"])
