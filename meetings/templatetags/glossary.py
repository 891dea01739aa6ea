from __future__ import annotations

from django import template
from django.utils.html import format_html

from meetings.glossary import term_url
from meetings.models import GlossaryTerm

register = template.Library()


@register.simple_tag
def glossary_link(slug: str, text: str = "") -> str:
    """The term linked to its glossary entry, with its definition as the tooltip."""
    term = GlossaryTerm.objects.filter(slug=slug).only("term", "definition").first()
    if term is None:
        return format_html("{}", text or slug.replace("-", " "))
    return format_html(
        '<a class="glossary-term" href="{}" title="{}">{}</a>',
        term_url(slug),
        term.definition,
        text or term.term,
    )


@register.simple_tag
def glossary_url(slug: str) -> str:
    return term_url(slug)
