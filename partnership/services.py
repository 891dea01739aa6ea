"""Writes of the project itself: API tokens and the login throttle."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from partnership.models import ApiToken, token_digest

MAX_ACTIVE_TOKENS = 20


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # shown to the user once, never stored


@transaction.atomic
def api_token_create(*, user: AbstractBaseUser, name: str) -> IssuedToken:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the token after what will use it."})
    if len(name) > 100:
        raise ValidationError({"name": "At most 100 characters."})
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            {"name": f"You already have {MAX_ACTIVE_TOKENS} active tokens: revoke one first."}
        )
    key = secrets.token_hex(20)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:8], digest=token_digest(key))
    return IssuedToken(token=token, key=key)


def api_token_revoke(*, user: AbstractBaseUser, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; another user's token is reported as not found."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise ApiToken.DoesNotExist(f"No token {token_id} of yours.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


# --- login throttle ------------------------------------------------------------------------------
# Failures are counted per account and per client address in the shared cache (Redis in production),
# so every web worker sees the same count. Success clears the account's count.
def _keys(*, username: str, address: str) -> list[str]:
    return [f"login-failures:user:{username.strip().lower()}", f"login-failures:addr:{address}"]


def login_locked(*, username: str, address: str) -> bool:
    limits = (settings.LOGIN_FAILURES_PER_ACCOUNT, settings.LOGIN_FAILURES_PER_ADDRESS)
    counts = [cache.get(key, 0) for key in _keys(username=username, address=address)]
    return any(count >= limit for count, limit in zip(counts, limits, strict=True))


def login_failure_record(*, username: str, address: str) -> None:
    for key in _keys(username=username, address=address):
        cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)


def login_success_record(*, username: str) -> None:
    cache.delete(_keys(username=username, address="-")[0])
