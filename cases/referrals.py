"""The plug-in point through which service apps receive front-desk referrals.

The cases app imports none of the service apps: each of them registers a `Target` here from
its AppConfig.ready(), saying how to create (or link) its record for a case and how far that
record has got. The case shows the progress; referrals never picked up are listed as stuck.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    key: str  # e.g. "funds"
    label: str  # shown to the clerk, e.g. 帮扶资金
    record_label: str  # e.g. "funds.AidApplication"
    # create(by=, case=, data=) -> the new record's id; raises DomainError/Invalid to refuse
    create: Callable[..., str]
    # progress(ids) -> {id: ("sent" | "picked_up" | "done", text for the clerk)}
    progress: Callable[[list[str]], dict[str, tuple[str, str]]]
    # extra inputs the referral form asks for: [(name, label, kind)], kind "text" or "money"
    inputs: list[tuple[str, str, str]] = field(default_factory=list)
    # the URL name of the record's page, if any, taking its id
    url_name: str = ""


TARGETS: dict[str, Target] = {}


def register(target: Target) -> None:
    TARGETS[target.key] = target


def targets() -> list[Target]:
    return sorted(TARGETS.values(), key=lambda t: t.key)
