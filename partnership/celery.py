"""The Celery application: configured from Django settings (namespace CELERY_), tasks autodiscovered."""

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnership.settings")

app = Celery("partnership")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def use_django_logging(**kwargs: object) -> None:
    """Workers log through Django's LOGGING (one line per event, task id on each line)."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
