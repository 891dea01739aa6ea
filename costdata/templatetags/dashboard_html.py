"""The dashboards' biggest repeated markup, built in Python: a chart's table body (hundreds of cells)
and a filter's options (one per account). The template engine resolves and escapes each cell on its
own, which made these loops most of a dashboard's render time; here each value is escaped once with
the same rules as autoescaping (django.utils.html.escape)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from common.lru import LRU

register = template.Library()


BODIES_KEPT = 256
_BODIES: LRU[SafeString] = LRU(BODIES_KEPT)


@register.simple_tag
def table_body(cells: Sequence[Sequence[tuple[str, bool]]], columns: int, key: str = "") -> SafeString:
    """<tr> rows from tables.table_cells (text, reads as a number); "No rows." when there are none.

    `key` (costdata.dashboards.tables.page_table's digest of the cells) lets the same table's markup be reused."""
    if not cells:
        return mark_safe(f'<tr><td colspan="{int(columns)}" class="muted">No rows.</td></tr>')
    if key:
        return _BODIES.get_or_build(key, lambda: _rows(cells))
    return _rows(cells)


def _rows(cells: Sequence[Sequence[tuple[str, bool]]]) -> SafeString:
    return mark_safe(
        "".join(
            "<tr>"
            + "".join(
                f'<td class="num">{escape(text)}</td>' if number else f"<td>{escape(text)}</td>"
                for text, number in row
            )
            + "</tr>"
            for row in cells
        )
    )


@register.simple_tag
def select_options(choices: Iterable[tuple[str, str]], selected: Any) -> SafeString:
    """<option>s for (value, label) pairs, the one equal to `selected` (compared as text) selected."""
    chosen = "" if selected in (None, "") else str(getattr(selected, "pk", selected))
    return mark_safe(
        "".join(
            f'<option value="{escape(value)}"{" selected" if str(value) == chosen else ""}>{escape(label)}</option>'
            for value, label in choices
        )
    )
