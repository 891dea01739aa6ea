from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_a_visitor_who_is_not_logged_in_gets_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get(response["Location"]).status_code == 200


def test_the_home_page_shows_the_organisation_the_last_pull_and_links_to_each_area(client, demo_organisation):
    client.login(username="finance", password="correct-horse-battery-staple-42")
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    run = demo_organisation.run
    assert "Demo Organisation" in html
    assert f"{run.rows_written} rows" in html
    assert "Demo AWS organisation" in html
    for url in ("/costs/sources/", "/people/", "/api/v1/docs/"):
        assert f'href="{url}"' in html
        assert client.get(url).status_code == 200
    assert "/admin/" not in html, "the admin link is for staff only"


def test_an_admin_also_gets_the_admin_link(client, demo_organisation):
    client.login(username="admin", password="correct-horse-battery-staple-42")
    assert 'href="/admin/"' in client.get("/").content.decode()


def test_with_no_pull_yet_the_home_page_says_so(client, django_user_model):
    django_user_model.objects.create_user("newcomer", password="a-long-enough-pass-1")
    client.login(username="newcomer", password="a-long-enough-pass-1")
    assert "No pull has succeeded yet" in client.get("/").content.decode()


def test_logging_out_ends_the_session(client, demo_organisation):
    client.login(username="finance", password="correct-horse-battery-staple-42")
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302
