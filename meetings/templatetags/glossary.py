from __future__ import annotations

from django import template
from django.utils.html import format_html

from meetings.glossary import term_url
from meetings.models import GlossaryTerm

register = template.Library()


@register.simple_tag(takes_context=True)
def glossary_link(context: template.Context, slug: str, text: str = "") -> str:
    """The term linked to its glossary entry, with its definition as the tooltip.

    The terms are read once per request (a dashboard links a dozen), not once per link.
    """
    request = context.get("request")
    terms = getattr(request, "_glossary_terms", None)
    if terms is None:
        terms = {t.slug: t for t in GlossaryTerm.objects.only("slug", "term", "definition")}
        if request is not None:
            request._glossary_terms = terms
    term = terms.get(slug)
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
