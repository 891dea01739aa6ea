"""The admin keeps a locked budget version read-only."""

from __future__ import annotations

from costdata.planning import services as budgets

CSV = b"scope_type,scope_value,month,amount,currency\norganisation,,2026-11,5,USD\n"


def test_a_locked_version_is_read_only_in_the_admin(client, org):
    version = budgets.budget_version_create(
        budget=budgets.budget_create(name="B", fiscal_year=2026), name="v"
    )
    budgets.budget_version_import(version=version, data=CSV, filename="b.csv")
    client.force_login(org["admin"])
    url = f"/admin/costdata/budgetversion/{version.pk}/change/"
    assert 'name="name"' in client.get(url).content.decode()
    budgets.budget_version_lock(version=version)
    page = client.get(url).content.decode()
    assert 'name="name"' not in page
    response = client.post(url, {"name": "changed"})
    assert response.status_code == 403
    version.refresh_from_db()
    assert version.name == "v"


def test_variances_are_listed_in_the_admin(client, org):
    client.force_login(org["admin"])
    assert client.get("/admin/costdata/variance/").status_code == 200
