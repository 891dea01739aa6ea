"""The role matrix, walked: every role against every page and API operation, inside and outside its scope.

Each case names a URL, a method and, per role, the outcome: "pass" (the role may: 2xx, 3xx, or a 400
for an incomplete form), "403" (the role may see the object but not do this) or "404" (the object is
invisible to the role). Lists must hold exactly the objects the role sees and aggregates must sum only
those rows. Every URL pattern and every operation of the OpenAPI schema must have a case here, so a new
endpoint cannot escape the matrix. Writes run inside a savepoint that is rolled back, so every case sees
the same organisation (tests/security/conftest.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from tests.security.conftest import PAY, PLATFORM, ROLES, SEARCH, World

pytestmark = pytest.mark.django_db

ADMIN, FINANCE, LEAD, BU, ENG, TP, NOBODY = ROLES
AF = {ADMIN, FINANCE}
AFT = AF | {LEAD}
INTERNAL = AFT | {BU, ENG}
COSTS = INTERNAL | {TP}

# What each role sees of the organisation (the spec, written out; not computed from the code).
VARIANCES_SEEN = {
    ADMIN: {"pay", "search", "platform", "org", "north"},
    FINANCE: {"pay", "search", "platform", "org", "north"},
    LEAD: {"pay", "search", "platform", "org", "north"},
    BU: {"pay", "org", "north"},
    ENG: {"pay"},
    TP: {"platform"},
    NOBODY: set(),
}
LINES_SEEN = {
    ADMIN: {"org", "pay", "search", "platform", "payments", "north", "south", "locked_org"},
    FINANCE: {"org", "pay", "search", "platform", "payments", "north", "south", "locked_org"},
    LEAD: {"org", "pay", "search", "platform", "payments", "north", "south", "locked_org"},
    BU: {"org", "pay", "payments", "north", "locked_org"},
    ENG: {"pay", "payments"},
}
ACCOUNTS_SEEN = {
    ADMIN: {PAY, SEARCH, PLATFORM},
    FINANCE: {PAY, SEARCH, PLATFORM},
    LEAD: {PAY, SEARCH, PLATFORM},
    BU: {PAY},
    ENG: {PAY},
    TP: {PLATFORM},
}
# Explaining: admins anywhere; technology leads for their teams and unowned scopes; engineers for their
# teams; third parties in their engagement's scopes.
EXPLAINS = {
    ADMIN: {"pay", "search", "platform", "org", "north"},
    LEAD: {"pay", "platform", "org"},
    ENG: {"pay"},
    TP: {"platform"},
}
# Commenting: finance, technology leads and admins anywhere; a business-unit owner on their unit's.
COMMENTS = {
    ADMIN: {"pay", "search", "platform", "org", "north"},
    FINANCE: {"pay", "search", "platform", "org", "north"},
    LEAD: {"pay", "search", "platform", "org", "north"},
    BU: {"pay", "org", "north"},
}
REASSIGNS = {ADMIN: {"pay", "search", "platform", "org", "north"}, LEAD: {"pay", "platform", "org"}}
# Meetings and action items: finance, technology leads and admins read them all; a business-unit owner and
# an engineer read the meetings they attend and their teams' cadences', the items they own and those raised
# at a meeting they read. "meeting" is attended by the engineer; "north" is the North unit's cadence's.
MEETINGS_SEEN = {
    ADMIN: {"meeting", "north"},
    FINANCE: {"meeting", "north"},
    LEAD: {"meeting", "north"},
    BU: {"north"},
    ENG: {"meeting"},
}
ACTION_ITEMS_SEEN = {
    ADMIN: {"engineer", "other", "north"},
    FINANCE: {"engineer", "other", "north"},
    LEAD: {"engineer", "other", "north"},
    BU: {"north"},
    ENG: {"engineer"},
}

Expect = dict[str, str]


def only(roles: set[str], otherwise: str = "403") -> Expect:
    return {role: "pass" if role in roles else otherwise for role in ROLES}


def on_variance(
    key: str, allowed: dict[str, set[str]] | set[str], *, section: set[str] = COSTS, outsider: str = "403"
) -> Expect:
    """Allowed where the rule says; 403 where the role sees the variance but may not; 404 where it does
    not see it; 403 for roles without the section at all."""
    expect = {}
    for role in ROLES:
        may = key in allowed.get(role, set()) if isinstance(allowed, dict) else role in allowed
        if role not in section:
            expect[role] = outsider
        elif key not in VARIANCES_SEEN[role]:
            expect[role] = "404"
        else:
            expect[role] = "pass" if may else "403"
    return expect


def on_meeting(key: str, allowed: set[str], *, seen: dict[str, set[str]] = MEETINGS_SEEN) -> Expect:
    """Allowed where the rule says; 403 where the role reads the meeting (or item) but may not do this;
    404 where it does not read it; 403 for roles outside the organisation."""
    expect = {}
    for role in ROLES:
        if role not in INTERNAL:
            expect[role] = "403"
        elif key not in seen[role]:
            expect[role] = "404"
        else:
            expect[role] = "pass" if role in allowed else "403"
    return expect


@dataclass(frozen=True)
class Case:
    surface: str  # "page" or "api"
    name: str  # URL name (pages) or schema path (API)
    method: str
    url: Callable[[World], str]
    expect: Expect
    data: Callable[[World], dict] | None = None
    listed: Callable[[World, str], set[int]] | None = None  # the ids the list must hold, per role
    shows: Callable[[World, str, Any], str | None] | None = None  # a problem with what a 200 holds


def page(name: str, method: str, url: Callable[[World], str], expect: Expect, data: Any = None) -> Case:
    return Case("page", name, method, url, expect, data)


def api(
    path: str,
    method: str,
    expect: Expect,
    url: Callable[[World], str] | None = None,
    data: Any = None,
    listed: Any = None,
) -> Case:
    return Case("api", path, method, url or (lambda w, p=path: "/api/v1" + p), expect, data, listed)


def obj(key: str) -> Callable[[World], int]:
    return lambda w: w.objects[key].pk


V = lambda key: lambda w: w.variances[key].pk  # noqa: E731


# --- pages ------------------------------------------------------------------------------------------

PAGES: list[Case] = [
    page("home", "get", lambda w: "/", only(set(ROLES))),
    page("account", "get", lambda w: "/account/", only(set(ROLES))),
    page("token-create", "post", lambda w: "/account/tokens/", only(set(ROLES)), lambda w: {"name": "ci"}),
    # Someone else's token is invisible: 404 for everyone.
    page(
        "token-revoke",
        "post",
        lambda w: f"/account/tokens/{w.objects['token'].pk}/revoke/",
        only(set(), "404"),
    ),
    # People
    page("stakeholder-list", "get", lambda w: "/people/", only(INTERNAL)),
    page("stakeholder-me", "get", lambda w: "/people/me/", only(set(ROLES))),
    page("stakeholder-create", "get", lambda w: "/people/new/", only(AF)),
    page("stakeholder-detail", "get", lambda w: f"/people/{w.people['finance'].pk}/", only(INTERNAL, "404")),
    page(
        "stakeholder-detail",
        "get",
        lambda w: f"/people/{w.people['thirdparty'].pk}/",
        only(INTERNAL | {TP}, "404"),
    ),
    page("stakeholder-edit", "get", lambda w: f"/people/{w.people['engineer'].pk}/edit/", only(AF)),
    page("stakeholder-set-active", "post", lambda w: f"/people/{w.people['engineer'].pk}/active/", only(AF)),
    page("team-list", "get", lambda w: "/teams/", only(INTERNAL)),
    page("team-create", "get", lambda w: "/teams/new/", only(AF)),
    page("team-detail", "get", lambda w: f"/teams/{w.teams['search'].pk}/", only(INTERNAL)),
    page("team-edit", "get", lambda w: f"/teams/{w.teams['search'].pk}/edit/", only(AF)),
    page("team-delete", "post", lambda w: f"/teams/{w.teams['south'].pk}/delete/", only(AF)),
    page("ownership-list", "get", lambda w: "/ownership/", only(INTERNAL)),
    page("ownership-create", "get", lambda w: "/ownership/new/", only(AFT)),
    page(
        "ownership-create",
        "post",
        lambda w: "/ownership/new/",
        only(AFT),
        lambda w: {
            "scope_kind": "account",
            "scope_value": "444444444444",
            "owner_team": w.teams["payments"].pk,
        },
    ),
    page(
        "ownership-create",
        "post",
        lambda w: "/ownership/new/",
        only(AF),
        lambda w: {
            "scope_kind": "account",
            "scope_value": "444444444444",
            "owner_team": w.teams["search"].pk,
        },
    ),
    page("ownership-edit", "get", lambda w: f"/ownership/{w.claims['payments'].pk}/", only(AFT)),
    page("ownership-edit", "get", lambda w: f"/ownership/{w.claims['search'].pk}/", only(AF)),
    page(
        "ownership-make-primary",
        "post",
        lambda w: f"/ownership/{w.claims['payments'].pk}/make-primary/",
        only(AFT),
    ),
    page(
        "ownership-make-primary",
        "post",
        lambda w: f"/ownership/{w.claims['search'].pk}/make-primary/",
        only(AF),
    ),
    page("ownership-delete", "post", lambda w: f"/ownership/{w.claims['payments'].pk}/delete/", only(AFT)),
    page("ownership-delete", "post", lambda w: f"/ownership/{w.claims['search'].pk}/delete/", only(AF)),
    page("engagement-list", "get", lambda w: "/engagements/", only(AFT)),
    page("engagement-create", "get", lambda w: "/engagements/new/", only(AF)),
    page("engagement-detail", "get", lambda w: f"/engagements/{w.objects['engagement'].pk}/", only(AFT)),
    page("engagement-detail", "post", lambda w: f"/engagements/{w.objects['engagement'].pk}/", only(AF)),
    page("engagement-edit", "get", lambda w: f"/engagements/{w.objects['engagement'].pk}/edit/", only(AF)),
    page(
        "saving-delete", "post", lambda w: f"/engagement-savings/{w.objects['saving'].pk}/delete/", only(AF)
    ),
    page("readiness", "get", lambda w: "/readiness/", only(AFT)),
    # Programme
    page("glossary-list", "get", lambda w: "/glossary/", only(INTERNAL)),
    page("glossary-create", "get", lambda w: "/glossary/new/", only(AF)),
    page("glossary-edit", "get", lambda w: f"/glossary/{w.objects['term'].slug}/edit/", only(AF)),
    page("topic-list", "get", lambda w: "/topics/", only(INTERNAL)),
    page("topic-create", "get", lambda w: "/topics/new/", only(AF)),
    page("topic-detail", "get", lambda w: f"/topics/{w.objects['topic'].pk}/", only(INTERNAL)),
    page("topic-edit", "get", lambda w: f"/topics/{w.objects['topic'].pk}/edit/", only(AF)),
    page("cadence-list", "get", lambda w: "/cadences/", only(INTERNAL)),
    page("cadence-create", "get", lambda w: "/cadences/new/", only(AFT)),
    page("cadence-detail", "get", lambda w: f"/cadences/{w.objects['cadence'].pk}/", only(INTERNAL)),
    page("cadence-edit", "get", lambda w: f"/cadences/{w.objects['cadence'].pk}/edit/", only(AFT)),
    page(
        "cadence-series-ics",
        "get",
        lambda w: f"/cadences/{w.objects['cadence'].pk}/series.ics",
        only(INTERNAL),
    ),
    page("meeting-list", "get", lambda w: "/meetings/", only(INTERNAL)),
    page("meeting-create", "get", lambda w: "/meetings/new/", only(AFT)),
    Case(
        "page",
        "meeting-detail",
        "get",
        lambda w: f"/meetings/{w.objects['meeting'].pk}/",
        on_meeting("meeting", INTERNAL),
        shows=lambda w, role, response: _search_variance_shown(role, response),
    ),
    page(
        "meeting-detail",
        "get",
        lambda w: f"/meetings/{w.objects['north_meeting'].pk}/",
        on_meeting("north", INTERNAL),
    ),
    page("meeting-edit", "get", lambda w: f"/meetings/{w.objects['meeting'].pk}/edit/", only(AFT)),
    page(
        "meeting-ics",
        "get",
        lambda w: f"/meetings/{w.objects['meeting'].pk}/meeting.ics",
        on_meeting("meeting", INTERNAL),
    ),
    page(
        "meeting-attendance", "post", lambda w: f"/meetings/{w.objects['meeting'].pk}/attendance/", only(AFT)
    ),
    page("meeting-minutes", "post", lambda w: f"/meetings/{w.objects['meeting'].pk}/minutes/", only(AFT)),
    page(
        "meeting-variance-decision",
        "post",
        lambda w: f"/costs/meetings/{w.objects['meeting'].pk}/variance-decision/",
        only(AFT),
        data=lambda w: {"variance": w.variances["pay"].pk, "text": "Keep it under watch"},
    ),
    page(
        "meeting-decision-add", "post", lambda w: f"/meetings/{w.objects['meeting'].pk}/decisions/", only(AFT)
    ),
    page(
        "meeting-action-add",
        "post",
        lambda w: f"/meetings/{w.objects['meeting'].pk}/action-items/",
        on_meeting("meeting", AFT),
        lambda w: {"title": "Follow up", "owner": w.people["search_engineer"].pk},
    ),
    page(
        "meeting-action-add",
        "post",
        lambda w: f"/meetings/{w.objects['meeting'].pk}/action-items/",
        on_meeting("meeting", AFT | {ENG}),
        lambda w: {"title": "Follow up", "owner": w.people["engineer"].pk},
    ),
    page("meeting-agenda-add", "post", lambda w: f"/meetings/{w.objects['meeting'].pk}/agenda/", only(AFT)),
    page(
        "meeting-agenda-rebuild",
        "post",
        lambda w: f"/meetings/{w.objects['meeting'].pk}/agenda/rebuild/",
        only(AFT),
    ),
    page(
        "meeting-agenda-send",
        "post",
        lambda w: f"/meetings/{w.objects['meeting'].pk}/agenda/send/",
        only(AFT),
    ),
    page(
        "meeting-agenda-item",
        "post",
        lambda w: f"/meetings/{w.objects['meeting'].pk}/agenda/{w.objects['agenda_item'].pk}/",
        only(AFT),
    ),
    page("meeting-status", "post", lambda w: f"/meetings/{w.objects['meeting'].pk}/status/", only(AFT)),
    page("action-item-list", "get", lambda w: "/action-items/", only(INTERNAL)),
    page("action-item-create", "get", lambda w: "/action-items/new/", only(INTERNAL)),
    page(
        "action-item-edit",
        "get",
        lambda w: f"/action-items/{w.items['other'].pk}/",
        on_meeting("other", INTERNAL, seen=ACTION_ITEMS_SEEN),
    ),
    page(
        "action-item-edit",
        "get",
        lambda w: f"/action-items/{w.items['north'].pk}/",
        on_meeting("north", INTERNAL, seen=ACTION_ITEMS_SEEN),
    ),
    page(
        "action-item-edit",
        "post",
        lambda w: f"/action-items/{w.items['engineer'].pk}/",
        on_meeting("engineer", AFT | {ENG}, seen=ACTION_ITEMS_SEEN),
        lambda w: {"title": "Tag the buckets", "owner": w.people["engineer"].pk, "status": "in_progress"},
    ),
    page(
        "action-item-edit",
        "post",
        lambda w: f"/action-items/{w.items['other'].pk}/",
        on_meeting("other", AFT, seen=ACTION_ITEMS_SEEN),
        lambda w: {"title": "Rightsize", "owner": w.people["search_engineer"].pk, "status": "in_progress"},
    ),
    page(
        "action-item-status",
        "post",
        lambda w: f"/action-items/{w.items['engineer'].pk}/status/",
        only(AFT | {ENG}),
        lambda w: {"status": "done"},
    ),
    page(
        "action-item-status",
        "post",
        lambda w: f"/action-items/{w.items['other'].pk}/status/",
        only(AFT),
        lambda w: {"status": "done"},
    ),
    page(
        "calendar-feed-create",
        "post",
        lambda w: "/calendar/feeds/new/",
        only(AFT | {ENG}),
        lambda w: {"stakeholder": w.people["engineer"].pk},
    ),
    page(
        "calendar-feed-create",
        "post",
        lambda w: "/calendar/feeds/new/",
        only(AFT),
        lambda w: {"cadence": w.objects["cadence"].pk},
    ),
    page(
        "calendar-feed-action",
        "post",
        lambda w: f"/calendar/feeds/{w.feeds['engineer'].pk}/revoke/",
        only(AFT | {ENG}),
    ),
    page(
        "calendar-feed-action",
        "post",
        lambda w: f"/calendar/feeds/{w.feeds['cadence'].pk}/revoke/",
        only(AFT),
    ),
    # A feed's secret address is its credential: it works for a calendar app with no session at all.
    page("calendar-feed", "get", lambda w: f"/calendar/{w.feed_tokens['engineer']}.ics", only(set(ROLES))),
    # Cost data
    page("source-list", "get", lambda w: "/costs/sources/", only(AFT)),
    page("source-detail", "get", lambda w: f"/costs/sources/{w.objects['source'].pk}/", only(AFT)),
    page("source-progress", "get", lambda w: f"/costs/sources/{w.objects['source'].pk}/progress/", only(AFT)),
    page("source-pull", "post", lambda w: f"/costs/sources/{w.objects['source'].pk}/pull/", only({ADMIN})),
    page(
        "source-import",
        "get",
        lambda w: f"/costs/sources/{w.objects['focus_source'].pk}/import/",
        only({ADMIN}),
    ),
    page("variance-list", "get", lambda w: "/costs/variances/", only(COSTS)),
    page("variance-detect", "post", lambda w: "/costs/variances/detect/", only(AF)),
    *[
        page(
            "variance-detail",
            "get",
            lambda w, k=k: f"/costs/variances/{w.variances[k].pk}/",
            on_variance(k, COSTS, outsider="404"),
        )
        for k in VARIANCES_SEEN[ADMIN]
    ],
    *[
        page(
            "variance-explain",
            "get",
            lambda w, k=k: f"/costs/variances/{w.variances[k].pk}/explain/",
            on_variance(k, EXPLAINS, outsider="404"),
        )
        for k in VARIANCES_SEEN[ADMIN]
    ],
    *[
        page(
            "variance-review",
            "post",
            lambda w, k=k: f"/costs/variances/{w.variances[k].pk}/review/",
            on_variance(k, AF, outsider="404"),
            lambda w: {"decision": "accept", "comment": "ok"},
        )
        for k in VARIANCES_SEEN[ADMIN]
    ],
    *[
        page(
            "variance-reassign",
            "post",
            lambda w, k=k: f"/costs/variances/{w.variances[k].pk}/reassign/",
            on_variance(k, REASSIGNS, outsider="404"),
            lambda w: {"team": w.teams["payments"].pk},
        )
        for k in VARIANCES_SEEN[ADMIN]
    ],
    *[
        page(
            "variance-comment",
            "post",
            lambda w, k=k: f"/costs/variances/{w.variances[k].pk}/comment/",
            on_variance(k, COMMENTS, outsider="404"),
            lambda w: {"comment": "Seen."},
        )
        for k in VARIANCES_SEEN[ADMIN]
    ],
    page("budget-list", "get", lambda w: "/costs/budgets/", only(INTERNAL)),
    page("budget-list", "post", lambda w: "/costs/budgets/", only(AF)),
    page("budget-detail", "get", lambda w: f"/costs/budgets/{w.objects['budget'].pk}/", only(INTERNAL)),
    page("budget-detail", "post", lambda w: f"/costs/budgets/{w.objects['budget'].pk}/", only(AF)),
    page(
        "budget-version-detail",
        "get",
        lambda w: f"/costs/budgets/versions/{w.objects['version'].pk}/",
        only(INTERNAL),
    ),
    page(
        "budget-version-import",
        "post",
        lambda w: f"/costs/budgets/versions/{w.objects['version'].pk}/import/",
        only(AF),
    ),
    page(
        "budget-version-export",
        "get",
        lambda w: f"/costs/budgets/versions/{w.objects['version'].pk}/export.csv",
        only(INTERNAL),
    ),
    page(
        "budget-version-lock",
        "post",
        lambda w: f"/costs/budgets/versions/{w.objects['version'].pk}/lock/",
        only(AF),
    ),
    page(
        "budget-version-activate",
        "post",
        lambda w: f"/costs/budgets/versions/{w.objects['version'].pk}/activate/",
        only(AF),
    ),
    # The overview's movers-by-account table as CSV: the same view, and an aggregate to check.
    Case(
        "page",
        "dashboard-overview",
        "get",
        lambda w: "/dashboards/?period=2026-10&csv=movers-account",
        only(COSTS),
        shows=lambda w, role, response: _accounts_in_csv(response, role),
    ),
    page("dashboard-commitments", "get", lambda w: "/dashboards/commitments/", only(AFT)),
    page(
        "dashboard-scope",
        "get",
        lambda w: f"/dashboards/scope/account/{PAY}/?period=2026-10",
        only(AFT | {BU, ENG}, "404"),
    ),
    page(
        "dashboard-scope",
        "get",
        lambda w: f"/dashboards/scope/account/{PLATFORM}/?period=2026-10",
        only(AFT | {TP}, "404"),
    ),
    page(
        "dashboard-scope",
        "get",
        lambda w: f"/dashboards/scope/team/{w.teams['search'].pk}/?period=2026-10",
        only(AFT, "404"),
    ),
    page(
        "dashboard-scope",
        "get",
        lambda w: f"/dashboards/scope/business_unit/{w.teams['north'].pk}/?period=2026-10",
        only(AFT | {BU}, "404"),
    ),
    page("review-pack-list", "get", lambda w: "/dashboards/review-packs/", only(AFT)),
    page(
        "review-pack-detail", "get", lambda w: f"/dashboards/review-packs/{w.objects['pack'].pk}/", only(AFT)
    ),
    page(
        "review-pack-xlsx",
        "get",
        lambda w: f"/dashboards/review-packs/{w.objects['pack'].pk}/xlsx/",
        only(AFT),
    ),
    page(
        "review-pack-csv",
        "get",
        lambda w: f"/dashboards/review-packs/{w.objects['pack'].pk}/csv/summary/",
        only(AFT),
    ),
    page(
        "review-pack-create",
        "post",
        lambda w: f"/dashboards/meetings/{w.objects['meeting'].pk}/review-packs/",
        only(AFT),
        lambda w: {"period": "2026-10"},
    ),
    page("audit-list", "get", lambda w: "/audit/", only(AF, "404")),
    # Django admin: staff only (everyone else is sent to the login page).
    page("admin", "get", lambda w: "/admin/", {r: "pass" if r == ADMIN else "login" for r in ROLES}),
]

# Pages outside the matrix, each with its reason.
PUBLIC_PAGES = {
    "healthz": "the load balancer's probe: no data",
    "": "favicon.ico redirects to a static file",
    "login": "the sign-in form",
    "admin-login": "the admin's sign-in form (staff only, counted as every sign-in is)",
    "logout": "signing out",
    "schema": "the OpenAPI document, the same for any signed-in account (anonymous: refused)",
    "api-docs": "the API browser over the schema, the same for any signed-in account",
}


# --- API --------------------------------------------------------------------------------------------


def ids(*keys: str) -> Callable[[World, str], set[int]]:
    return lambda w, role: {_lookup(w, k).pk for k in keys}


def _lookup(w: World, key: str) -> Any:
    group, _, name = key.partition(":")
    return getattr(w, group)[name]


def people_listed(w: World, role: str) -> set[int]:
    from stakeholders.models import Stakeholder

    if role in INTERNAL:
        return set(Stakeholder.objects.values_list("pk", flat=True))
    return {w.people["thirdparty"].pk} if role == TP else set()


def listed_if(roles: set[str], every: Callable[[World], set[int]]) -> Callable[[World, str], set[int]]:
    return lambda w, role: every(w) if role in roles else set()


def all_of(model_path: str) -> Callable[[World], set[int]]:
    def every(w: World) -> set[int]:
        from django.apps import apps

        return set(apps.get_model(model_path).objects.values_list("pk", flat=True))

    return every


def variances_listed(w: World, role: str) -> set[int]:
    return {w.variances[k].pk for k in VARIANCES_SEEN[role]}


def lines_listed(w: World, role: str) -> set[int]:
    from costdata.models import BudgetLine

    if role in AFT:
        return set(BudgetLine.objects.values_list("pk", flat=True))
    return {w.lines[k].pk for k in LINES_SEEN.get(role, set())}


def feeds_listed(w: World, role: str) -> set[int]:
    if role in AFT:
        return {w.feeds["engineer"].pk, w.feeds["cadence"].pk}
    return {w.feeds["engineer"].pk} if role == ENG else set()


def explanations_listed(w: World, role: str) -> set[int]:
    return {w.objects["explanation"].pk} if "search" in VARIANCES_SEEN[role] else set()


def url(template: str, key: Callable[[World], Any]) -> Callable[[World], str]:
    return lambda w: "/api/v1" + template.replace("{id}", str(key(w)))


def _meetings_seen(w: World, role: str) -> list[Any]:
    return [
        w.objects["north_meeting" if key == "north" else "meeting"] for key in MEETINGS_SEEN.get(role, ())
    ]


def meetings_listed(w: World, role: str) -> set[int]:
    return {meeting.pk for meeting in _meetings_seen(w, role)}


def records_listed(model_path: str) -> Callable[[World, str], set[int]]:
    """A meeting's records (attendance, agenda items, decisions): those of the meetings the role reads."""

    def listed(w: World, role: str) -> set[int]:
        from django.apps import apps

        rows = apps.get_model(model_path).objects.filter(meeting__in=_meetings_seen(w, role))
        return set(rows.values_list("pk", flat=True))

    return listed


