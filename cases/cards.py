"""The plug-in point for the person's card: each service app adds a section (aid received this
year, training, legal cases, job seeking) without the cases app importing it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    template: str  # rendered with the context the function returns
    # context(user=, person=) -> dict, or None to leave the section out for this user
    context: Callable[..., dict | None]


SECTIONS: dict[str, Section] = {}


def register(section: Section) -> None:
    SECTIONS[section.key] = section


def render_context(*, user, person) -> list[dict]:
    shown = []
    for section in sorted(SECTIONS.values(), key=lambda s: s.key):
        context = section.context(user=user, person=person)
        if context is not None:
            shown.append({"title": section.title, "template": section.template, "context": context})
    return shown
