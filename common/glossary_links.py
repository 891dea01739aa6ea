"""Where a glossary term's entry sits on the glossary page: the anchor "term-<slug>".

One rule, owned below every app, so that the glossary (meetings) and the charts that link their terms
to it (costdata) agree without costdata importing meetings. Pure: no Django.
"""

from __future__ import annotations


def term_anchor(slug: str) -> str:
    return f"term-{slug}"
