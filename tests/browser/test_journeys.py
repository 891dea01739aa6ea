"""The journeys users make, end to end in a real browser, with no console error on any page.

1. A finance lead opens the overview, filters to a business unit, opens a scope and exports the review
   pack; the workbook opens and holds the figures the pack's page shows.
2. An engineer follows the link in the assignment email (signing in on the way) and files an explanation.
3. A technology lead runs a meeting (attendance, minutes, a decision, an action item) and downloads its
   calendar file.
4. An admin adds a cost source in Django admin, pulls it from the source page and watches the run go from
   queued to succeeded, on a real Celery worker.

Each page is screenshotted as journey-<who>-<step>-<page>; the README shows the committed copies in
docs/screenshots/.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import icalendar
import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from costdata.models import CostSource, DailyCost, IngestionRun, Variance
from costdata.variances import services as sop
from meetings import services as meeting_services
from meetings.models import ActionItem, Attendance, Meeting
from partnership.demo import demo_organisation_seed
from tests.browser.conftest import log_in, screenshot
from tests.conftest import DEMO_TEST_PASSWORD
from tests.costdata import variance_fixtures
from tests.costdata.variance_fixtures import ACCOUNT, facts
from tests.meetings.conftest import PASSWORD, people  # noqa: F401 - the shared people fixture

pytestmark = pytest.mark.browser
cost_source = variance_fixtures.cost_source  # the fixtures the costdata tests share
org = variance_fixtures.org


def expect_charts_drawn(page, at_least: int) -> None:
    """Plotly drew every chart on the page: locators wait, as the content security policy forbids the
    evaluated strings of wait_for_function."""
    charts = page.locator("[data-figure]").count()
    assert charts >= at_least
    drawn = page.locator("[data-figure].drawn", has=page.locator(".main-svg"))
    expect(drawn).to_have_count(charts, timeout=30_000)


# --- 1. Finance: overview -> business unit -> scope -> review pack -> XLSX -------------------------------


@pytest.fixture
def demo(transactional_db, settings):
    settings.DEMO_PASSWORD = DEMO_TEST_PASSWORD
    return demo_organisation_seed()


def _cell_text(value: object) -> str:
    """A workbook cell as the pack page prints it, for comparison."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _same_figure(page_text: str, cell: object) -> bool:
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        # The page prints the stored decimal at full precision; the workbook holds it as a number.
        return abs(Decimal(page_text) - Decimal(str(cell))) < Decimal("0.000001")
    return page_text == _cell_text(cell)


def test_journey_finance_overview_unit_scope_and_review_pack_export(page, demo, tmp_path):
    log_in(page, "finance", DEMO_TEST_PASSWORD)

    page.click("nav >> text=Dashboards")
    page.wait_for_url(re.compile(r"/dashboards/$"))
    expect_charts_drawn(page, 5)
    summary = page.locator("#summary")
    expect(summary).to_contain_text("Digital products")
    expect(page.locator("#freshness")).to_contain_text("Data up to")
    organisation_actual = summary.locator("tbody tr.total td").first.inner_text()
    screenshot(page, "journey-finance-1-overview")

    page.select_option("#filter-business-unit", label="Digital products")
    page.click("#apply-filters")
    page.wait_for_url(re.compile(r"business_unit=\d+"))
    expect_charts_drawn(page, 4)
    expect(page.locator(".active-filters")).to_contain_text("Digital products")
    expect(summary.locator("tbody tr.total th")).to_contain_text("business unit Digital products")
    unit_actual = summary.locator("tbody tr.total td").first.inner_text()
    assert Decimal(unit_actual.replace(",", "")) < Decimal(organisation_actual.replace(",", ""))
    screenshot(page, "journey-finance-2-business-unit")

    payments_actual = summary.locator("tr", has=page.locator("a.scope-link", has_text="Payments")).locator(
        "td"
    )
    payments_actual = payments_actual.first.inner_text()
    summary.locator("a.scope-link", has_text="Payments").click()
    page.wait_for_url(re.compile(r"/dashboards/scope/team/\d+/"))
    expect_charts_drawn(page, 4)
    expect(page.locator("h1")).to_contain_text("Payments")
    # The scope page's own total is the figure the unit's summary showed for the team.
    assert page.locator("#summary tbody tr.total td").first.inner_text() == payments_actual
    screenshot(page, "journey-finance-3-scope")

    # Freeze this scope into the pack for the next meeting.
    page.locator("#scope-pack button.generate-scope-pack").first.click()
    page.wait_for_url(re.compile(r"/dashboards/review-packs/\d+/$"))
    expect(page.locator("#frozen-note")).to_contain_text("Figures frozen")
    expect(page.locator(".pack-header")).to_contain_text("Payments")
    expect_charts_drawn(page, 1)
    # The pack froze the figures the scope page showed.
    assert page.locator("#pack-summary tbody tr td").first.inner_text() == payments_actual
    screenshot(page, "journey-finance-4-review-pack")

    # What the page shows: each chart's title and its table (or a panel's list), in agenda order.
    shown = []
    for card in page.locator("#pack-agenda section.chart-card").all():
        title = card.locator("h2").inner_text()
        if card.locator("table").count():
            columns = [th.inner_text() for th in card.locator("table thead th").all()]
            rows = [
                [cell.inner_text() for cell in row.locator("td").all()]
                for row in card.locator("table tbody tr").all()
            ]
            rows = [r for r in rows if r != ["No rows."]]
        else:
            items = card.locator("ul.panel-items li").all()
            columns = ["Item", "Detail"] if items else []
            rows = [[li.locator("a").inner_text(), li.locator("span.muted").inner_text()] for li in items]
        shown.append((title, columns, rows))
    assert any(rows for _, _, rows in shown), "the pack shows figures"

    with page.expect_download() as download_info:
        page.click("#pack-xlsx")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[0] == "Pack"
    assert workbook["Pack"]["A1"].value.startswith("Review pack v1: ")
    sheets = [workbook[name] for name in workbook.sheetnames[1:]]
    assert [s["A1"].value for s in sheets] == [t for t, _, _ in shown]
    # The month's summary sheet holds the scope's actual the pages showed, at full precision.
    month = next(sheet for sheet in sheets if sheet["A1"].value.startswith("This month"))
    header = [cell.value for cell in month[2]]
    actual = month.cell(row=3, column=header.index("actual") + 1).value
    assert abs(Decimal(str(actual)) - Decimal(payments_actual.replace(",", ""))) <= Decimal("0.005")
    for sheet, (title, columns, rows) in zip(sheets, shown, strict=True):
        values = list(sheet.iter_rows(values_only=True))
        header = [c for c in values[1] if c is not None] if len(values) > 1 else []
        assert header == columns, title
        data = values[2:]
        assert len(data) == len(rows), f"{title}: the workbook and the page list the same rows"
        for page_row, sheet_row in zip(rows, data, strict=True):
            for text, cell in zip(page_row, sheet_row, strict=True):
                assert _same_figure(text, cell), f"{title}: page {text!r}, workbook {cell!r}"


# --- 2. Engineer: the assignment email -> sign in -> explain ------------------------------------------------


@pytest.fixture
def assigned_variance(transactional_db, cost_source, org, live_server, settings, mailoutbox) -> Variance:
    settings.SITE_URL = live_server.url
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={date(2026, 11, 10): "400"})
    mailoutbox.clear()
    # Detection assigns the spike to the account's owning team and emails it, as the worker would.
    sop.variances_detect(months=[date(2026, 11, 1)])
    return Variance.objects.get(scope_type="account", scope_value=ACCOUNT, kind="spike")


