"""Who is asking, by network address: one rule for the login lock, the API's throttles and the audit trail.

Behind reverse proxies every request comes from the nearest proxy's address (REMOTE_ADDR). Each proxy
appends the address it saw to X-Forwarded-For, so with TRUSTED_PROXY_HOPS proxies in front of the
product, the client is the entry that many places from the end. Anything further left was written by the
client and is never trusted: a client rotating the header gets nowhere. With no trusted proxy (the
default) the header is ignored and REMOTE_ADDR is the client.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The client's address as the trusted proxies saw it; "unknown" when there is none to read."""
    remote = _address(request.META.get("REMOTE_ADDR") or "") or "unknown"
    hops: int = settings.TRUSTED_PROXY_HOPS
    if hops <= 0:
        return remote
    forwarded = [part for part in (request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",") if part.strip()]
    if not forwarded:
        return remote
    return _address(forwarded[-min(hops, len(forwarded))]) or remote
