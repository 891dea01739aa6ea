"""Panels other apps add to a stakeholder's page, without stakeholders depending on them.

An app registers a Section in its AppConfig.ready(); the stakeholder page renders each in order with
the context its function returns (return None to leave the panel out for that viewer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from stakeholders.models import Stakeholder


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    template: str
    context: Callable[[Stakeholder, HttpRequest], dict[str, Any] | None]
    order: int = 100


_sections: dict[str, Section] = {}


def register(section: Section) -> None:
    _sections[section.key] = section


def sections_for(stakeholder: Stakeholder, request: HttpRequest) -> list[tuple[Section, dict[str, Any]]]:
    rendered = []
    for section in sorted(_sections.values(), key=lambda s: (s.order, s.key)):
        context = section.context(stakeholder, request)
        if context is not None:
            rendered.append((section, context))
    return rendered
