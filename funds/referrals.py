"""Front-desk referrals into financial aid (cases.referrals): a referred case becomes a draft
aid application for the person (and their household file), which the fund roles then take."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aidcenter.errors import Invalid
from cases import services as cases_services
from funds import services
from funds.models import AidApplication, AidType

# The aid type a case's category most likely asks for; the clerk corrects the draft if not.
AID_TYPE_FOR = {
    "medical": AidType.MEDICAL,
    "schooling": AidType.SCHOOLING,
    "living_hardship": AidType.LIVING,
}

PICKED_UP = {"submitted", "approved", "rejected"}


def create(*, by, case, data: dict) -> str:
    if not data.get("amount"):
        raise Invalid({"amount": [_("Give the amount applied for.")]})
    application = services.application_create(
        by=by,
        org_unit=case.org_unit,
        person=case.person,
        worker=cases_services.active_file_of(case.person),
        data={
            "aid_type": AID_TYPE_FOR.get(case.category, AidType.EMERGENCY),
            "amount": data["amount"],
            "reason": f"{case.reference}：{case.summary}",
        },
    )
    return str(application.pk)


def progress(ids: list[str]) -> dict[str, tuple[str, str]]:
    answers = {}
    for pk, status in AidApplication.objects.filter(pk__in=ids).values_list("pk", "status"):
        state = "done" if status == "paid" else "picked_up" if status in PICKED_UP else "sent"
        answers[str(pk)] = (state, str(AidApplication.Status(status).label))
    return answers


def register() -> None:
    from cases.referrals import Target
    from cases.referrals import register as register_target

    register_target(
        Target(
            key="funds",
            label=gettext_lazy("Financial aid"),
            record_label="funds.AidApplication",
            create=create,
            progress=progress,
            inputs=[("amount", gettext_lazy("amount applied for"), "money")],
        )
    )
