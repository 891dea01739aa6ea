"""What follows when a person's access changes: their logins' sessions and tokens, and other apps' hooks.

A person's role is read from their stakeholder record on every request (stakeholders.roles caches it on
the request's user object only), so a changed group takes effect at the next request of every session
and token. Ending the sessions and revoking the tokens as well means nothing issued under the old rights
outlives them: the person logs in again, and an integration gets a token made for what it may do now.

Apps above this one register a hook (`register_access_hook`, in their AppConfig.ready) to end what they
issued to a person: meetings revokes the person's calendar feeds. Hooks run inside the service's
transaction, when a person is deactivated or changes group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib.sessions.models import Session
from django.utils import timezone

from audit.recording import update_audited
from common.models import ApiToken
from stakeholders.models import Stakeholder

AccessHook = Callable[[Stakeholder], None]

_hooks: list[AccessHook] = []


def register_access_hook(hook: AccessHook) -> None:
    """Call `hook(stakeholder)` whenever a person is deactivated or changes group."""
    if hook not in _hooks:
        _hooks.append(hook)


def access_narrowed(*, stakeholder: Stakeholder) -> None:
    """Tell the registered apps that the person's access changed: they end what they issued to them."""
    for hook in list(_hooks):
        hook(stakeholder)


def sessions_end(*, user_ids: Iterable[int]) -> int:
    """Delete every unexpired session signed in as one of the users; returns how many ended.

    Sessions are stored signed and encoded (the database backend), so each is decoded to find its user:
    one pass over the live sessions, acceptable for a change an admin makes by hand.
    """
    wanted = {str(pk) for pk in user_ids}
    if not wanted:
        return 0
    live = Session.objects.filter(expire_date__gt=timezone.now())
    doomed = [s.pk for s in live.iterator() if str(s.get_decoded().get("_auth_user_id")) in wanted]
    if doomed:
        Session.objects.filter(pk__in=doomed).delete()
    return len(doomed)


def tokens_revoke(*, user_ids: Iterable[int]) -> int:
    """Revoke the users' API tokens still in use (audited); returns how many."""
    ids = sorted(set(user_ids))
    if not ids:
        return 0
    active = ApiToken.objects.filter(user_id__in=ids, revoked_at__isnull=True)
    return update_audited(active, revoked_at=timezone.now())
