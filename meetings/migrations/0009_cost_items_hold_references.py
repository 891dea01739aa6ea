"""Agenda items of variances, and action items made from explanations, keep a reference instead of a
copy of the figures and the explanation text (rendered per viewer since): the copies stored so far are
blanked here, so they stop reaching people who may not see the variance.

- an agenda item of a variance ("variances:<id>", "overdue-variances:<id>") keeps its key, gets the
  generic title its provider gives now and an empty detail (notes taken in the meeting stay);
- a review pack's section of such an item gets the same title and an empty detail;
- an action item made from an explanation loses the "Planned action for ..." description it copied.
"""

from django.db import migrations

TITLES = {"variances": "Variance awaiting review (#{})", "overdue-variances": "Overdue variance (#{})"}
COPIED_PLANNED_ACTION = "Planned action for "


def _reference(source, key):
    provider, _, ref = (key or "").partition(":")
    if source in TITLES and provider == source and ref.isdigit():
        return TITLES[source].format(ref)
    return None


def blank_agenda_items(apps):
    items = apps.get_model("meetings", "AgendaItem")
    for item in items.objects.filter(source__in=list(TITLES)).only("pk", "source", "key"):
        title = _reference(item.source, item.key)
        if title is not None:
            items.objects.filter(pk=item.pk).update(title=title, detail="")


def _blank_section(section):
    source, url = section.get("source"), section.get("url") or ""
    ref = url.rstrip("/").rsplit("/", 1)[-1]
    if source not in TITLES:
        return False
    section["title"] = TITLES[source].format(ref) if ref.isdigit() else "A variance"
    section["detail"] = ""
    return True


def blank_review_packs(apps):
    packs = apps.get_model("meetings", "ReviewPack")
    for pack in packs.objects.all().only("pk", "content"):
        sections = (pack.content or {}).get("sections") or []
        if any([_blank_section(section) for section in sections]):
            packs.objects.filter(pk=pack.pk).update(content=pack.content)


def blank_action_items(apps):
    items = apps.get_model("meetings", "ActionItem")
    copied = items.objects.filter(explanation__isnull=False, description__startswith=COPIED_PLANNED_ACTION)
    copied.update(description="")


def forwards(apps, schema_editor):
    blank_agenda_items(apps)
    blank_review_packs(apps)
    blank_action_items(apps)


class Migration(migrations.Migration):
    dependencies = [("meetings", "0008_action_item_explanation")]

    # The copies are gone for good: going back leaves the references as they are.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
