"""The audit trail's wiring: who made a change and through which channel, and bulk writes.

django-auditlog writes one `AuditLogEntry` per change to a registered model (the list is
settings.AUDITLOG_INCLUDE_TRACKING_MODELS) from the model signals. This module tells it the rest:

- `audit_context(channel, ...)` says where the code now running came from. The middleware opens one per
  request (admin, api or page by path), a Celery signal one per task, `AuditedCommand` one per
  management command. Contexts nest (an eager task inside a request) and are undone in order.
- A pre_save receiver on the log entry copies the context onto each new row: the channel, the actor
  (resolved when the row is written, so a DRF token user authenticated inside the view counts), the
  caller's address and the correlation id (the request id, or the task id).
- Queryset `.update()` and `bulk_create()` send no model signals, so the services that use them call
  `update_audited` and `log_bulk_created` instead.

auditlog ships `set_actor`/`set_extra_data` for the same purpose; they are not used because leaving a
nested context does not restore the outer one, and the actor is fixed before DRF authenticates a token.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from auditlog.diff import model_instance_diff
from auditlog.registry import auditlog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import models, transaction
from django.db.models.signals import pre_save
from django.http import HttpRequest, HttpResponse
from django.urls import get_script_prefix, get_urlconf, reverse

from audit.models import AuditLogEntry, Channel
from common.client import client_address

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class AuditContext:
    channel: str
    actor: Any = None
    request: HttpRequest | None = None
    remote_addr: str | None = None
    cid: str | None = None

    def resolved_actor(self) -> Any:
        """The user behind the change: the one given, else the request's (read late, see module doc)."""
        user = self.actor
        if user is None and self.request is not None:
            user = getattr(self.request, "user", None)
        if isinstance(user, get_user_model()) and user.is_authenticated:
            return user
        return None


_context: ContextVar[AuditContext | None] = ContextVar("audit_context", default=None)


def current_cid() -> str | None:
    """AUDITLOG_CID_GETTER: the correlation id of the request or task now running."""
    context = _context.get()
    return context.cid if context is not None else None


@contextmanager
def audit_context(
    channel: str,
    *,
    actor: Any = None,
    request: HttpRequest | None = None,
    remote_addr: str | None = None,
    cid: str | None = None,
) -> Iterator[AuditContext]:
    """Changes made inside are recorded as coming through `channel` (a `Channel` value)."""
    context = AuditContext(
        channel=Channel(channel).value, actor=actor, request=request, remote_addr=remote_addr, cid=cid
    )
    token = _context.set(context)
    try:
        yield context
    finally:
        _context.reset(token)


@contextmanager
def acting_as(actor: Any) -> Iterator[None]:
    """Changes made inside are recorded as `actor`'s, in the channel already open (system if none)."""
    if not getattr(actor, "is_authenticated", False):
        yield
        return
    outer = _context.get()
    context = (
        dataclasses.replace(outer, actor=actor)
        if outer is not None
        else AuditContext(channel=Channel.SYSTEM.value, actor=actor)
    )
    token = _context.set(context)
    try:
        yield
    finally:
        _context.reset(token)


def acting_as_actor(function: Callable[P, R] | None = None, *, arg: str = "actor") -> Any:
    """Decorates a service taking the acting user as keyword `arg`: its writes are recorded as theirs.

    Use bare (`@acting_as_actor`) for a service whose keyword is `actor`, or name it:
    `@acting_as_actor(arg="created_by")`.
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with acting_as(kwargs.get(arg)):
                return function(*args, **kwargs)

        return wrapper

    return decorate(function) if function is not None else decorate


def _drop_reverse_relations(entry: AuditLogEntry) -> None:
    """auditlog diffs a created or deleted object over all of _meta.get_fields(), reverse relations
    included ("meetings": "meetings.Meeting.None"); keep the model's own columns and m2m changes."""
    if not isinstance(entry.changes, dict) or entry.content_type_id is None:
        return
    model = entry.content_type.model_class()
    if model is None:
        return
    own = {f.name for f in model._meta.concrete_fields}
    entry.changes = {k: v for k, v in entry.changes.items() if k in own or isinstance(v, dict)}


def _keep_actor_name(entry: AuditLogEntry) -> None:
    """The actor's username, kept on the row: when the account is deleted (actor becomes NULL) and it had
    no e-mail, the row still says who it was."""
    if entry.actor is not None and not entry.actor_username:
        entry.actor_username = entry.actor.get_username()


