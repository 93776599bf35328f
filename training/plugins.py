"""How skills training plugs into the front desk (cases.referrals) and the person's card
(cases.cards): a referred case enrols the person in the class named (or puts them on its
waiting list); the card shows enrolments and certificates, which also feed job matching."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aidcenter.errors import Invalid
from aidcenter.roles import Action, can
from aidcenter.scope import scoped
from training import services
from training.models import Enrolment, TrainingClass


def refer(*, by, case, data: dict) -> str:
    raw = (data.get("training_class") or "").strip()
    training_class = TrainingClass.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    if training_class is None:
        raise Invalid({"training_class": [_("Give the number of an existing class.")]})
    enrolment = services.enrolment_create(
        by=by, person=case.person, training_class=training_class, org_unit=case.org_unit
    )
    return str(enrolment.pk)


def progress(ids: list[str]) -> dict[str, tuple[str, str]]:
    answers = {}
    for pk, status in Enrolment.objects.filter(pk__in=ids).values_list("pk", "status"):
        state = "done" if status in {"completed", "dropped"} else "picked_up"
        answers[str(pk)] = (state, str(Enrolment.Status(status).label))
    return answers


def card(*, user, person) -> dict | None:
    if not can(user, Action.READ):
        return None
    return {
        "enrolments": scoped(user, Enrolment)
        .filter(person=person)
        .select_related("training_class__course")
        .order_by("-training_class__starts_on")[:10],
        "certificates": services.certificates_of(user=user, person=person)[:10],
    }


def register() -> None:
    from cases import cards, referrals

    referrals.register(
        referrals.Target(
            key="training",
            label=gettext_lazy("Skills training"),
            record_label="training.Enrolment",
            create=refer,
            progress=progress,
            inputs=[("training_class", gettext_lazy("class number"), "text")],
        )
    )
    cards.register(
        cards.Section(
            key="training",
            title=gettext_lazy("Training and certificates"),
            template="training/card_training.html",
            context=card,
        )
    )
