"""API tokens: issue and revoke (the key is shown once; only its digest is kept)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from common.models import ApiToken, token_digest
from common.types import User

MAX_ACTIVE_TOKENS = 20


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # shown to the user once, never stored


@transaction.atomic
def api_token_create(*, user: User, name: str, expires_on: date | None = None) -> IssuedToken:
    """A new token for the user; with `expires_on`, it stops working at the start of that day (the
    organisation's time zone)."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the token after what will use it."})
    if len(name) > 100:
        raise ValidationError({"name": "At most 100 characters."})
    expires_at = None
    if expires_on is not None:
        if expires_on <= timezone.localdate():
            raise ValidationError({"expires_on": "Choose a day after today."})
        expires_at = timezone.make_aware(datetime.combine(expires_on, time.min))
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            {"name": f"You already have {MAX_ACTIVE_TOKENS} active tokens: revoke one first."}
        )
    key = secrets.token_hex(20)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:8], digest=token_digest(key), expires_at=expires_at
    )
    return IssuedToken(token=token, key=key)


def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; another user's token is reported as not found."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise ApiToken.DoesNotExist(f"No token {token_id} of yours.")
    return api_tokens_revoke(tokens=ApiToken.objects.filter(pk=token.pk))[0]


@transaction.atomic
def api_tokens_revoke(*, tokens: QuerySet[ApiToken]) -> list[ApiToken]:
    """Revoke tokens (anyone's: the admin's action); already revoked ones keep their first revocation."""
    revoking = list(tokens.select_for_update())
    now = timezone.now()
    for token in revoking:
        if token.revoked_at is None:
            token.revoked_at = now
            token.save(update_fields=["revoked_at"])
    return revoking