def _fill_from_context(sender: type[AuditLogEntry], instance: AuditLogEntry, **kwargs: Any) -> None:
    if not instance._state.adding:
        return
    _drop_reverse_relations(instance)
    _keep_actor_name(instance)
    context = _context.get()
    if context is None:
        return
    if instance.channel == Channel.SYSTEM:
        instance.channel = context.channel
    if instance.actor_id is None:
        actor = context.resolved_actor()
        if actor is not None:
            instance.actor = actor
            instance.actor_email = getattr(actor, "email", None) or None
            _keep_actor_name(instance)
    if instance.remote_addr is None and context.remote_addr:
        instance.remote_addr = context.remote_addr
    if not instance.cid and context.cid:
        instance.cid = context.cid


pre_save.connect(_fill_from_context, sender=AuditLogEntry, dispatch_uid="audit.recording.fill_from_context")


# --- Entry points --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _admin_prefix(urlconf: str, script_prefix: str) -> str:
    # The script prefix is part of the key: reverse() puts it in front of the address.
    return reverse("admin:index", urlconf=urlconf)


def channel_for_path(path: str) -> str:
    """admin under the admin site, api under /api/, page for everything else."""
    # The admin's address is fixed per URLconf: reversed once, not on every request.
    if path.startswith(_admin_prefix(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())):
        return Channel.ADMIN.value
    if path.startswith("/api/"):
        return Channel.API.value
    return Channel.PAGE.value


class AuditMiddleware:
    """Opens the audit context of each request. Goes after AuthenticationMiddleware."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        address = client_address(request)
        with audit_context(
            channel_for_path(request.path_info),
            request=request,
            remote_addr=address if address != "unknown" else None,
            cid=getattr(request, "request_id", None),
        ):
            return self.get_response(request)


_task_tokens: dict[str, Token[AuditContext | None]] = {}


def _task_started(task_id: str | None = None, **kwargs: Any) -> None:
    # A task run eagerly inside a request acts for that request's user.
    outer = _context.get()
    actor = outer.resolved_actor() if outer is not None else None
    token = _context.set(AuditContext(channel=Channel.TASK.value, actor=actor, cid=task_id))
    if task_id:
        _task_tokens[task_id] = token


def _task_finished(task_id: str | None = None, **kwargs: Any) -> None:
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        try:
            _context.reset(token)
        except ValueError:  # set in another context (cannot happen with Celery's pools); forget it
            _context.set(None)


def connect_task_signals() -> None:
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_task_started, weak=False, dispatch_uid="audit.recording.task_started")
    task_postrun.connect(_task_finished, weak=False, dispatch_uid="audit.recording.task_finished")


connect_task_signals()


class AuditedCommand(BaseCommand):
    """A management command whose changes are recorded as coming through the `command` channel."""

    def execute(self, *args: Any, **options: Any) -> Any:
        name = type(self).__module__.rsplit(".", 1)[-1]
        with audit_context(Channel.COMMAND.value, cid=f"command:{name}"):
            return super().execute(*args, **options)


# --- Writes that send no model signals -----------------------------------------------------------


def _tracked(model: type[models.Model]) -> bool:
    return auditlog.contains(model)


def log_bulk_created(objects: Iterable[models.Model]) -> int:
    """Record the creation of rows written with bulk_create (their primary keys must be set)."""
    count = 0
    for obj in objects:
        if not _tracked(type(obj)):
            continue
        if obj.pk is None:
            raise ValueError(f"{type(obj).__name__} has no primary key yet; log it after it is saved.")
        changes = model_instance_diff(None, obj)
        AuditLogEntry.objects.log_create(obj, action=AuditLogEntry.Action.CREATE, changes=changes)
        count += 1
    return count


def update_audited(queryset: models.QuerySet, **values: Any) -> int:
    """queryset.update(**values) with one audit row per changed row; returns the rows updated.

    The rows are read and locked first (SELECT ... FOR UPDATE on Postgres), so a conditional update
    used as a claim keeps its meaning: a row another transaction changed meanwhile is re-checked
    against the filter before it is counted.
    """
    for name, value in values.items():
        if hasattr(value, "resolve_expression"):
            raise ValueError(f"update_audited needs plain values; {name} is an expression.")
    with transaction.atomic():
        before = list(queryset.select_for_update())
        if not before:
            return 0
        updated = queryset.model._default_manager.filter(pk__in=[o.pk for o in before]).update(**values)
        if _tracked(queryset.model):
            for old in before:
                new = copy.copy(old)
                for name, value in values.items():
                    setattr(new, name, value)
                changes = model_instance_diff(old, new, fields_to_check=list(values))
                if changes:
                    AuditLogEntry.objects.log_create(new, action=AuditLogEntry.Action.UPDATE, changes=changes)
        return updated
