"""Tasks of the project itself."""

import gc
from typing import Any

from celery import shared_task
from django.db import connection


@shared_task(name="partnership.ping")
def ping(payload: str = "") -> dict[str, Any]:
    """Round-trips through a worker: proves the broker, the worker and the worker's database connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return {
        "echo": payload,
        "database": one == 1,
        "vendor": connection.vendor,
        # Start-up objects kept out of the collector's sight (partnership.celery.freeze_start_up_objects).
        "gc_frozen_objects": gc.get_freeze_count(),
    }
