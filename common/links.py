"""Links that leave the product (e-mails, calendar files, feed addresses): a path made absolute on
SITE_URL, written once."""

from __future__ import annotations

from django.conf import settings


def absolute_url(path: str = "") -> str:
    """SITE_URL (without its trailing slash) followed by `path`; the site itself for no path."""
    return settings.SITE_URL.rstrip("/") + path
