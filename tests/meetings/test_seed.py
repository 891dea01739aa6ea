from django_celery_beat.models import PeriodicTask

from meetings.models import GlossaryTerm, Topic

REQUIRED_TERMS = {
    "unblended-cost",
    "blended-cost",
    "amortised-cost",
    "net-amortised-cost",
    "credits",
    "refunds",
    "savings-plan",
    "reserved-instance",
    "coverage",
    "utilisation",
    "on-demand",
    "showback",
    "chargeback",
    "variance",
    "forecast",
    "run-rate",
    "estimated-figures",
    "focus-billed-cost",
    "focus-effective-cost",
}
REQUIRED_TOPICS = {
    "pricing-models",
    "tiered-pricing",
    "discount-models",
    "budgeting",
    "forecasting",
    "financial-requirements",
    "procurement-and-accounts-payable",
    "cost-allocation",
    "incentive-tracking",
    "financial-statements",
    "cost-lifecycle",
}


def test_the_glossary_is_seeded_with_real_definitions(db):
    terms = {t.slug: t for t in GlossaryTerm.objects.all()}
    assert REQUIRED_TERMS <= set(terms)
    assert all(len(terms[s].definition) > 80 for s in REQUIRED_TERMS)


def test_the_topic_catalogue_is_seeded_from_the_practice(db):
    topics = {t.slug: t for t in Topic.objects.prefetch_related("glossary_terms")}
    assert REQUIRED_TOPICS <= set(topics)
    for slug in REQUIRED_TOPICS:
        topic = topics[slug]
        assert (
            topic.description
            and topic.processes
            and topic.glossary_terms.exists()
            and topic.review_frequency_days
        )
    assert "Reserved Instances and Savings Plans" in topics["discount-models"].name
    assert "creation, allocation, forecast, invoice, payment" in topics["cost-lifecycle"].name


def test_the_periodic_tasks_are_registered_with_beat(db):
    tasks = set(PeriodicTask.objects.filter(enabled=True).values_list("task", flat=True))
    assert {"meetings.cadences_materialise", "meetings.agendas_send_due"} <= tasks


def test_the_beat_task_names_match_registered_celery_tasks():
    from partnership.celery import app

    app.loader.import_default_modules()
    assert {"meetings.cadences_materialise", "meetings.agendas_send_due"} <= set(app.tasks)
