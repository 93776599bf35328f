"""What the home page offers: each app registers its links and panels from AppConfig.ready(),
so the shared package names no app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Link:
    title: str
    url_name: str
    action: str  # the role action needed to see it (aidcenter.roles.Action)
    text: str
    order: int = 50


@dataclass(frozen=True)
class Panel:
    """A small block on the home page; context(user) returns a dict or None to hide it."""

    template: str
    context: Callable[..., dict | None]
    order: int = 50


LINKS: list[Link] = []
PANELS: list[Panel] = []


def register_link(link: Link) -> None:
    if link not in LINKS:
        LINKS.append(link)


def register_panel(panel: Panel) -> None:
    if panel not in PANELS:
        PANELS.append(panel)
