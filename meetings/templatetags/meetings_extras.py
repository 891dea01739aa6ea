from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def person_url(stakeholder: Any) -> str:
    """The stakeholder's page. (reverse('stakeholder-detail') resolves to the API route of the same name.)"""
    get_url = getattr(stakeholder, "get_absolute_url", None)
    return get_url() if callable(get_url) else f"/people/{stakeholder.pk}/"


@register.simple_tag(takes_context=True)
def pop_new_feed_url(context: dict[str, Any]) -> str:
    """A feed URL just created or rotated: shown once, then forgotten."""
    request = context.get("request")
    return request.session.pop("new_feed_url", "") if request is not None else ""


@register.filter
def is_overdue(item: Any, today: Any) -> bool:
    return item.is_overdue(today)


@register.filter
def call_is_due(topic: Any, today: Any) -> bool:
    return topic.is_due(today)
