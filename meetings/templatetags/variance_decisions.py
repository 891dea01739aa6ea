"""The meeting page's "decision about a variance" form asks costdata which variances it may name."""

from __future__ import annotations

from django import template

from costdata.models import Variance
from costdata.variances.selectors import variances_for_meeting_decision
from meetings.models import Meeting

register = template.Library()


@register.simple_tag
def variances_for_decision(meeting: Meeting) -> list[Variance]:
    return variances_for_meeting_decision(meeting=meeting)
