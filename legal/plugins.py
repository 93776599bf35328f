"""How legal aid plugs into the front desk (cases.referrals) and the person's card
(cases.cards): a referred wage-arrears or labour-dispute case opens a legal case at intake with
the person as claimant; the card lists the person's legal cases with their deadlines."""

from __future__ import annotations

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

from aidcenter.roles import Action, can
from legal import deadlines, services
from legal.models import CaseType, LegalCase, Stage

# The front-desk category most likely meant; the caseworker corrects it at the first review.
CASE_TYPE_FOR = {
    "wage_arrears": CaseType.WAGE_ARREARS,
    "labour_dispute": CaseType.CONTRACT,
}


def refer(*, by, case, data: dict) -> str:
    employer, noted = None, ""
    code = (data.get("employer_credit_code") or "").strip()
    name = (data.get("employer_name") or "").strip()[:100]
    if code and not can(by, Action.RUN_SERVICES) and not services.employer_exists(code):
        # The front desk does not add to the employer catalogue: the caseworker will, from
        # what the clerk noted on the case.
        services.employer_exists(code, check=True)  # a malformed code is still refused
        noted = f" · {name} {code}".rstrip()
    elif code:
        employer = services.employer_find_or_create(by=by, credit_code=code, name=name)
    claimed = (data.get("amount_claimed") or "").strip() or "0"
    legal_case = services.legal_case_open(
        by=by,
        org_unit=case.org_unit,
        case_type=CASE_TYPE_FOR.get(case.category, CaseType.CONSULTATION),
        claimants=[{"person": case.person, "amount_claimed": claimed}],
        employer=employer,
        opened_on=timezone.localdate(),
        referred_from=case,
        data={"summary": f"{case.reference}：{case.summary}{noted}"},
    )
    return str(legal_case.pk)


def progress(ids: list[str]) -> dict[str, tuple[str, str]]:
    answers = {}
    rows = LegalCase.objects.filter(pk__in=ids).values_list("pk", "stage", "lawyer_id")
    for pk, stage, lawyer_id in rows:
        if stage == Stage.CLOSED:
            state = "done"
        elif stage != Stage.INTAKE or lawyer_id:
            state = "picked_up"
        else:
            state = "sent"
        answers[str(pk)] = (state, str(Stage(stage).label))
    return answers


def card(*, user, person) -> dict | None:
    if not can(user, Action.READ):
        return None
    today = timezone.localdate()
    rows = list(
        services.cases_of(user=user, person=person)
        .select_related("lawyer")
        .annotate(claimed=Sum("claimants__amount_claimed"))
        .annotate(recovered=Sum("claimants__amount_recovered"))[:10]
    )
    for row in rows:
        row.deadline_flag = deadlines.flag(row.next_deadline_on, today=today)
    return {"legal_cases": rows}


def register() -> None:
    from cases import cards, referrals

    referrals.register(
        referrals.Target(
            key="legal",
            label=gettext_lazy("Legal aid"),
            record_label="legal.LegalCase",
            create=refer,
            progress=progress,
            inputs=[
                ("employer_credit_code", gettext_lazy("employer's credit code"), "text"),
                ("employer_name", gettext_lazy("employer's name"), "text"),
                ("amount_claimed", gettext_lazy("amount claimed"), "money"),
            ],
        )
    )
    cards.register(
        cards.Section(
            key="legal",
            title=gettext_lazy("Legal cases"),
            template="legal/card_legal.html",
            context=card,
        )
    )
