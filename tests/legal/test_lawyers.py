"""Duty lawyers (律师坐堂): the roster's duty days and the conflict check on assignment."""

import datetime

import pytest

from aidcenter.errors import DomainError, Invalid, Refused
from legal import services
from legal.models import PastClient
from tests.jobs.factories import EmployerFactory
from tests.legal.factories import DutySlotFactory, LawyerFactory, PastClientFactory


def test_a_lawyer_without_past_ties_to_the_employer_is_assigned(open_case, staff):
    lawyer = LawyerFactory()
    PastClientFactory(lawyer=lawyer)  # some other employer
    case = services.lawyer_assign(by=staff.case_a, case=open_case(), lawyer=lawyer)
    assert (case.lawyer, case.conflict_override_reason, case.conflict_overridden_by) == (
        lawyer,
        "",
        None,
    )


def test_a_lawyer_who_acted_for_the_employer_is_refused_with_the_conflict(
    open_case, staff, employer
):
    lawyer = LawyerFactory(name="张律师", firm="申江律师事务所")
    PastClientFactory(lawyer=lawyer, employer=employer)
    case = open_case()
    with pytest.raises(DomainError) as exc:
        services.lawyer_assign(by=staff.case_a, case=case, lawyer=lawyer)
    assert exc.value.code == "lawyer_conflict"
    assert exc.value.extra == {
        "conflicts": [
            {
                "lawyer": "张律师（申江律师事务所）",
                "firm": "申江律师事务所",
                "employer": employer.name,
            }
        ]
    }
    case.refresh_from_db()
    assert case.lawyer is None


def test_a_colleague_of_the_same_firm_is_refused_too(open_case, staff, employer):
    partner = LawyerFactory(firm="申江律师事务所")
    colleague = LawyerFactory(firm="申江律师事务所")
    PastClientFactory(lawyer=partner, employer=employer)
    with pytest.raises(DomainError) as exc:
        services.lawyer_assign(by=staff.case_a, case=open_case(), lawyer=colleague)
    assert exc.value.code == "lawyer_conflict"


def test_a_firm_recorded_without_a_lawyer_counts_for_its_lawyers(open_case, staff, employer):
    PastClient.objects.create(lawyer=None, firm="浦江律师事务所", employer=employer)
    with pytest.raises(DomainError):
        services.lawyer_assign(
            by=staff.case_a, case=open_case(), lawyer=LawyerFactory(firm="浦江律师事务所")
        )


def test_an_override_with_a_reason_assigns_and_is_recorded(open_case, staff, employer):
    lawyer = LawyerFactory()
    PastClientFactory(lawyer=lawyer, employer=employer)
    case = services.lawyer_assign(
        by=staff.case_a,
        case=open_case(),
        lawyer=lawyer,
        override_reason="  代理关系已于2019年终止，工人书面同意  ",
    )
    assert (case.lawyer, case.conflict_override_reason, case.conflict_overridden_by) == (
        lawyer,
        "代理关系已于2019年终止，工人书面同意",
        staff.case_a,
    )
    # A blank reason is no reason.
    with pytest.raises(DomainError):
        services.lawyer_assign(
            by=staff.case_a, case=open_case(), lawyer=lawyer, override_reason="   "
        )


def test_changing_the_employer_checks_the_assigned_lawyer_again(open_case, staff):
    lawyer = LawyerFactory()
    case = services.lawyer_assign(by=staff.case_a, case=open_case(), lawyer=lawyer)
    other = EmployerFactory()
    PastClientFactory(lawyer=lawyer, employer=other)
    with pytest.raises(DomainError) as exc:
        services.legal_case_update(by=staff.case_a, case=case, data={"employer": other})
    assert exc.value.code == "lawyer_conflict"
    case.refresh_from_db()
    assert case.employer != other


def test_front_desk_may_not_assign_and_retired_lawyers_are_not_assigned(open_case, staff):
    case = open_case()
    with pytest.raises(Refused):
        services.lawyer_assign(by=staff.desk_a, case=case, lawyer=LawyerFactory())
    with pytest.raises(Invalid):
        services.lawyer_assign(by=staff.case_a, case=case, lawyer=LawyerFactory(is_active=False))


def test_lawyers_on_duty_on_a_day_at_a_unit(units):
    tuesday = DutySlotFactory(org_unit=units.a, weekday=1).lawyer
    DutySlotFactory(lawyer=tuesday, org_unit=units.b, weekday=1)
    thursday = DutySlotFactory(org_unit=units.a, weekday=3).lawyer
    DutySlotFactory(org_unit=units.b, weekday=1)
    DutySlotFactory(org_unit=units.a, weekday=1, lawyer=LawyerFactory(is_active=False))
    a_tuesday = datetime.date(2026, 3, 3)
    assert list(services.lawyers_on_duty(on=a_tuesday, unit_ids={units.a.pk})) == [tuesday]
    assert list(services.lawyers_on_duty(on=a_tuesday + datetime.timedelta(days=2))) == [thursday]
