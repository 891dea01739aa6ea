"""Wiring only: settings, root URLs, the Celery app, the home and login views, the demo and `rundemo`."""

from .celery import app as celery_app

__all__ = ("celery_app",)
