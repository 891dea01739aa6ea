"""Register the programme's periodic tasks with django-celery-beat (editable afterwards in the admin)."""

import json

from django.db import migrations

SCHEDULES = [
    ("Meetings: keep cadences' next meetings scheduled", "meetings.cadences_materialise", "0", "*"),
    ("Meetings: email agendas that are due", "meetings.agendas_send_due", "15", "*"),
]


def register(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, hour in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "args": json.dumps([]), "enabled": True}
        )


def unregister(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0002_seed_glossary_and_topics"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, unregister)]
