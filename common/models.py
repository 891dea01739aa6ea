"""API tokens: the one record the API plumbing keeps. (Domain models live in the apps.)"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A named API token. Only its SHA-256 digest is stored: the key is shown once, at creation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'BI export'.")
    prefix = models.CharField(max_length=8, help_text="The key's first characters, to tell tokens apart.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="The token stops working at this moment; empty: until revoked."
    )

    class Meta:
        db_table = "partnership_apitoken"  # the table predates this package
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user}"

    @property
    def active(self) -> bool:
        """Neither revoked nor past its expiry."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())
