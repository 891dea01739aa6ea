"""Cost scopes and the rule that picks one owner for a cost row. No Django imports: pure and fast.

A scope is what an owner claims: an AWS account, an allocation-tag value (key=value), a cost-category
value (category=value) or a service. A cost row (account, service, tags, cost categories) usually falls
in several claimed scopes; `resolve` picks the one that decides its owner.

Precedence, most specific first:
  1. allocation tag      - a tag names the workload that produced the cost, so it beats where it ran;
  2. cost category       - an organisation-defined grouping, usually built from accounts and tags;
  3. account             - who runs the account answers for what is in it;
  4. service             - the catch-all (e.g. a platform team owning "AWS Support").
Within a kind, when several of a row's tags (or categories) are claimed, the key that sorts first wins,
so the answer never depends on dict order. Within one scope the primary claim wins; the product keeps
exactly one primary per claimed scope.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

ACCOUNT = "account"
TAG = "tag"
COST_CATEGORY = "cost_category"
SERVICE = "service"

KINDS: tuple[str, ...] = (TAG, COST_CATEGORY, ACCOUNT, SERVICE)  # in order of precedence
KIND_LABELS = {
    ACCOUNT: "AWS account",
    TAG: "Allocation tag",
    COST_CATEGORY: "Cost category",
    SERVICE: "Service",
}
KEYED_KINDS = frozenset({TAG, COST_CATEGORY})

ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
ACCOUNT_ID_PATTERN = r"^[0-9]{12}$"
MAX_KEY = 128
MAX_VALUE = 256


@dataclass(frozen=True, order=True)
class Scope:
    kind: str
    key: str
    value: str

    def __str__(self) -> str:
        return describe(self.kind, self.key, self.value)


def describe(kind: str, key: str, value: str) -> str:
    if kind == ACCOUNT:
        return f"account {value}"
    if kind == SERVICE:
        return f"service {value}"
    if kind == TAG:
        return f"tag {key}={value}"
    if kind == COST_CATEGORY:
        return f"cost category {key}={value}"
    return f"{kind} {key}={value}"


def account_id_error(value: str) -> str | None:
    """The message for a malformed AWS account id, or None when it is exactly 12 digits."""
    if ACCOUNT_ID.match(value or ""):
        return None
    digits = sum(ch.isdigit() for ch in value or "")
    if value and digits == len(value):
        return f"An AWS account id is exactly 12 digits; {value!r} has {digits}."
    return f"An AWS account id is exactly 12 digits (0-9 only); got {value!r}."


def scope_errors(kind: str, key: str, value: str) -> dict[str, str]:
    """Field -> message for everything wrong with a scope; empty when it is valid.

    Fields are named as the forms and the API name them: scope_kind, scope_key, scope_value.
    """
    errors: dict[str, str] = {}
    if kind not in KINDS:
        errors["scope_kind"] = f"Unknown scope kind {kind!r}; choose one of {', '.join(KINDS)}."
        return errors
    if kind in KEYED_KINDS:
        noun = "tag key" if kind == TAG else "cost category name"
        if not key.strip():
            errors["scope_key"] = f"A {KIND_LABELS[kind].lower()} scope needs a {noun}."
        elif len(key) > MAX_KEY:
            errors["scope_key"] = f"The {noun} is longer than {MAX_KEY} characters."
        elif key != key.strip():
            errors["scope_key"] = f"The {noun} has leading or trailing spaces."
    elif key:
        errors["scope_key"] = f"A {KIND_LABELS[kind].lower()} scope has no key; leave it empty."
    if kind == ACCOUNT:
        message = account_id_error(value)
        if message:
            errors["scope_value"] = message
    elif not value.strip():
        errors["scope_value"] = f"A {KIND_LABELS[kind].lower()} scope needs a value."
    elif len(value) > MAX_VALUE:
        errors["scope_value"] = f"The value is longer than {MAX_VALUE} characters."
    elif value != value.strip():
        errors["scope_value"] = "The value has leading or trailing spaces."
    return errors


def row_scopes(
    *,
    account_id: str,
    service: str,
    tags: Mapping[str, str] | None = None,
    cost_categories: Mapping[str, str] | None = None,
) -> list[Scope]:
    """Every scope a cost row falls in, in order of precedence (the first claimed one decides)."""
    scopes = [Scope(TAG, k, v) for k, v in sorted((tags or {}).items()) if v]
    scopes += [Scope(COST_CATEGORY, k, v) for k, v in sorted((cost_categories or {}).items()) if v]
    if account_id:
        scopes.append(Scope(ACCOUNT, "", account_id))
    if service:
        scopes.append(Scope(SERVICE, "", service))
    return scopes


def resolve(
    claimed: Mapping[Scope, object],
    *,
    account_id: str,
    service: str,
    tags: Mapping[str, str] | None = None,
    cost_categories: Mapping[str, str] | None = None,
) -> tuple[Scope, object] | None:
    """The deciding (scope, claim) for a cost row among `claimed` (scope -> its primary claim)."""
    for scope in row_scopes(
        account_id=account_id, service=service, tags=tags, cost_categories=cost_categories
    ):
        if scope in claimed:
            return scope, claimed[scope]
    return None


LINE_KINDS = {
    "account": ACCOUNT,
    "tag": TAG,
    "cost_category": COST_CATEGORY,
    "category": COST_CATEGORY,
    "service": SERVICE,
}


def parse_scope_line(line: str) -> tuple[Scope | None, str | None]:
    """Read one "kind value" line: `account 210987654321`, `tag team=payments`,
    `cost_category Environment=prod`, `service Amazon Elastic Compute Cloud - Compute`.

    Returns (scope, None) or (None, message).
    """
    word, _, rest = line.strip().partition(" ")
    kind = LINE_KINDS.get(word.lower())
    if kind is None:
        return None, f"Start the line with account, tag, cost_category or service; got {line.strip()!r}."
    rest = rest.strip()
    key = ""
    if kind in KEYED_KINDS:
        key, sep, rest = rest.partition("=")
        if not sep:
            return None, f"Write a {KIND_LABELS[kind].lower()} as key=value; got {line.strip()!r}."
        key, rest = key.strip(), rest.strip()
    errors = scope_errors(kind, key, rest)
    if errors:
        return None, " ".join(errors.values())
    return Scope(kind, key, rest), None


def scope_line(scope: Scope) -> str:
    if scope.kind in KEYED_KINDS:
        return f"{scope.kind} {scope.key}={scope.value}"
    return f"{scope.kind} {scope.value}"
