"""Aggregates over the cost facts, kept per data version.

The facts change only when a pull or an import commits, or a source is deleted or renamed, and
`costdata.facts.selectors.facts_version()` changes with each of those. An aggregate over the facts is a
function of its arguments and the facts, so kept under a key made of both it stays exact until the
next write, and nothing ever has to be invalidated: new data makes new keys, and old entries age out
(least recently used in this process, FACTS_CACHE_SECONDS in the shared cache).

Two levels: a small in-process LRU (no serialising at all on a hit) in front of Django's cache (Redis
in production, shared by every web process and the Celery worker, which warms it after each pull:
costdata.tasks.warm_dashboards). Arguments must say everything the result depends on besides the
facts: Q conditions are keyed by their exact lookups and values (sorted where order does not matter);
a condition holding an expression (a subquery) cannot be keyed that way and is simply not cached.

Whole API responses (the costs API's pages, rendered to JSON) are kept the same way by
`response_cached`, in their own small LRU (a client walking many pages does not push the dashboards'
aggregates out) and for at most API_PAGE_CACHE_SECONDS: a repeated page then costs neither the
aggregation, nor the serializer, nor the renderer.
"""

from __future__ import annotations

import copy
import hashlib
import time
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import pandas as pd
from django.conf import settings
from django.core.cache import cache
from django.db.models import Q

from common.lru import LRU

T = TypeVar("T")
LOCAL_SIZE = 256
_LOCAL: LRU[Any] = LRU(LOCAL_SIZE)
_MISSING = object()
RESPONSES_LOCAL_SIZE = 64
_RESPONSES: LRU[tuple[float, bytes]] = LRU(RESPONSES_LOCAL_SIZE)


class Unkeyable(TypeError):
    """An argument whose value does not fully say what it selects (e.g. a Q holding a subquery)."""


def key_part(value: Any) -> Any:
    """A hashable, repr-stable stand-in for `value` that differs whenever the value selects differently."""
    if value is None or isinstance(value, str | int | bool | Decimal | date):
        return value
    if isinstance(value, Q):
        return ("Q", value.connector, value.negated, tuple(key_part(child) for child in value.children))
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        lookup, operand = value
        if isinstance(operand, set | frozenset):
            return (lookup, ("set", tuple(sorted(key_part(v) for v in operand))))
        if isinstance(operand, list | tuple) and all(type(v) is str for v in operand):
            return (lookup, tuple(operand))  # the common case, an IN list of ids: no recursion
        return (lookup, key_part(operand))
    if isinstance(value, set | frozenset):
        return ("set", tuple(sorted(key_part(v) for v in value)))
    if isinstance(value, list | tuple):
        return tuple(key_part(v) for v in value)
    if isinstance(value, Mapping):
        return ("map", tuple(sorted((str(k), key_part(v)) for k, v in value.items())))
    if hasattr(value, "__dataclass_fields__"):
        fields = value.__dataclass_fields__
        return (type(value).__qualname__, tuple((name, key_part(getattr(value, name))) for name in fields))
    raise Unkeyable(f"cannot key a {type(value).__qualname__}")


def facts_cached(namespace: str, arguments: Any, compute: Callable[[], T], *, version: str) -> T:
    """compute(), or the result it gave for the same namespace, arguments and facts version."""
    try:
        digest = hashlib.sha256(repr((namespace, version, key_part(arguments))).encode()).hexdigest()
    except Unkeyable:
        return compute()
    key = f"facts:{namespace}:{digest}"
    value = _LOCAL.get(key)
    if value is None:
        value = cache.get(key, _MISSING)
        if value is _MISSING:
            value = compute()
            cache.set(key, value, settings.FACTS_CACHE_SECONDS)
        if value is not None:
            _LOCAL.put(key, value)
    # A copy: callers may slice or add columns to the frames they get without touching the kept ones.
    return _copied(value)


def _copied(value: Any) -> Any:
    """A copy of the containers and frames in `value`; the values inside (Decimal, date, str, frozen
    dataclasses) are immutable and shared. Much cheaper than copy.deepcopy for frames of Decimals."""
    if isinstance(value, pd.DataFrame):
        return value.copy()
    if isinstance(value, list):
        return [_copied(v) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_copied(v) for v in value)
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, set):
        return set(value)
    if hasattr(value, "__dataclass_fields__") and not value.__dataclass_params__.frozen:
        return copy.deepcopy(value)
    return value


def response_cached(
    namespace: str, arguments: Any, render: Callable[[], bytes], *, version: str, seconds: int
) -> bytes:
    """render(), or the bytes it gave for the same namespace, arguments and facts version, made less than
    `seconds` ago. `arguments` must say everything the bytes depend on besides the facts (the full URL,
    the media type, the reader's visibility); an argument that cannot be keyed means no caching."""
    try:
        digest = hashlib.sha256(repr((namespace, version, key_part(arguments))).encode()).hexdigest()
    except Unkeyable:
        return render()
    key = f"response:{namespace}:{digest}"
    now = time.time()
    entry = _RESPONSES.get(key)
    if entry is None or entry[0] + seconds <= now:
        entry = cache.get(key)
        if entry is None or entry[0] + seconds <= now:
            entry = (now, render())
            cache.set(key, entry, seconds)
        _RESPONSES.put(key, entry)
    return entry[1]


def clear_local() -> None:
    """Forget this process's entries (tests; the shared cache is cleared with Django's cache)."""
    _LOCAL.clear()
    _RESPONSES.clear()