def test_journey_engineer_explains_a_variance_from_the_assignment_email(page, assigned_variance, mailoutbox):
    variance = assigned_variance
    assert variance.status == Variance.Status.ASSIGNED
    # The team's engineer is told by email, one message per variance.
    emails = [m for m in mailoutbox if m.subject == f"Variance to explain: {variance}"]
    assert len(emails) == 1, [m.subject for m in mailoutbox]
    email = emails[0]
    assert "engineer@example.com" in email.to
    link = re.search(r"Explain it here: (\S+)", email.body).group(1)
    assert link.endswith(f"/costs/variances/{variance.pk}/explain/")

    # Not signed in: the link goes through the login page and lands on the form.
    page.goto(link)
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    screenshot(page, "journey-engineer-1-login-from-email")
    page.fill("#id_username", "engineer")
    page.fill("#id_password", "pw-engineer")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf"/costs/variances/{variance.pk}/explain/$"))
    expect(page.locator("h1")).to_have_text("Explain this variance")
    page.select_option("#id_category", "incident")
    page.fill("#id_narrative", "A runaway batch job on the 10th; killed the same day.")
    page.select_option("#id_expected_duration", "one_off")
    page.fill("#id_planned_action", "Cap the job's concurrency at four.")
    screenshot(page, "journey-engineer-2-explain")

    page.click("#explain-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/costs/variances/{variance.pk}/$"))
    expect(page.locator("#variance-status")).to_have_text("Explained")
    expect(page.locator(".messages")).to_contain_text("Explanation filed")
    explanation = page.locator(".explanation")
    expect(explanation).to_contain_text("runaway batch job")
    expect(explanation).to_contain_text("Cap the job's concurrency at four.")
    expect(page.locator("#timeline")).to_contain_text("Explanation filed")
    screenshot(page, "journey-engineer-3-explained")
    variance.refresh_from_db()
    assert variance.status == Variance.Status.EXPLAINED
    assert variance.explanations.get().author.username == "engineer"


# --- 3. Technology lead: run the meeting, download its calendar file ----------------------------------------


@pytest.fixture
def weekly_review(people, live_server, settings):  # noqa: F811
    settings.SITE_URL = live_server.url
    today = timezone.localdate()
    cadence = meeting_services.cadence_create(
        name="Weekly platform cost review",
        rrule="FREQ=WEEKLY",
        timezone_name="Europe/London",
        starts_on=today - timedelta(days=today.weekday()),
        start_time=time(10, 0),
        participants=[
            people["finance"].stakeholder,
            people["techlead"].stakeholder,
            people["engineer"].stakeholder,
        ],
    )
    return (
        Meeting.objects.filter(cadence=cadence, starts_at__gte=timezone.now()).order_by("starts_at").first()
    )


def test_journey_tech_lead_runs_a_meeting_and_downloads_its_calendar_file(
    page,
    people,  # noqa: F811
    weekly_review,
    tmp_path,
):
    meeting = weekly_review
    finance, engineer = people["finance"].stakeholder, people["engineer"].stakeholder
    log_in(page, "techlead", PASSWORD)

    page.click("nav >> text=Programme")
    page.click(f"a[href='/meetings/{meeting.pk}/']")
    page.wait_for_url(re.compile(rf"/meetings/{meeting.pk}/$"))
    expect(page.locator("h1")).to_have_text("Weekly platform cost review")
    expect(page.locator("#agenda")).to_contain_text("State of the organisation")
    screenshot(page, "journey-techlead-1-meeting")

    # Attendance, saved as each box is ticked.
    page.check(f"#att-{finance.pk}-present")
    expect(page.locator("#attendance-state")).to_have_text(re.compile(r"^Saved"))
    page.check(f"#att-{engineer.pk}-apologies")
    expect(page.locator("#attendance-state")).to_have_text(re.compile(r"^Saved"))

    # Minutes, saved as they are typed.
    page.fill("#id_minutes", "Compute is 12% over budget after the batch incident; Savings Plan agreed.")
    expect(page.locator("#minutes .save-state")).to_have_text(re.compile(r"^Saved"))

    # A decision and an action item.
    page.fill("#id_decision_text", "Buy a one-year Compute Savings Plan at the agreed commitment.")
    page.click("#decisions button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#decisions ul.decisions")).to_contain_text("one-year Compute Savings Plan")
    due = timezone.localdate() + timedelta(days=14)
    page.fill("#id_action_title", "Size the Compute Savings Plan")
    page.select_option("#id_action_owner", str(engineer.pk))
    page.fill("#id_action_due", due.isoformat())
    page.click("#action-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#actions")).to_contain_text("Size the Compute Savings Plan")
    screenshot(page, "journey-techlead-2-meeting-run")

    statuses = dict(meeting.attendances.values_list("stakeholder_id", "status"))
    assert statuses[finance.pk] == Attendance.Status.PRESENT
    assert statuses[engineer.pk] == Attendance.Status.APOLOGIES
    meeting.refresh_from_db()
    assert "Savings Plan agreed" in meeting.minutes
    item = ActionItem.objects.get(title="Size the Compute Savings Plan")
    assert item.owner == engineer and item.origin_meeting_id == meeting.pk and item.due_on == due

    with page.expect_download() as download_info:
        page.click("text=Add to calendar (.ics)")
    download = download_info.value
    assert download.suggested_filename == f"meeting-{meeting.pk}.ics"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    assert str(event["summary"]) == "Weekly platform cost review"
    assert event.decoded("dtstart") == meeting.starts_at
    assert str(event["url"]).endswith(f"/meetings/{meeting.pk}/")
    assert "State of the organisation" in str(event["description"])


