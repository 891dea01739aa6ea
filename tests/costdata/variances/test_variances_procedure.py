"""The variance procedure: every transition allowed and refused, due dates, escalation, notifications."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from costdata.models import Explanation, Variance
from costdata.variances import selectors as variance_selectors
from costdata.variances import services as sop
from costdata.variances.services import TransitionRefused
from meetings.models import ActionItem
from stakeholders.models import Group, Role, Stakeholder
from tests.costdata.variance_fixtures import ACCOUNT, facts

FRIDAY = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
NOV = date(2026, 11, 1)


@pytest.fixture
def variance(cost_source, org, settings, django_capture_on_commit_callbacks) -> Variance:
    settings.TIME_ZONE = "UTC"
    settings.SITE_URL = "https://cost.example.com"
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={date(2026, 11, 10): "400"})
    with django_capture_on_commit_callbacks(execute=True):
        sop.variances_detect(months=[NOV], now=FRIDAY)
    return Variance.objects.get(scope_type="account", scope_value=ACCOUNT, kind="spike")


def explain(variance, user, **extra):
    fields = {
        "category": "incident",
        "narrative": "A runaway batch job on the 10th; killed the same day.",
        "expected_duration": "one_off",
    }
    return sop.variance_explain(variance=variance, actor=user, **(fields | extra))


def test_the_due_date_is_five_business_days_later_over_the_weekend(variance):
    # Opened on Friday 20 November: Mon-Fri of the next week, due at the end of Friday 27 November.
    assert variance.due_at == datetime(2026, 11, 28, 0, 0, tzinfo=UTC)


def test_the_due_date_follows_the_business_days_setting(cost_source, org, settings):
    settings.TIME_ZONE = "UTC"
    settings.VARIANCE_DUE_BUSINESS_DAYS = 1
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={date(2026, 11, 10): "400"})
    sop.variances_detect(months=[NOV], now=FRIDAY)
    variance = Variance.objects.get(scope_value=ACCOUNT, kind="spike")
    assert variance.due_at == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # end of Monday


def test_the_assignee_is_emailed_a_link_to_the_explanation_form(variance):
    message = next(m for m in mail.outbox if "engineer@example.com" in m.to)
    assert message.subject.startswith("Variance to explain")
    assert f"https://cost.example.com/costs/variances/{variance.pk}/explain/" in message.body
    assert "techlead@example.com" in message.to
    assert "outsider@example.com" not in message.to


def test_an_engineer_of_the_owning_team_files_an_explanation(variance, org):
    explanation = explain(variance, org["engineer"], planned_action="Add a budget alarm to the job")
    variance.refresh_from_db()
    assert variance.status == Variance.Status.EXPLAINED
    assert explanation.author == org["engineer"]
    assert explanation.outcome == Explanation.Outcome.PENDING
    last = variance.transitions.last()
    assert (last.action, last.from_status, last.to_status, last.actor) == (
        "explain",
        "assigned",
        "explained",
        org["engineer"],
    )


def test_an_explanation_may_create_an_action_item_for_its_author(variance, org):
    explanation = explain(
        variance, org["engineer"], action_item_title="Cap the batch job", action_item_due_on=date(2026, 12, 4)
    )
    item = ActionItem.objects.get(pk=explanation.action_item_id)
    assert item.owner == Stakeholder.objects.get(email="engineer@example.com")
    assert item.due_on == date(2026, 12, 4)
    assert item.explanation == explanation
    read = variance_selectors.variance_detail(pk=variance.pk).explanations.all()[0]
    assert (read.action_item_id, read.action_item_title) == (item.pk, "Cap the batch job")


@pytest.mark.parametrize("who", ["outsider", "finance", "searchlead"])
def test_people_outside_the_owning_team_may_not_explain(variance, org, who):
    with pytest.raises(PermissionDenied):
        explain(variance, org[who])
    variance.refresh_from_db()
    assert variance.status == Variance.Status.ASSIGNED


def test_an_explanation_needs_a_known_category_and_a_narrative(variance, org):
    with pytest.raises(ValidationError) as caught:
        explain(variance, org["engineer"], category="aliens", narrative=" ")
    assert set(caught.value.message_dict) == {"category", "narrative"}
    assert not variance.explanations.exists()


def test_a_variance_already_explained_cannot_be_explained_again(variance, org):
    explain(variance, org["engineer"])
    with pytest.raises(TransitionRefused, match="only when assigned"):
        explain(variance, org["techlead"])


def test_finance_accepts_an_explanation_and_then_closes_the_variance(variance, org):
    explain(variance, org["engineer"])
    sop.variance_accept(variance=variance, actor=org["finance"], comment="Fine.")
    variance.refresh_from_db()
    assert variance.status == Variance.Status.ACCEPTED
    assert variance.explanations.get().outcome == Explanation.Outcome.ACCEPTED
    sop.variance_close(variance=variance, actor=org["finance"])
    variance.refresh_from_db()
    assert variance.status == Variance.Status.CLOSED
    assert list(variance.transitions.values_list("action", flat=True)) == [
        "detect",
        "assign",
        "explain",
        "accept",
        "close",
    ]


@pytest.mark.parametrize("who", ["engineer", "techlead", "outsider"])
def test_only_finance_accepts(variance, org, who):
    explain(variance, org["engineer"])
    with pytest.raises(PermissionDenied):
        sop.variance_accept(variance=variance, actor=org[who])


def test_nobody_accepts_an_explanation_they_wrote(variance, org):
    explain(variance, org["admin"])  # an admin may explain and may accept, but not both
    with pytest.raises(TransitionRefused, match="You wrote this explanation"):
        sop.variance_accept(variance=variance, actor=org["admin"])
    sop.variance_accept(variance=variance, actor=org["finance"])
    variance.refresh_from_db()
    assert variance.status == Variance.Status.ACCEPTED


def test_an_assigned_variance_cannot_be_accepted_or_closed(variance, org):
    with pytest.raises(TransitionRefused, match="only when explained"):
        sop.variance_accept(variance=variance, actor=org["finance"])
    with pytest.raises(TransitionRefused, match="only when accepted"):
        sop.variance_close(variance=variance, actor=org["finance"])


def test_sending_back_needs_a_comment(variance, org):
    explain(variance, org["engineer"])
    with pytest.raises(ValidationError) as caught:
        sop.variance_send_back(variance=variance, actor=org["finance"], comment="  ")
    assert "comment" in caught.value.message_dict


def test_finance_sends_an_explanation_back_and_the_assignee_is_told(
    variance, org, django_capture_on_commit_callbacks
):
    explain(variance, org["engineer"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sop.variance_send_back(
            variance=variance, actor=org["finance"], comment="Which job? Link the incident."
        )
    variance.refresh_from_db()
    assert variance.status == Variance.Status.ASSIGNED
    assert variance.due_at > FRIDAY + timedelta(days=7)  # a new due date from now
    assert variance.explanations.get().outcome == Explanation.Outcome.SENT_BACK
    [message] = mail.outbox
    assert message.subject.startswith("Explanation sent back")
    assert "Which job? Link the incident." in message.body
    assert f"/costs/variances/{variance.pk}/explain/" in message.body
    explain(variance, org["engineer"], narrative="Job nightly-reconcile, incident INC-42.")
    assert variance.explanations.count() == 2


def test_a_technology_lead_of_the_team_reassigns_to_an_engineer(
    variance, org, django_capture_on_commit_callbacks
):
    engineer = Stakeholder.objects.get(email="engineer@example.com")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sop.variance_reassign(
            variance=variance, actor=org["techlead"], assignee=engineer, comment="Erik ran it"
        )
    variance.refresh_from_db()
    assert variance.assignee == engineer
    assert variance.transitions.last().action == "reassign"
    assert [m.to for m in mail.outbox] == [["engineer@example.com"]]


@pytest.mark.parametrize("who", ["engineer", "searchlead", "finance"])
def test_others_may_not_reassign(variance, org, who):
    with pytest.raises(PermissionDenied):
        sop.variance_reassign(variance=variance, actor=org[who], team=org["other"])


def test_an_explained_variance_cannot_be_reassigned(variance, org):
    explain(variance, org["engineer"])
    with pytest.raises(TransitionRefused):
        sop.variance_reassign(variance=variance, actor=org["admin"], team=org["other"])


def test_reassigning_to_a_person_outside_the_team_is_refused(variance, org):
    outsider = Stakeholder.objects.get(email="outsider@example.com")
    with pytest.raises(ValidationError, match="not a member"):
        sop.variance_reassign(variance=variance, actor=org["admin"], team=org["team"], assignee=outsider)


def test_overdue_variances_escalate_once_to_the_teams_technology_lead(
    variance, org, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    later = variance.due_at + timedelta(minutes=1)
    assert sop.variances_escalate_overdue(now=variance.due_at - timedelta(minutes=1)) == []
    with django_capture_on_commit_callbacks(execute=True):
        escalated = sop.variances_escalate_overdue(now=later)
    assert variance.pk in escalated
    variance.refresh_from_db()
    assert variance.escalated_to == Stakeholder.objects.get(email="techlead@example.com")
    assert variance.transitions.last().action == "escalate"
    assert any(
        m.subject.startswith("Overdue variance escalated") and m.to == ["techlead@example.com"]
        for m in mail.outbox
    )
    assert sop.variances_escalate_overdue(now=later + timedelta(hours=1)) == []


def test_a_variance_is_overdue_only_while_awaiting_its_owner(variance, org):
    variance.due_at = FRIDAY - timedelta(days=1)
    assert variance.is_overdue
    variance.status = Variance.Status.EXPLAINED
    assert not variance.is_overdue


def test_the_daily_digest_tells_finance_what_awaits_review(variance, org, django_capture_on_commit_callbacks):
    explain(variance, org["engineer"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert sop.variance_digest_send(now=FRIDAY) == 1
    [message] = mail.outbox
    assert sorted(message.to) == ["finance2@example.com", "finance@example.com"]
    assert "1 awaiting review" in message.subject
    assert f"/costs/variances/{variance.pk}/" in message.body


def test_no_digest_on_a_day_with_nothing_to_review(org):
    assert sop.variance_digest_send() == 0
    assert mail.outbox == []


def test_a_meeting_records_a_decision_about_a_variance(variance, org):
    from costdata.variances.selectors import variance_timeline
    from meetings.models import Meeting, VarianceDecision
    from meetings.variance_decisions import variance_decision_record

    meeting = Meeting.objects.create(title="Monthly review", starts_at=FRIDAY)
    link = variance_decision_record(
        variance=variance, meeting=meeting, text="Accept; cap the job.", actor=org["finance"]
    )
    assert link.decision.meeting == meeting
    assert VarianceDecision.objects.get(variance=variance).decision.text == "Accept; cap the job."
    decisions = [e.decision for e in variance_timeline(variance=variance) if e.kind == "decision"]
    assert [d.text for d in decisions] == ["Accept; cap the job."]


def test_the_agenda_providers_propose_variances_awaiting_review_and_overdue(variance, org):
    from meetings.agenda import providers
    from meetings.models import Meeting

    meeting = Meeting.objects.create(title="Monthly review", starts_at=variance.due_at + timedelta(days=1))
    by_key = {p.key: p for p in providers()}
    overdue = list(by_key["overdue-variances"].propose(meeting))
    assert str(variance.pk) in {item.ref for item in overdue}
    assert not list(by_key["variances"].propose(meeting))
    explain(variance, org["engineer"])
    awaiting = list(by_key["variances"].propose(meeting))
    assert [item.ref for item in awaiting] == [str(variance.pk)]
    assert awaiting[0].url == f"/costs/variances/{variance.pk}/"
    assert str(variance.pk) not in {item.ref for item in by_key["overdue-variances"].propose(meeting)}


def test_the_due_day_shown_is_the_last_business_day_not_the_midnight_after_it(variance):
    assert variance.due_day == date(2026, 11, 27)  # a Friday; due_at is the midnight that ends it
    assert "Due: Friday 27 November 2026" in mail.outbox[0].body


def test_the_author_of_an_explanation_may_not_send_it_back(variance, org):
    explain(variance, org["admin"])
    with pytest.raises(TransitionRefused, match="You wrote this explanation"):
        sop.variance_send_back(variance=variance, actor=org["admin"], comment="Which job?")
    variance.refresh_from_db()
    assert variance.status == Variance.Status.EXPLAINED


def test_the_author_of_the_accepted_explanation_may_not_close_the_variance(variance, org):
    explain(variance, org["admin"])
    sop.variance_accept(variance=variance, actor=org["finance"])
    with pytest.raises(TransitionRefused, match="You wrote this explanation"):
        sop.variance_close(variance=variance, actor=org["admin"])
    assert sop.variance_close(variance=variance, actor=org["finance"]).status == Variance.Status.CLOSED


def test_a_variance_is_never_reassigned_to_a_third_party_or_finance(variance, org):
    consultant = Stakeholder.objects.create(
        name="Cora", email="cora@example.com", group=Group.THIRD_PARTY, role=Role.CONSULTANT
    )
    org["team"].members.add(consultant, Stakeholder.objects.get(email="finance@example.com"))
    for who in (consultant, Stakeholder.objects.get(email="finance@example.com")):
        with pytest.raises(ValidationError, match="not an engineer or a technology lead"):
            sop.variance_reassign(variance=variance, actor=org["admin"], team=org["team"], assignee=who)


def test_a_person_alone_is_checked_against_the_team_that_owns_the_variance(variance, org):
    outsider = Stakeholder.objects.get(email="outsider@example.com")
    with pytest.raises(ValidationError, match="not a member of Payments"):
        sop.variance_reassign(variance=variance, actor=org["admin"], assignee=outsider)
