"""Liveness of what the product depends on: the database and the Celery broker."""

from __future__ import annotations

from typing import Any

from django.db import connections


def database_status() -> dict[str, Any]:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down", reported with its type
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "vendor": connections["default"].vendor}


def broker_status(url: str | None = None, timeout: int = 2) -> dict[str, Any]:
    from partnership.celery import app

    try:
        with app.connection_for_write(url) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
            client = getattr(connection.default_channel, "client", None)
            if client is not None and hasattr(client, "ping"):
                # Redis connections are pooled and lazy: only a round trip proves the server is there.
                client.ping()
            transport = connection.transport_cls
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "transport": str(transport)}
