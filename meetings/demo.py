"""The demo programme: a monthly cost review with six held meetings behind it and the next ones ahead.

Call after the demo people exist (partnership.demo.demo_organisation_seed). Safe to run again: the
cadence is found by name and its past meetings are only filled in once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from django.db import transaction
from django.utils import timezone

from meetings import recurrence, services
from meetings.models import ActionItem, Attendance, Cadence, Meeting, Topic
from stakeholders.models import Group, Stakeholder

CADENCE_NAME = "Monthly cloud cost review"
TIMEZONE = "Europe/London"
RULE = "FREQ=MONTHLY;BYDAY=+2TU"  # the second Tuesday of every month, 10:00 London time
PAST_MEETINGS = 6

EMAILS = {
    "finance": "finance@example.com",
    "techlead": "techlead@example.com",
    "buowner": "buowner@example.com",
    "engineer": "engineer@example.com",
    "consultant": "consultant@example.com",
}

# (title, owner, days after the meeting it is due, status); one list per past meeting, oldest first.
ACTIONS = [
    [
        ("Tag every Payments resource with team and cost-centre", "engineer", 21, ActionItem.Status.DONE),
        ("Agree the shared-cost split for support and networking", "finance", 30, ActionItem.Status.DONE),
    ],
    [
        (
            "Model a one-year Compute Savings Plan for the steady EC2 baseline",
            "consultant",
            14,
            ActionItem.Status.DONE,
        ),
        ("Retire the unused staging RDS instances", "engineer", 10, ActionItem.Status.DROPPED),
    ],
    [
        ("Set budgets per business unit for next quarter", "finance", 20, ActionItem.Status.DONE),
        ("Explain the S3 request-cost spike in Search", "techlead", 7, ActionItem.Status.IN_PROGRESS),
    ],
    [
        ("Publish monthly showback to business-unit owners", "finance", 25, ActionItem.Status.IN_PROGRESS),
        ("Right-size the Payments EKS node groups", "engineer", 30, ActionItem.Status.OPEN),
    ],
    [
        ("Forecast next year's growth for Digital products", "buowner", 40, ActionItem.Status.OPEN),
        ("Report the consultant's attributed savings for ROI", "consultant", 14, ActionItem.Status.DONE),
    ],
    [
        ("Decide on renewal of the expiring RDS reservations", "techlead", 20, ActionItem.Status.OPEN),
        ("Move log retention in Data to 90 days", "engineer", 10, ActionItem.Status.OPEN),
    ],
]
DECISIONS = [
    (
        "Costs are reported amortised in reviews; the invoice view is kept for accounts payable.",
        "financial-requirements",
    ),
    ("Commit to a one-year Compute Savings Plan covering 60% of the steady baseline.", "discount-models"),
    ("Variances over 10% and USD 1,000 a month are reviewed; smaller ones are noted.", "budgeting"),
    ("Untagged spend is allocated to the account owner until tagged.", "cost-allocation"),
    ("Forecasts are refreshed monthly from the run rate plus known launches.", "forecasting"),
    ("Reserved Instances are only bought for databases; compute uses Savings Plans.", "pricing-models"),
]
MINUTES = [
    "Reviewed the state of the organisation and the first month of tagged data. {finance} walked through "
    "unallocated spend ({share}% of the month); {techlead} committed the Payments team to tagging.",
    "Commitment options compared: a Compute Savings Plan covers EC2, Fargate and Lambda. {consultant} to model "
    "coverage and utilisation at three commitment levels.",
    "Budgets for the coming quarter discussed with business-unit owners. The S3 request spike in Search "
    "needs an explanation before the next review.",
    "Allocation is now good enough for showback. EKS node groups in Payments run at low utilisation.",
    "Digital products expects strong growth next year; finance needs a forecast. Consultant savings reported.",
    "RDS reservations expire next quarter. Log retention in Data is the largest storage driver.",
]


# Who is involved in each seeded topic (set only while a topic has nobody named, so edits survive).
TOPIC_MEMBERS = {
    "pricing-models": ["techlead", "consultant"],
    "tiered-pricing": ["finance", "techlead"],
    "discount-models": ["finance", "techlead", "consultant"],
    "budgeting": ["finance", "buowner"],
    "forecasting": ["finance", "buowner", "techlead"],
    "financial-requirements": ["finance"],
    "procurement-and-accounts-payable": ["finance"],
    "cost-allocation": ["techlead", "engineer", "finance"],
    "incentive-tracking": ["finance", "consultant"],
    "financial-statements": ["finance"],
    "cost-lifecycle": ["finance", "techlead", "engineer", "buowner"],
}


@dataclass
class DemoProgramme:
    cadence: Cadence
    created: bool = False
    past_meetings: list[Meeting] = field(default_factory=list)


def _people() -> dict[str, Stakeholder]:
    found = {key: Stakeholder.objects.filter(email=email).first() for key, email in EMAILS.items()}
    missing = [EMAILS[k] for k, v in found.items() if v is None]
    if missing:
        raise LookupError(f"Seed the demo people first; missing: {', '.join(missing)}")
    return found  # type: ignore[return-value]


def _hold(*, meeting: Meeting, index: int, people: dict[str, Stakeholder], topics: dict[str, Topic]) -> None:
    """What happened at the index-th past meeting: attendance, agenda ticked, minutes, decision, actions."""
    for person in people.values():
        services.attendance_set(meeting=meeting, stakeholder=person, status=Attendance.Status.EXPECTED)
    services.meeting_agenda_build(meeting=meeting)
    absentee = list(people.values())[index % len(people)]
    for person in people.values():
        status = (
            Attendance.Status.APOLOGIES if person == absentee and index % 2 else Attendance.Status.PRESENT
        )
        services.attendance_set(meeting=meeting, stakeholder=person, status=status)
    for item in meeting.agenda_items.filter(topic__isnull=False)[:2]:
        services.agenda_item_update(item=item, discussed=True)
    names = {k: v.name for k, v in people.items()}
    services.meeting_minutes_update(
        meeting=meeting, minutes=MINUTES[index].format(share=18 - 2 * index, **names)
    )
    text, topic_slug = DECISIONS[index]
    services.decision_create(meeting=meeting, text=text, topic=topics.get(topic_slug))
    services.meeting_status_set(meeting=meeting, status=Meeting.Status.HELD)
    for title, owner_key, due_days, item_status in ACTIONS[index]:
        item = services.action_item_create(
            title=title,
            owner=people[owner_key],
            due_on=(meeting.starts_at + timedelta(days=due_days)).date(),
            origin_meeting=meeting,
            topic=None,
            notify=False,
        )
        if item_status != ActionItem.Status.OPEN:
            services.action_item_update(item=item, status=item_status)


@transaction.atomic
def demo_programme_meetings_seed() -> DemoProgramme:
    people = _people()
    now = timezone.now()
    for topic in Topic.objects.filter(slug__in=TOPIC_MEMBERS, members__isnull=True):
        topic.members.set([people[key] for key in TOPIC_MEMBERS[topic.slug]])
    cadence = Cadence.objects.filter(name=CADENCE_NAME).first()
    if cadence is not None:
        services.cadence_materialise(cadence=cadence)
        return DemoProgramme(cadence=cadence)

    tz = recurrence.validate_timezone(TIMEZONE)
    # Anchor the series on the second Tuesday, PAST_MEETINGS + 1 months back, so six fall in the past.
    first_month = (
        now.astimezone(tz).date().replace(day=1) - timedelta(days=31 * (PAST_MEETINGS + 1))
    ).replace(day=1)
    starts_on = _second_tuesday(first_month)
    cadence = services.cadence_create(
        name=CADENCE_NAME,
        purpose=(
            "Finance and technology review cloud spend together: the state of the organisation, the programmes "
            "running, financial and optimisation metrics, and key workloads in detail (AWS Well-Architected "
            "COST01-BP02)."
        ),
        rrule=RULE,
        timezone_name=TIMEZONE,
        starts_on=starts_on,
        start_time=time(10, 0),
        duration_minutes=60,
        participants=list(people.values()),
        participant_groups=[Group.FINANCE, Group.TECHNOLOGY],
        location="Room 4.01 and video call",
        occurrences_ahead=3,
        now=now,
    )
    rule = recurrence.build_rule(cadence.rrule, cadence.dtstart)
    past = [dt for dt in rule.between(cadence.dtstart, now, inc=True)][-PAST_MEETINGS:]
    topics = {t.slug: t for t in Topic.objects.all()}
    result = DemoProgramme(cadence=cadence, created=True)
    for index, occurrence in enumerate(past):
        meeting = Meeting.objects.create(
            cadence=cadence,
            title=cadence.name,
            starts_at=occurrence,
            occurrence=occurrence,
            duration_minutes=cadence.duration_minutes,
            timezone=cadence.timezone,
            location=cadence.location,
        )
        _hold(meeting=meeting, index=index, people=people, topics=topics)
        result.past_meetings.append(meeting)
    for meeting in Meeting.objects.filter(cadence=cadence, starts_at__gt=now, status=Meeting.Status.PLANNED):
        services.meeting_agenda_build(meeting=meeting)
    return result


def _second_tuesday(month_start: date) -> date:
    first_tuesday = month_start + timedelta(days=(1 - month_start.weekday()) % 7)
    return first_tuesday + timedelta(days=7)
