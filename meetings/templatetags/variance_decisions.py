"""The meeting page's "decision about a variance" form asks costdata which variances it may name."""

from __future__ import annotations

from typing import Any

from django import template

from costdata.variances.selectors import variances_for_meeting_decision

register = template.Library()


@register.simple_tag
def variances_for_decision(meeting: Any) -> list[Any]:
    return variances_for_meeting_decision(meeting=meeting)