# --- 4. Admin: add a source, pull it, watch the run -----------------------------------------------------------


@pytest.fixture
def celery_worker(transactional_db):
    """Starts a real Celery worker in this process, consuming from the Redis that `make test` starts."""
    from celery.contrib.testing.worker import start_worker

    from partnership.celery import app

    def start():
        return start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10)

    return start


@pytest.mark.worker
def test_journey_admin_adds_a_source_pulls_it_and_watches_the_run(page, celery_worker):
    get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-journey-1")
    log_in(page, "root", "pw-root-journey-1")

    page.click("nav >> text=Admin")
    page.click("a[href='/admin/costdata/costsource/add/']")
    page.fill("#id_name", "Demo payer")
    page.select_option("#id_kind", "demo")
    page.fill("#id_tag_keys", '["team"]')
    screenshot(page, "journey-admin-1-add-source")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/costdata/costsource/$"))
    expect(page.locator(".messagelist")).to_contain_text("Demo payer")
    source = CostSource.objects.get(name="Demo payer")
    assert source.kind == CostSource.Kind.DEMO and source.tag_keys == ["team"]
    assert source.schedule is not None and source.schedule.enabled, "saving in admin schedules the pulls"

    page.goto("/costs/sources/")
    page.click("text=Demo payer")
    page.wait_for_url(re.compile(rf"/costs/sources/{source.pk}/$"))
    expect(page.locator("#freshness")).to_contain_text("No data yet")
    page.click("#pull-now")
    page.wait_for_url(re.compile(rf"/costs/sources/{source.pk}/$"))
    run = IngestionRun.objects.get(source=source)
    row = page.locator(f"tr[data-run-id='{run.pk}']")
    # No worker yet: the run waits in the queue, and the page says it is following it.
    expect(row.locator(".run-status")).to_have_text("Queued")
    expect(page.locator("#runs-state")).to_contain_text("Following 1 pull")
    screenshot(page, "journey-admin-2-pull-queued")

    with celery_worker():
        # The page updates itself as the worker takes the run and finishes it.
        expect(row.locator(".run-status")).to_have_text("Succeeded", timeout=60_000)
    run.refresh_from_db()
    assert run.status == IngestionRun.Status.SUCCEEDED and run.task_id
    assert run.rows_written >= DailyCost.objects.filter(source=source).count() > 0
    expect(row.locator(".run-rows")).to_have_text(str(run.rows_written))
    expect(page.locator("#runs-state")).to_have_text(
        f"Run {run.pk}: succeeded, {run.rows_written} rows written."
    )
    expect(page.locator("#freshness")).to_contain_text("Data up to")
    # The cards follow too: this month's Cost Explorer requests now count the pull's.
    expect(page.locator("#requests .figure")).to_have_text(str(run.requests_made))
    screenshot(page, "journey-admin-3-pull-succeeded")