def action_items_listed(w: World, role: str) -> set[int]:
    return {w.items[key].pk for key in ACTION_ITEMS_SEEN.get(role, ())}


def meeting_records(path: str, key: str, model_path: str, *, methods: tuple[str, ...]) -> list[Case]:
    """A meeting's record: listed as its meeting is read, read where the meeting is, written by AFT."""
    detail = path + "{id}/"
    return [
        api(path, "get", only(INTERNAL), listed=records_listed(model_path)),
        api(detail, "get", on_meeting("meeting", INTERNAL), url=url(detail, obj(key))),
        *crud(path, obj(key), read=INTERNAL, write=AFT, methods=methods),
    ]


def _search_variance_shown(role: str, response: Any) -> str | None:
    """The Search team's variance is on the engineer's meeting's agenda: its scope, figures and
    explanation reach only the roles that see the variance."""
    from tests.security.conftest import SEARCH

    text = response.content.decode()
    shown = [marker for marker in ("More searches.", "against 5.00", SEARCH) if marker in text]
    if "search" in VARIANCES_SEEN[role]:
        return None if len(shown) == 3 else f"misses the Search variance's figures (shows {shown})"
    return f"shows the Search variance's {shown}" if shown else None


def crud(
    path: str,
    key: Callable[[World], Any],
    *,
    read: set[str],
    write: set[str],
    listed: Any = None,
    methods: tuple[str, ...] = ("get", "post", "put", "patch", "delete"),
    hidden: str = "403",
) -> list[Case]:
    """A plain resource: the list and create at path, the object at path{id}/."""
    detail = path + "{id}/"
    cases = []
    if "get" in methods:
        cases.append(api(path, "get", only(read), listed=listed))
        cases.append(api(detail, "get", only(read, hidden), url=url(detail, key)))
    if "post" in methods:
        cases.append(api(path, "post", only(write)))
    for method in ("put", "patch", "delete"):
        if method in methods:
            cases.append(api(detail, method, only(write), url=url(detail, key)))
    return cases


