"""Reads of the audit trail: an object's history, and the filtered list behind the audit page and API."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q, QuerySet
from django.urls import reverse

from audit.models import AuditLogEntry


def audit_entries() -> QuerySet[AuditLogEntry]:
    """Every entry, newest first, with what the list and its filters show."""
    return AuditLogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-pk")


def object_history_url(obj: Model) -> str:
    """The audit page filtered to this object."""
    content_type = ContentType.objects.get_for_model(type(obj))
    query = urlencode({"object_type": f"{content_type.app_label}.{content_type.model}", "object_id": obj.pk})
    return f"{reverse('audit-list')}?{query}"


@dataclass
class ObjectHistory:
    """The latest changes to one object, and where its full history is. Iterates over the entries."""

    entries: list[AuditLogEntry] = field(default_factory=list)
    url: str = ""
    more: bool = False
    content_type_id: int | None = None  # the object's own; other entries are about its parts

    def __iter__(self) -> Iterator[AuditLogEntry]:
        return iter(self.entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def history_for(obj: Model, *, parts: Iterable[QuerySet] = (), limit: int = 20) -> ObjectHistory:
    """The object's latest changes, with those of its `parts` (e.g. a meeting's attendance) interleaved."""
    content_type = ContentType.objects.get_for_model(type(obj))
    condition = Q(content_type=content_type, object_pk=str(obj.pk))
    for queryset in parts:
        part_type = ContentType.objects.get_for_model(queryset.model)
        ids = [str(pk) for pk in queryset.values_list("pk", flat=True)]
        if ids:
            condition |= Q(content_type=part_type, object_pk__in=ids)
    rows = list(audit_entries().filter(condition)[: limit + 1])
    return ObjectHistory(
        entries=rows[:limit],
        url=object_history_url(obj),
        more=len(rows) > limit,
        content_type_id=content_type.pk,
    )


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


def changes_of(entry: AuditLogEntry) -> list[Change]:
    """The entry's field changes as (field, old, new), for templates; values stay plain text."""
    rows = []
    for name, values in (entry.changes_dict or {}).items():
        if isinstance(values, dict):  # a many-to-many change: {"type": "m2m", "operation", "objects"}
            objects = ", ".join(str(o) for o in values.get("objects", []))
            if values.get("operation") == "delete":
                rows.append(Change(field=name, old=objects, new=""))
            else:
                rows.append(Change(field=name, old="", new=objects))
            continue
        old, new = (list(values) + ["", ""])[:2] if isinstance(values, list | tuple) else ("", values)
        rows.append(Change(field=name, old=_text(old), new=_text(new)))
    return rows


def _text(value: Any) -> str:
    if value is None or value == "None":
        return ""
    return str(value)
