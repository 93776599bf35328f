"""Legal aid plugs into the front desk: a referred case opens a legal case at intake with the
person as claimant; the person's card lists their legal cases; the home page shows deadlines."""

import datetime

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from aidcenter import home
from aidcenter.errors import Invalid
from cases import cards, desk
from cases.models import Referral
from legal import services
from legal.models import LegalCase
from tests.factories import PersonFactory
from tests.jobs.factories import make_credit_code


@pytest.fixture
def visit(staff, units):
    person = PersonFactory(name="陈建国", org_unit=units.a, is_migrant=True)

    def make(category="wage_arrears"):
        return desk.case_log(
            by=staff.desk_a,
            org_unit=units.a,
            person=person,
            data={"channel": "walk_in", "category": category, "summary": "工地欠薪三个月"},
        )

    return person, make


def test_a_wage_arrears_referral_opens_a_legal_case_with_the_person_as_claimant(
    staff, visit, employer
):
    person, make = visit
    case = make()
    referral = desk.case_refer(
        by=staff.desk_a,
        case=case,
        target="legal",
        data={"employer_credit_code": employer.credit_code, "amount_claimed": "9600"},
    )
    legal_case = LegalCase.objects.get(pk=referral.record_id)
    assert (legal_case.case_type, legal_case.stage, legal_case.employer) == (
        "wage_arrears",
        "intake",
        employer,
    )
    assert (legal_case.org_unit, legal_case.referred_from, legal_case.is_legal_aid) == (
        case.org_unit,
        case,
        True,
    )
    assert legal_case.summary == f"{case.reference}：工地欠薪三个月"
    claimant = legal_case.claimants.get()
    assert (claimant.person, str(claimant.amount_claimed)) == (person, "9600.00")
    [row] = desk.refresh_referrals(Referral.objects.all())
    assert (row.status, row.progress_text) == ("sent", "受理")
    services.stage_move(by=staff.case_a, case=legal_case, to="mediation")
    [row] = desk.refresh_referrals(Referral.objects.all())
    assert row.status == "picked_up"


def test_a_labour_dispute_referral_and_an_unknown_employer(staff, visit):
    _person, make = visit
    code = make_credit_code(777)
    # A caseworker's referral adds an employer the catalogue lacks.
    referral = desk.case_refer(
        by=staff.case_a,
        case=make("labour_dispute"),
        target="legal",
        data={"employer_credit_code": code, "employer_name": "新开劳务有限公司"},
    )
    legal_case = LegalCase.objects.get(pk=referral.record_id)
    assert (legal_case.case_type, legal_case.employer.name) == ("contract", "新开劳务有限公司")
    # The front desk's does not: the case opens without one, the employer noted on it.
    referral = desk.case_refer(
        by=staff.desk_a,
        case=make(),
        target="legal",
        data={"employer_credit_code": make_credit_code(778), "employer_name": "某包工头"},
    )
    legal_case = LegalCase.objects.get(pk=referral.record_id)
    assert legal_case.employer is None
    assert legal_case.summary.endswith(f" · 某包工头 {make_credit_code(778)}")
    with pytest.raises(Invalid):
        desk.case_refer(
            by=staff.desk_a,
            case=make(),
            target="legal",
            data={"employer_credit_code": "not-a-code"},
        )


def test_the_card_lists_the_persons_legal_cases_in_scope(staff, visit, open_case, units):
    person, _make = visit
    today = timezone.localdate()
    open_case(person, amounts=["500"], data={"follow_up_on": today - datetime.timedelta(days=2)})
    shown = {s["title"]: s for s in cards.render_context(user=staff.case_a, person=person)}
    section = shown["法律援助案件"]
    [row] = section["context"]["legal_cases"]
    assert (str(row.claimed), str(row.recovered), row.deadline_flag) == ("500.00", "0.00", "missed")
    html = render_to_string(section["template"], {"data": section["context"]})
    assert "500.00" in html and "期限已过" in html
    elsewhere = {s["title"]: s for s in cards.render_context(user=staff.case_b, person=person)}
    assert elsewhere["法律援助案件"]["context"]["legal_cases"] == []


def test_the_home_page_panel_counts_deadlines_in_scope(staff, open_case):
    today = timezone.localdate()
    open_case(data={"next_hearing_on": today + datetime.timedelta(days=1)})
    [panel] = [p for p in home.PANELS if p.template == "legal/_deadline_panel.html"]
    assert panel.context(user=staff.case_a) == {"missed": 0, "due_soon": 1}
    html = render_to_string(panel.template, {"data": panel.context(user=staff.case_a)})
    assert "?deadline=due_soon" in html
