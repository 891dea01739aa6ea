"""Unicode and HTML in the text fields of the main API payloads: kept as typed, shown escaped.

Markup is data: `<script>` in a name is stored verbatim and every page that shows it escapes it. A NUL
byte cannot be stored by Postgres and means nothing in a name: it is refused, naming the field.
"""

from __future__ import annotations

import pytest

from meetings.models import GlossaryTerm, Topic
from stakeholders.models import Stakeholder, Team

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
HOSTILE = [
    SCRIPT,
    "\u202eRTL override \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
    "Emoji \U0001f4b8\U0001f9d1\u200d\U0001f4bb and combining e\u0301",
    "Quotes ' \" & ampersands &amp; {{ template }} {% tag %}",
]


def _posted(api, url, payload):
    response = api.post(url, payload, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _shown_escaped(page: str, text: str) -> None:
    assert SCRIPT not in page, "raw markup reached the page"
    if text == SCRIPT:
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


@pytest.mark.parametrize("text", HOSTILE)
def test_a_topic_keeps_hostile_text_and_its_pages_escape_it(admin_api, admin_browser, text):
    body = _posted(
        admin_api, "/api/v1/topics/", {"name": text[:100], "owning_group": "finance", "description": text}
    )
    topic = Topic.objects.get(pk=body["id"])
    assert (topic.name, topic.description) == (text[:100], text)
    for url in ("/topics/", f"/topics/{topic.pk}/"):
        response = admin_browser.get(url)
        assert response.status_code == 200
        _shown_escaped(response.content.decode(), text)


@pytest.mark.parametrize("text", HOSTILE)
def test_a_team_and_a_person_keep_hostile_text_and_their_pages_escape_it(admin_api, admin_browser, text):
    team = _posted(admin_api, "/api/v1/teams/", {"name": text[:100], "kind": "team"})
    person = _posted(
        admin_api,
        "/api/v1/stakeholders/",
        {
            "name": text[:100],
            "email": "h@example.com",
            "group": "finance",
            "role": "financial_controller",
            "title": text[:100],
        },
    )
    assert Team.objects.get(pk=team["id"]).name == text[:100]
    assert Stakeholder.objects.get(pk=person["id"]).title == text[:100]
    for url in ("/teams/", "/people/", f"/people/{person['id']}/"):
        response = admin_browser.get(url)
        assert response.status_code == 200, url
        _shown_escaped(response.content.decode(), text)


@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        ("/api/v1/topics/", {"name": "a\x00b", "owning_group": "finance", "description": "d"}, "name"),
        ("/api/v1/topics/", {"name": "ok", "owning_group": "finance", "description": "d\x00"}, "description"),
        ("/api/v1/teams/", {"name": "\x00", "kind": "team"}, "name"),
        (
            "/api/v1/glossary-terms/",
            {"term": "NUL", "definition": "x\x00y"},
            "definition",
        ),
    ],
)
def test_a_nul_byte_is_refused_naming_the_field_and_nothing_is_written(admin_api, url, payload, field):
    counts = (Topic.objects.count(), Team.objects.count(), GlossaryTerm.objects.count())
    response = admin_api.post(url, payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert (Topic.objects.count(), Team.objects.count(), GlossaryTerm.objects.count()) == counts
