"""The funds section of the person's card (cases.cards): the aid the person and their
household received, in the viewer's scope, with a link to the full list and its export."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aidcenter.roles import Action, can
from funds import services


def aid_context(*, user, person) -> dict | None:
    if not can(user, Action.READ):
        return None
    aid = services.aid_received(user=user, person=person)
    return {**aid, "url": reverse("admin:funds_person_aid", args=[person.pk])}


def register() -> None:
    from cases.cards import Section
    from cases.cards import register as register_section

    register_section(
        Section(
            key="funds",
            title=_("Aid received"),
            template="funds/card_aid.html",
            context=aid_context,
        )
    )