every_role = set(ROLES)
people = lambda w: w.people["finance"].pk  # noqa: E731

API: list[Case] = [
    # People: everyone signed in may ask; the organisation reads (a third party sees itself only).
    api("/stakeholders/", "get", only(every_role), listed=people_listed),
    api("/stakeholders/", "post", only(AF)),
    api("/stakeholders/{id}/", "get", only(INTERNAL, "404"), url=url("/stakeholders/{id}/", people)),
    api(
        "/stakeholders/{id}/",
        "get",
        only(INTERNAL | {TP}, "404"),
        url=url("/stakeholders/{id}/", lambda w: w.people["thirdparty"].pk),
    ),
    *[
        api("/stakeholders/{id}/", m, only(AF), url=url("/stakeholders/{id}/", people))
        for m in ("put", "patch", "delete")
    ],
    api(
        "/stakeholders/{id}/reactivate/", "post", only(AF), url=url("/stakeholders/{id}/reactivate/", people)
    ),
    api("/teams/", "get", only(every_role), listed=listed_if(INTERNAL, all_of("stakeholders.Team"))),
    api("/teams/", "post", only(AF)),
    api(
        "/teams/{id}/", "get", only(INTERNAL, "404"), url=url("/teams/{id}/", lambda w: w.teams["search"].pk)
    ),
    *[
        api("/teams/{id}/", m, only(AF), url=url("/teams/{id}/", lambda w: w.teams["south"].pk))
        for m in ("put", "patch", "delete")
    ],
    api(
        "/ownerships/", "get", only(every_role), listed=listed_if(INTERNAL, all_of("stakeholders.Ownership"))
    ),
    api(
        "/ownerships/",
        "post",
        only(AFT),
        data=lambda w: {
            "scope_kind": "account",
            "scope_value": "444444444444",
            "owner_team": w.teams["payments"].pk,
        },
    ),
    api(
        "/ownerships/",
        "post",
        only(AF),
        data=lambda w: {
            "scope_kind": "account",
            "scope_value": "444444444444",
            "owner_team": w.teams["search"].pk,
        },
    ),
    api(
        "/ownerships/{id}/",
        "get",
        only(INTERNAL, "404"),
        url=url("/ownerships/{id}/", lambda w: w.claims["search"].pk),
    ),
    *[
        api(
            "/ownerships/{id}/",
            m,
            only(AFT),
            url=url("/ownerships/{id}/", lambda w: w.claims["payments"].pk),
            data=lambda w: {"note": "ours"},
        )
        for m in ("put", "patch", "delete")
    ],
    *[
        api(
            "/ownerships/{id}/",
            m,
            only(AF),
            url=url("/ownerships/{id}/", lambda w: w.claims["search"].pk),
            data=lambda w: {"note": "theirs"},
        )
        for m in ("put", "patch", "delete")
    ],
    api(
        "/ownerships/{id}/make-primary/",
        "post",
        only(AFT),
        url=url("/ownerships/{id}/make-primary/", lambda w: w.claims["payments"].pk),
    ),
    api(
        "/ownerships/{id}/make-primary/",
        "post",
        only(AF),
        url=url("/ownerships/{id}/make-primary/", lambda w: w.claims["search"].pk),
    ),
    api(
        "/ownerships/resolve/",
        "get",
        only(INTERNAL),
        url=lambda w: f"/api/v1/ownerships/resolve/?account_id={PAY}",
    ),
    api("/engagements/", "get", only(every_role), listed=listed_if(AFT, all_of("stakeholders.Engagement"))),
    api("/engagements/", "post", only(AF)),
    api("/engagements/{id}/", "get", only(AFT, "404"), url=url("/engagements/{id}/", obj("engagement"))),
    *[
        api("/engagements/{id}/", m, only(AF), url=url("/engagements/{id}/", obj("engagement")))
        for m in ("put", "patch")
    ],
    api(
        "/engagement-savings/",
        "get",
        only(every_role),
        listed=listed_if(AFT, all_of("stakeholders.AttributedSaving")),
    ),
    api("/engagement-savings/", "post", only(AF)),
    api(
        "/engagement-savings/{id}/",
        "get",
        only(AFT, "404"),
        url=url("/engagement-savings/{id}/", obj("saving")),
    ),
    api("/engagement-savings/{id}/", "delete", only(AF), url=url("/engagement-savings/{id}/", obj("saving"))),
    api("/readiness/", "get", only(AFT)),
    # Programme: the organisation reads; finance keeps topics and glossary; leads run meetings.
    *crud("/glossary-terms/", obj("term"), read=INTERNAL, write=AF),
    *crud("/topics/", obj("topic"), read=INTERNAL, write=AF),
    *crud("/cadences/", obj("cadence"), read=INTERNAL, write=AFT),
    api(
        "/cadences/{id}/materialise/",
        "post",
        only(AFT),
        url=url("/cadences/{id}/materialise/", obj("cadence")),
    ),
    # Meetings, their records and action items: listed and shown as the role reads them (MEETINGS_SEEN).
    api("/meetings/", "get", only(INTERNAL), listed=meetings_listed),
    api(
        "/meetings/{id}/", "get", on_meeting("meeting", INTERNAL), url=url("/meetings/{id}/", obj("meeting"))
    ),
    api(
        "/meetings/{id}/",
        "get",
        on_meeting("north", INTERNAL),
        url=url("/meetings/{id}/", obj("north_meeting")),
    ),
    *crud("/meetings/", obj("meeting"), read=INTERNAL, write=AFT, methods=("post", "put", "patch", "delete")),
    api(
        "/meetings/{id}/build-agenda/",
        "post",
        only(AFT),
        url=url("/meetings/{id}/build-agenda/", obj("meeting")),
    ),
    api(
        "/meetings/{id}/send-agenda/",
        "post",
        only(AFT),
        url=url("/meetings/{id}/send-agenda/", obj("meeting")),
    ),
    api(
        "/meetings/{id}/ics/",
        "get",
        on_meeting("meeting", INTERNAL),
        url=url("/meetings/{id}/ics/", obj("meeting")),
    ),
    *meeting_records("/attendances/", "attendance", "meetings.Attendance", methods=("post", "put", "patch")),
    *meeting_records(
        "/agenda-items/", "agenda_item", "meetings.AgendaItem", methods=("post", "put", "patch", "delete")
    ),
    # A cost item of a meeting the role reads is listed, but its variance's figures only where it sees it.
    Case(
        "api",
        "/agenda-items/",
        "get",
        lambda w: "/api/v1/agenda-items/",
        only(INTERNAL),
        shows=lambda w, role, r: _search_variance_shown(role, r),
    ),
    *meeting_records("/decisions/", "decision", "meetings.Decision", methods=("post", "delete")),
    api("/action-items/", "get", only(INTERNAL), listed=action_items_listed),
    api(
        "/action-items/",
        "post",
        only(INTERNAL),
        data=lambda w: {"title": "Mine", "owner": w.people["engineer"].pk},
    ),
    *[
        api(
            "/action-items/{id}/",
            "get",
            on_meeting(key, INTERNAL, seen=ACTION_ITEMS_SEEN),
            url=url("/action-items/{id}/", lambda w, key=key: w.items[key].pk),
        )
        for key in ("other", "north")
    ],
    *[
        api(
            "/action-items/{id}/",
            m,
            on_meeting("engineer", AFT | {ENG}, seen=ACTION_ITEMS_SEEN),
            url=url("/action-items/{id}/", lambda w: w.items["engineer"].pk),
            data=lambda w: {"title": "Tag the buckets", "owner": w.people["engineer"].pk, "status": "done"},
        )
        for m in ("put", "patch")
    ],
    api(
        "/action-items/{id}/",
        "delete",
        on_meeting("engineer", AFT, seen=ACTION_ITEMS_SEEN),
        url=url("/action-items/{id}/", lambda w: w.items["engineer"].pk),
    ),
    api("/calendar-feeds/", "get", only(INTERNAL), listed=feeds_listed),
    api("/calendar-feeds/", "post", only(INTERNAL)),
    api(
        "/calendar-feeds/{id}/",
        "get",
        {**only(AFT | {ENG}, "404"), TP: "403", NOBODY: "403"},
        url=url("/calendar-feeds/{id}/", lambda w: w.feeds["engineer"].pk),
    ),
    *[
        api(
            f"/calendar-feeds/{{id}}/{verb}/",
            "post",
            {**only(AFT | {ENG}, "404"), TP: "403", NOBODY: "403"},
            url=url(f"/calendar-feeds/{{id}}/{verb}/", lambda w: w.feeds["engineer"].pk),
        )
        for verb in ("revoke", "rotate")
    ],
    # The audit trail: admins and finance; anyone else is told it does not exist.
    api("/audit/", "get", only(AF, "404")),
    # Cost data
    api("/sources/", "get", only(AFT)),
    api("/sources/", "post", only({ADMIN})),
    api("/sources/{id}/", "get", only(AFT), url=url("/sources/{id}/", obj("source"))),
    api("/sources/{id}/pull/", "post", only({ADMIN}), url=url("/sources/{id}/pull/", obj("source"))),
    api("/sources/{id}/runs/", "get", only(AFT), url=url("/sources/{id}/runs/", obj("source"))),
    api("/runs/", "get", only(AFT)),
    api("/runs/{id}/", "get", only(AFT), url=url("/runs/{id}/", obj("run"))),
    api(
        "/costs/",
        "get",
        only(COSTS),
        url=lambda w: "/api/v1/costs/?start=2026-10-01&end=2026-11-01&group_by=account",
    ),
    api(
        "/forecasts/",
        "get",
        only(COSTS, "403") | {BU: "pass", ENG: "pass", TP: "404"},
        url=lambda w: f"/api/v1/forecasts/?scope_type=account&scope_value={PAY}&month=2026-10",
    ),
    api("/budgets/", "get", only(INTERNAL), listed=listed_if(INTERNAL, all_of("costdata.Budget"))),
    api("/budgets/", "post", only(AF)),
    api("/budgets/{id}/", "get", only(INTERNAL), url=url("/budgets/{id}/", obj("budget"))),
    api(
        "/budget-versions/",
        "get",
        only(INTERNAL),
        listed=listed_if(INTERNAL, all_of("costdata.BudgetVersion")),
    ),
    api("/budget-versions/", "post", only(AF)),
    api("/budget-versions/{id}/", "get", only(INTERNAL), url=url("/budget-versions/{id}/", obj("version"))),
    *[
        api(
            f"/budget-versions/{{id}}/{verb}/",
            "post",
            only(AF),
            url=url(f"/budget-versions/{{id}}/{verb}/", obj("version")),
        )
        for verb in ("activate", "lock", "import")
    ],
    api(
        "/budget-versions/{id}/export/",
        "get",
        only(INTERNAL),
        url=url("/budget-versions/{id}/export/", obj("version")),
    ),
    api("/budget-lines/", "get", only(INTERNAL), listed=lines_listed),
    api("/budget-lines/", "post", only(AF)),
    api(
        "/budget-lines/{id}/",
        "get",
        only(INTERNAL),
        url=url("/budget-lines/{id}/", lambda w: w.lines["pay"].pk),
    ),
    api(
        "/budget-lines/{id}/",
        "get",
        only(AFT) | {BU: "404", ENG: "404"},
        url=url("/budget-lines/{id}/", lambda w: w.lines["search"].pk),
    ),
    *[
        api(
            "/budget-lines/{id}/",
            m,
            only(AF),
            url=url("/budget-lines/{id}/", lambda w: w.lines["search"].pk),
            data=lambda w: {"amount": "5"},
        )
        for m in ("put", "delete")
    ],
    api("/variances/", "get", only(COSTS), listed=variances_listed),
    *[
        api("/variances/{id}/", "get", on_variance(k, COSTS), url=url("/variances/{id}/", V(k)))
        for k in VARIANCES_SEEN[ADMIN]
    ],
    *[
        api(
            f"/variances/{{id}}/{verb}/",
            "post",
            on_variance(k, AF),
            url=url(f"/variances/{{id}}/{verb}/", V(k)),
            data=lambda w: {"comment": "why"},
        )
        for verb in ("accept", "send-back", "close")
        for k in VARIANCES_SEEN[ADMIN]
    ],
    *[
        api(
            "/variances/{id}/reassign/",
            "post",
            on_variance(k, REASSIGNS),
            url=url("/variances/{id}/reassign/", V(k)),
            data=lambda w: {"team": w.teams["payments"].pk},
        )
        for k in VARIANCES_SEEN[ADMIN]
    ],
    *[
        api(
            "/variances/{id}/decisions/",
            "post",
            on_variance(k, AFT),
            url=url("/variances/{id}/decisions/", V(k)),
            data=lambda w: {"meeting": w.objects["meeting"].pk, "text": "Agreed."},
        )
        for k in VARIANCES_SEEN[ADMIN]
    ],
    *[
        api(
            "/variances/{id}/comment/",
            "post",
            on_variance(k, COMMENTS),
            url=url("/variances/{id}/comment/", V(k)),
            data=lambda w: {"comment": "Seen."},
        )
        for k in VARIANCES_SEEN[ADMIN]
    ],
    api("/variances/detect/", "post", only(AF)),
    api("/explanations/", "get", only(COSTS), listed=explanations_listed),
    *[
        api(
            "/explanations/",
            "post",
            # A variance the role cannot see is, in a request body, a pk that does not exist: 400.
            {r: "400" if o == "404" else o for r, o in on_variance(k, EXPLAINS).items()},
            data=lambda w, k=k: {
                "variance": w.variances[k].pk,
                "category": "usage_growth",
                "narrative": "Traffic grew.",
                "expected_duration": "ongoing",
            },
        )
        for k in ("pay", "platform", "search")
    ],
    api(
        "/explanations/{id}/",
        "get",
        on_variance("search", COSTS),
        url=url("/explanations/{id}/", obj("explanation")),
    ),
]


