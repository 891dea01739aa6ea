"""The one way a service changes a model's fields: set what differs, say what changed.

Callers save with `update_fields=changed` and audit only when the list is not empty, so an update
that changes nothing writes nothing (Zulip's do_set_realm_property returns early the same way).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db.models import Model


def apply_changes(
    *, instance: Model, changes: Mapping[str, object], fields: Iterable[str] | None = None
) -> list[str]:
    """Set each field of `changes` whose value differs on `instance`; return the names set, in order.

    `fields`, when given, are the only fields a caller may change: any other name is a TypeError (a
    programming error, not the user's input), and nothing is set.
    """
    if fields is not None:
        unknown = set(changes) - set(fields)
        if unknown:
            raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    changed = []
    for name, value in changes.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed
