"""API authentication by named, revocable tokens: `Authorization: Token <key>` as DRF clients expect."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import backends
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from common.models import ApiToken, token_digest
from common.types import User

# Writing last_used_at on every request would turn each read into a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenAuthentication(TokenAuthentication):
    model = ApiToken

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        # The user's stakeholder record (their role, which every permission asks) comes in the same query.
        token = (
            ApiToken.objects.select_related("user", "user__stakeholder")
            .filter(digest=token_digest(key))
            .first()
        )
        if token is None or not token.active:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token


class ModelBackend(backends.ModelBackend):
    """Django's ModelBackend, loading the user's stakeholder record (their role) with the user.

    Every page and API request asks the user's role (stakeholders.roles.role_of): with the record in the
    session user's query, that is one query per request instead of two.
    """

    def get_user(self, user_id: int | str) -> User | None:
        try:
            user = User._default_manager.select_related("stakeholder").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