def _accounts_in_csv(response: Any, role: str) -> str | None:
    from tests.security.conftest import AMOUNTS

    table = list(csv.DictReader(io.StringIO(response.content.decode())))
    labels = {row[next(iter(row))] for row in table}
    shown = {account for account in AMOUNTS if any(account in label for label in labels)}
    if shown != ACCOUNTS_SEEN[role]:
        return f"shows accounts {sorted(shown)}, want {sorted(ACCOUNTS_SEEN[role])}"
    return None


# --- running a case ---------------------------------------------------------------------------------


def _outcome(response: Any) -> str:
    code = response.status_code
    if code == 302 and "login/" in response.get("Location", ""):
        return "login"
    if code in (403, 404):
        return str(code)
    if code == 400 and getattr(response, "_matrix_exact_400", False):
        return "400"
    if code < 400 or code == 400:
        return "pass"
    return str(code)


def _request(client: Any, case: Case, world: World) -> Any:
    data = case.data(world) if case.data else {}
    path = case.url(world)
    if case.surface == "api":
        return getattr(client, case.method)(path, data, format="json")
    return getattr(client, case.method)(path, data)


def _body_ids(response: Any) -> set[int]:
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    return {row["id"] for row in rows}


def _add_extras(world: World) -> None:
    """Objects some cases need that the organisation builder leaves out."""
    from common import services as account_services
    from costdata.models import IngestionRun

    world.objects["run"] = IngestionRun.objects.create(source=world.objects["source"], status="succeeded")
    stranger = get_user_model().objects.create_user(
        "matrix-stranger", "stranger@example.com", "x-long-pass-1"
    )
    world.objects["token"] = account_services.api_token_create(user=stranger, name="someone else's").token
    _add_meeting_extras(world)


