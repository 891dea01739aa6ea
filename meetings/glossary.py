"""Linking to glossary terms from anywhere: a page, an email, an API response.

    from meetings.glossary import term_url
    term_url("amortised-cost")          # "/glossary/#term-amortised-cost"

In templates: {% load glossary %}{% glossary_link "amortised-cost" %} renders the term's name linked to
its entry with its definition as a tooltip; {% glossary_link "amortised-cost" "amortised" %} sets the
text. An unknown slug renders the text unlinked, so a renamed term never breaks a page.
"""

from __future__ import annotations

from django.urls import reverse

from common.glossary_links import term_anchor

__all__ = ["term_anchor", "term_url"]


def term_url(slug: str, *, absolute_base: str = "") -> str:
    return f"{absolute_base.rstrip('/')}{reverse('glossary-list')}#{term_anchor(slug)}"
