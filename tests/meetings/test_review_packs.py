"""Review packs: frozen figures, versions, the XLSX export and who may generate one."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from costdata.facts.services import daily_rollup_rebuild, monthly_rollup_rebuild
from costdata.models import CostSource, DailyCost
from meetings import review_packs
from meetings.models import AgendaItem, Meeting, ReviewPack, Topic
from stakeholders.models import Group, Role, Stakeholder
from tests.costdata.dashboards.test_dashboards import (
    COMPUTE,
    DATA_THROUGH,
    PAYMENTS_PROD,
    build_costs,
    build_organisation,
    expected_sum,
)

# These tests are about the dashboards themselves: no budget or panel provider plugged in.
pytestmark = pytest.mark.usefixtures("no_dashboard_providers")

PASSWORD = "a-long-test-password-1"
NOVEMBER = date(2026, 11, 1)


def make_user(kind: str):
    user = get_user_model().objects.create_user(
        kind, f"{kind}@example.com", PASSWORD, is_staff=kind == "admin"
    )
    roles = {
        "finance": (Group.FINANCE, Role.FINANCIAL_CONTROLLER),
        "techlead": (Group.TECHNOLOGY, Role.TECHNICAL_MANAGER),
        "engineer": (Group.ENGINEERING, Role.ENGINEER),
        "buowner": (Group.BUSINESS_UNIT, Role.BUSINESS_UNIT_OWNER),
        "thirdparty": (Group.THIRD_PARTY, Role.CONSULTANT),
    }
    if kind in roles:
        group, role = roles[kind]
        Stakeholder.objects.create(name=kind, email=f"{kind}@example.com", group=group, role=role, user=user)
    return user


@pytest.fixture
def meeting(db):
    build_costs()
    build_organisation()
    meeting = Meeting.objects.create(
        title="Monthly cost review",
        starts_at=timezone.make_aware(datetime(2026, 11, 24, 10, 0)),
        timezone="Europe/London",
    )
    AgendaItem.objects.create(
        meeting=meeting, position=1, key="template:0", source="template", title="State of the organisation"
    )
    AgendaItem.objects.create(
        meeting=meeting,
        position=2,
        key="topic:budgeting",
        source="topic",
        title="Topic: Budgeting",
        topic=Topic.objects.get(slug="budgeting"),
    )
    AgendaItem.objects.create(
        meeting=meeting,
        position=3,
        key="manual:1",
        source="manual",
        title='=HYPERLINK("http://evil")',
        detail="@SUM(A1)",
    )
    return meeting


def test_a_pack_freezes_the_agenda_with_each_items_charts(meeting):
    user = make_user("finance")
    pack = review_packs.review_pack_generate(meeting=meeting, user=user)
    assert pack.version == 1 and pack.generated_by == user
    sections = pack.content["sections"]
    assert [s["title"] for s in sections] == [
        "State of the organisation",
        "Topic: Budgeting",
        '=HYPERLINK("http://evil")',
    ]
    assert sections[0]["charts"] == ["this-month", "daily"]
    assert sections[2]["charts"] == []
    # Charts no item asked for are shown once, before the agenda.
    assert pack.content["overview"] == ["movers-service", "movers-account"]
    # On the page a chart several items share is drawn once; the later item links back to it.
    shown = review_packs.pack_sections(pack)
    budgeting = next(s for s in shown if s["title"] == "Topic: Budgeting")
    assert budgeting["charts"] == []
    assert [r["section"] for r in budgeting["references"]] == [1, 1]
    summary = pack.content["summary"][0]
    assert Decimal(summary["actual"]) == expected_sum(start=NOVEMBER, end=date(2026, 12, 1))
    assert pack.currency == "USD" and pack.data_up_to == DATA_THROUGH


def test_a_frozen_pack_does_not_change_when_new_data_arrives(meeting):
    pack = review_packs.review_pack_generate(meeting=meeting, user=make_user("admin"))
    before = ReviewPack.objects.get(pk=pack.pk).content
    source_id = DailyCost.objects.values_list("source_id", flat=True).first()
    DailyCost.objects.filter(day=DATA_THROUGH).update(unblended=Decimal("99999"), estimated=False)
    DailyCost.objects.create(
        source_id=source_id,
        day=DATA_THROUGH + timedelta(days=1),
        account_id=PAYMENTS_PROD,
        service=COMPUTE,
        unblended=Decimal("12345"),
        amortized=Decimal("12345"),
        currency="USD",
    )
    source = CostSource.objects.get(pk=source_id)  # as a pull would: the rollups follow the facts
    monthly_rollup_rebuild(source=source, start=NOVEMBER, end=DATA_THROUGH + timedelta(days=2))
    daily_rollup_rebuild(source=source, start=NOVEMBER, end=DATA_THROUGH + timedelta(days=2))
    stored = ReviewPack.objects.get(pk=pack.pk)
    assert stored.content == before
    sections = review_packs.pack_sections(stored)
    daily = next(c for s in sections for c in s["charts"] if c["key"] == "daily")
    by_day = {row["day"]: row for row in daily["table"]}
    assert Decimal(by_day["2026-11-19"]["amount"]) == expected_sum(
        start=DATA_THROUGH, end=DATA_THROUGH + timedelta(days=1)
    )
    assert "2026-11-20" not in {d for d, row in by_day.items() if row["amount"]}
    # Regenerating makes a new version that sees the new data; the old one stays as it was.
    second = review_packs.review_pack_generate(meeting=meeting, user=make_user("finance"))
    assert second.version == 2
    assert Decimal(second.content["summary"][0]["actual"]) != Decimal(before["summary"][0]["actual"])
    assert ReviewPack.objects.get(pk=pack.pk).content == before


def test_the_xlsx_export_has_the_agenda_and_exact_numbers_and_no_formulas(meeting):
    pack = review_packs.review_pack_generate(meeting=meeting, user=make_user("admin"))
    data = review_packs.review_pack_xlsx(pack)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    cover = workbook["Pack"]
    texts = [c.value for row in cover.iter_rows() for c in row if isinstance(c.value, str)]
    assert '\'=HYPERLINK("http://evil")' in texts  # neutralised: a spreadsheet shows it as text
    assert "'@SUM(A1)" in texts
    assert not any(c.data_type == "f" for row in cover.iter_rows() for c in row)
    daily_sheet = next(ws for ws in workbook.worksheets if "Daily cost" in ws.title)
    header = [c.value for c in daily_sheet[2]]
    assert header == ["day", "amount", "estimated", "forecast", "low", "high"]
    rows = {
        r[0].value.date() if hasattr(r[0].value, "date") else r[0].value: r
        for r in daily_sheet.iter_rows(min_row=3)
    }
    nineteenth = expected_sum(start=DATA_THROUGH, end=DATA_THROUGH + timedelta(days=1))
    cell = rows[DATA_THROUGH][1]
    assert cell.data_type == "n"
    assert cell.value == pytest.approx(float(nineteenth))
    # The file itself holds every digit, not a rounded float.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = "".join(
            archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")
        )
    assert format(nineteenth.normalize(), "f") in sheets


@pytest.mark.parametrize(
    ("kind", "allowed"),
    [
        ("admin", True),
        ("finance", True),
        ("techlead", True),
        ("engineer", False),
        ("buowner", False),
        ("thirdparty", False),
        ("nobody", False),
    ],
)
def test_who_may_generate_a_pack(meeting, client, kind, allowed):
    user = make_user(kind)
    client.force_login(user)
    response = client.post(reverse("review-pack-create", args=[meeting.pk]))
    if allowed:
        pack = ReviewPack.objects.get(meeting=meeting)
        assert response.status_code == 302 and response["Location"] == pack.get_absolute_url()
    else:
        assert response.status_code == 403
        assert not ReviewPack.objects.exists()


def test_leads_read_a_pack_and_its_xlsx_and_engineers_do_not(meeting, client):
    pack = review_packs.review_pack_generate(meeting=meeting, user=make_user("admin"))
    client.force_login(make_user("engineer"))
    assert client.get(pack.get_absolute_url()).status_code == 403  # a pack holds every team's figures
    client.force_login(make_user("techlead"))
    page = client.get(pack.get_absolute_url())
    assert page.status_code == 200
    body = page.content.decode()
    assert "Figures frozen" in body and "State of the organisation" in body
    assert "<script>" not in body
    xlsx = client.get(reverse("review-pack-xlsx", args=[pack.pk]))
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_anonymous_users_are_sent_to_log_in(meeting, client):
    pack = review_packs.review_pack_generate(meeting=meeting, user=None)
    response = client.get(pack.get_absolute_url())
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_registered_item_chart_provider_adds_frozen_charts_to_its_items(meeting):
    import pandas as pd

    from costdata.dashboards.content import Chart
    from costdata.dashboards.programme_charts import variance_funnel_figure

    AgendaItem.objects.create(
        meeting=meeting, position=4, key="variances:7", source="variances", title="Variance: compute spike"
    )

    def variance_charts(item, view):
        frame = pd.DataFrame([{"status": "open", "count": 2}])
        yield Chart("funnel", "Variances", variance_funnel_figure(frame), frame)

    review_packs.register_item_charts("variances", variance_charts)
    try:
        pack = review_packs.review_pack_generate(meeting=meeting, user=None)
    finally:
        review_packs.unregister_item_charts("variances")
    section = pack.content["sections"][-1]
    assert len(section["charts"]) == 1
    assert pack.content["charts"][section["charts"][0]]["rows"] == [["open", "2"]]


def test_a_frozen_chart_downloads_as_csv_from_the_pack(meeting, client):
    pack = review_packs.review_pack_generate(meeting=meeting, user=None)
    client.force_login(make_user("finance"))
    page = client.get(pack.get_absolute_url()).content.decode()
    url = reverse("review-pack-csv", args=[pack.pk, "daily"])
    assert url in page
    DailyCost.objects.filter(day=DATA_THROUGH).update(unblended=Decimal("99999"))
    rows = list(csv.DictReader(io.StringIO(client.get(url).content.decode())))
    by_day = {row["day"]: row for row in rows}
    assert Decimal(by_day["2026-11-19"]["amount"]) == expected_sum(
        start=DATA_THROUGH, end=DATA_THROUGH + timedelta(days=1)
    )
    assert client.get(reverse("review-pack-csv", args=[pack.pk, "nothing"])).status_code == 404
