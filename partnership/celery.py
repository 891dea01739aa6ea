"""The Celery application: configured from Django settings (namespace CELERY_), tasks autodiscovered."""

import gc
import os

from celery import Celery
from celery.signals import setup_logging, worker_process_init, worker_ready

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


@worker_process_init.connect
@worker_ready.connect
def freeze_start_up_objects(**kwargs: object) -> None:
    """Move everything loaded at start-up (Django, the apps, botocore's service models) out of the
    garbage collector's sight: it lives as long as the process anyway. Otherwise every full
    collection walks those objects again, and a pull allocates millions of containers (botocore's
    parsed pages), which triggers many: decoding a million Cost Explorer groups took 2.3 times as
    long (bench/README.md). worker_process_init runs in each prefork child, worker_ready in a solo
    worker's own process."""
    gc.freeze()