def _add_meeting_extras(world: World) -> None:
    """The North unit's cadence with a meeting and an action item raised there, and a cost item (the
    Search team's variance, as its provider stores it: a reference) on the engineer's meeting."""
    from datetime import date, datetime, time

    from django.utils import timezone

    from meetings.models import ActionItem, AgendaItem, Cadence, Meeting

    north = Cadence.objects.create(
        name="North review",
        rrule="FREQ=MONTHLY;BYMONTHDAY=2",
        starts_on=date(2026, 1, 2),
        start_time=time(10),
        scope_team=world.teams["north"],
    )
    world.objects["north_meeting"] = meeting = Meeting.objects.create(
        title="North review", starts_at=timezone.make_aware(datetime(2026, 12, 2, 10, 0)), cadence=north
    )
    world.items["north"] = ActionItem.objects.create(
        title="Ask the unit", owner=world.people["search_engineer"], origin_meeting=meeting
    )
    search = world.variances["search"]
    world.objects["cost_item"] = AgendaItem.objects.create(
        meeting=world.objects["meeting"],
        position=2,
        key=f"variances:{search.pk}",
        source="variances",
        title=f"Variance awaiting review (#{search.pk})",
        url=search.get_absolute_url(),
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_role_gets_exactly_what_the_matrix_allows(world, role):
    _add_extras(world)
    user = world.users[role]
    pages, rest = Client(), APIClient()
    pages.force_login(user)
    rest.force_authenticate(user)
    problems = []
    for case in [*PAGES, *API]:
        with transaction.atomic():
            response = _request(pages if case.surface == "page" else rest, case, world)
            got, wanted = _outcome(response), case.expect[role]
            if case.expect[role] == "400" and response.status_code == 400:
                got = "400"
            if got != wanted:
                problems.append(
                    f"{case.method.upper()} {case.url(world)}: got {response.status_code} ({got}), want {wanted}"
                )
            elif case.shows is not None and response.status_code == 200:
                if problem := case.shows(world, role, response):
                    problems.append(f"GET {case.url(world)}: {problem}")
            elif case.listed is not None and response.status_code == 200:
                seen, expected = _body_ids(response), case.listed(world, role)
                if seen != expected:
                    problems.append(f"GET {case.url(world)} lists {sorted(seen)}, want {sorted(expected)}")
            transaction.set_rollback(True)
    assert not problems, f"{role}: " + "\n".join(problems)


# --- aggregates, exports and feeds ------------------------------------------------------------------


def _api_client(world: World, role: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(world.users[role])
    return client


@pytest.mark.parametrize("role", sorted(ACCOUNTS_SEEN))
@pytest.mark.parametrize("query", ["start=2026-10-01&end=2026-11-01", "start=2026-10-05&end=2026-10-06"])
def test_the_costs_api_sums_only_the_rows_the_role_sees(world, role, query):
    from tests.security.conftest import AMOUNTS

    response = _api_client(world, role).get(f"/api/v1/costs/?{query}&group_by=account")
    assert response.status_code == 200
    rows = response.json()["results"] if "results" in response.json() else response.json()
    assert {row["account"]: Decimal(row["amount"]) for row in rows} == {
        account: AMOUNTS[account] for account in ACCOUNTS_SEEN[role]
    }
    total = _api_client(world, role).get(f"/api/v1/costs/?{query}").json()
    total_rows = total["results"] if "results" in total else total
    assert sum(Decimal(r["amount"]) for r in total_rows) == sum(AMOUNTS[a] for a in ACCOUNTS_SEEN[role])


@pytest.mark.parametrize("role", sorted(LINES_SEEN))
@pytest.mark.parametrize("where", ["page", "api"])
def test_a_budget_export_holds_only_the_lines_the_role_sees(world, client, role, where):
    version = world.objects["version"]
    if where == "page":
        client.force_login(world.users[role])
        response = client.get(f"/costs/budgets/versions/{version.pk}/export.csv")
    else:
        response = _api_client(world, role).get(f"/api/v1/budget-versions/{version.pk}/export/?kind=csv")
    assert response.status_code == 200
    text = response.content.decode()
    scopes = {
        "org": "organisation",
        "pay": PAY,
        "search": SEARCH,
        "platform": PLATFORM,
        "payments": "Payments",
        "north": "North",
        "south": "South",
    }
    present = {key for key, marker in scopes.items() if marker in text}
    assert present == LINES_SEEN[role] - {"locked_org"}  # the export is of the open version


@pytest.mark.parametrize("role", sorted(VARIANCES_SEEN))
def test_the_variance_list_page_links_only_the_variances_the_role_sees(world, client, role):
    client.force_login(world.users[role])
    response = client.get("/costs/variances/")
    if role == NOBODY:
        assert response.status_code == 403
        return
    html = response.content.decode()
    linked = {k for k, v in world.variances.items() if f"/costs/variances/{v.pk}/" in html}
    assert linked == VARIANCES_SEEN[role]


@pytest.mark.parametrize("role", sorted(VARIANCES_SEEN))
def test_the_variance_csv_holds_only_the_variances_the_role_sees(world, client, role):
    client.force_login(world.users[role])
    response = client.get("/costs/variances/", {"export": "csv"})
    if role == NOBODY:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    body = response.streaming_content if response.streaming else [response.content]
    text = b"".join(body).decode("utf-8-sig")
    listed = {k for k, v in world.variances.items() if f"/costs/variances/{v.pk}/" in text}
    assert listed == VARIANCES_SEEN[role]


@pytest.mark.parametrize("role", sorted(LINES_SEEN))
def test_the_budget_version_page_shows_only_the_lines_the_role_sees(world, client, role):
    client.force_login(world.users[role])
    html = client.get(f"/costs/budgets/versions/{world.objects['version'].pk}/").content.decode()
    assert (SEARCH in html) == ("search" in LINES_SEEN[role])
    assert (PLATFORM in html) == ("platform" in LINES_SEEN[role])
    assert (PAY in html) == ("pay" in LINES_SEEN[role])


def test_a_third_party_cannot_file_an_explanation_outside_its_engagement(world):
    from costdata.models import Explanation

    before = Explanation.objects.count()
    response = _api_client(world, TP).post(
        "/api/v1/explanations/",
        {
            "variance": world.variances["search"].pk,
            "category": "usage_growth",
            "narrative": "Not ours.",
            "expected_duration": "ongoing",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "variance" in response.json()
    assert Explanation.objects.count() == before


def test_a_personal_calendar_feed_lists_the_meetings_of_its_person_only(world, client):
    response = client.get(f"/calendar/{world.feed_tokens['engineer']}.ics")
    assert response.status_code == 200
    assert b"BEGIN:VCALENDAR" in response.content
    assert client.get("/calendar/not-a-token.ics").status_code == 404


# --- nothing escapes the matrix ---------------------------------------------------------------------


def _page_names(patterns: list, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in ("admin", "api"):
                names.add(pattern.namespace)
                continue
            names |= _page_names(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            names.add(pattern.name or "")
    return names


def test_every_page_has_a_place_in_the_matrix():
    covered = {case.name for case in PAGES} | set(PUBLIC_PAGES) | {"api"}
    assert _page_names(get_resolver().url_patterns) == covered


def test_every_api_operation_has_a_place_in_the_matrix():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {
        (path.removeprefix("/api/v1"), method)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    covered = {(case.name, case.method) for case in API}
    assert operations == covered


def test_every_case_names_an_outcome_for_every_role():
    for case in [*PAGES, *API]:
        assert set(case.expect) == set(ROLES), case


def test_the_readme_table_is_the_matrix_in_the_code():
    from pathlib import Path

    from partnership.access import matrix_markdown

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Who may do what", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("|"))
    assert table == matrix_markdown()


def test_a_business_unit_owner_comments_on_their_units_variance_and_the_timeline_keeps_it(world):
    from costdata.models import VarianceTransition

    variance = world.variances["north"]
    response = _api_client(world, BU).post(
        f"/api/v1/variances/{variance.pk}/comment/", {"comment": "Marketing launch."}, format="json"
    )
    assert response.status_code == 201
    row = VarianceTransition.objects.get(variance=variance, action="comment")
    assert (row.comment, row.actor, row.from_status, row.to_status) == (
        "Marketing launch.",
        world.users[BU],
        "assigned",
        "assigned",
    )
    refused = _api_client(world, ENG).post(
        f"/api/v1/variances/{world.variances['pay'].pk}/comment/", {"comment": "x"}, format="json"
    )
    assert refused.status_code == 403


# --- inline histories ----------------------------------------------------------------------------------
HISTORY_PAGES = {
    "team": lambda w: f"/teams/{w.teams['payments'].pk}/",
    "meeting": lambda w: f"/meetings/{w.objects['meeting'].pk}/",
    "ownership": lambda w: f"/ownership/{w.claims['payments'].pk}/",
}


@pytest.mark.parametrize("page_name", sorted(HISTORY_PAGES))
@pytest.mark.parametrize("role", ROLES)
def test_an_objects_history_shows_on_its_page_only_to_the_audit_trails_readers(
    world, client, role, page_name
):
    client.force_login(world.users[role])
    response = client.get(HISTORY_PAGES[page_name](world))
    shown = response.status_code == 200 and 'data-testid="history"' in response.content.decode()
    assert shown is (role in AF and response.status_code == 200)
    if role in AF:
        assert response.status_code == 200
