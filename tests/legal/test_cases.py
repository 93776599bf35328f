"""Legal cases through their services: claimants and sums, eligibility, stage moves, the
limitation and its restart, recoveries."""

import datetime
from decimal import Decimal

import pytest

from aidcenter.errors import DomainError, Invalid, Refused
from legal import services
from legal.models import Claimant, Recovery, StageRecord
from tests.factories import PersonFactory
from tests.legal.factories import hardship_file

D = datetime.date


def _people(units, n, **kwargs):
    return [PersonFactory(org_unit=units.a, **kwargs) for _ in range(n)]


# --- claimants, sums, eligibility ---------------------------------------------------------
def test_many_workers_against_one_employer_with_amounts_per_claimant(open_case, units, employer):
    workers = _people(units, 3, is_migrant=True)
    case = open_case(*workers, amounts=["12000.00", "8500.50", "3000"])
    rows = list(case.claimants.order_by("id").values_list("person_id", "amount_claimed"))
    assert rows == [
        (workers[0].pk, Decimal("12000.00")),
        (workers[1].pk, Decimal("8500.50")),
        (workers[2].pk, Decimal("3000.00")),
    ]
    assert case.employer == employer and case.stage == "intake" and case.version == 2
    assert list(case.stages.values_list("stage", "started_on", "ended_on")) == [
        ("intake", D(2026, 1, 5), None)
    ]


def test_a_person_is_a_claimant_once_and_amounts_are_yuan(open_case, units):
    worker = PersonFactory(org_unit=units.a)
    with pytest.raises(Invalid) as twice:
        open_case(worker, worker, amounts=["1", "2"])
    assert twice.value.errors == {"claimants": ["第2名申请人重复填写。"]}
    with pytest.raises(Invalid) as cents:
        open_case(worker, amounts=["10.001"])
    assert list(cents.value.errors) == ["amount_claimed"]
    with pytest.raises(Invalid):
        open_case(worker, amounts=[-5])
    with pytest.raises(Invalid):
        open_case(worker, amounts=[0.1])  # floats are not money


def test_migrant_worker_owed_wages_gets_free_legal_aid(open_case, units):
    case = open_case(PersonFactory(org_unit=units.a, is_migrant=True))
    assert case.is_legal_aid is True
    assert case.claimants.get().eligibility == "migrant_wage_arrears"


def test_migrant_worker_in_another_kind_of_case_is_a_consultation(open_case, units):
    case = open_case(PersonFactory(org_unit=units.a, is_migrant=True), case_type="dismissal")
    assert case.is_legal_aid is False
    assert case.claimants.get().eligibility == "consultation"


def test_registered_hardship_file_gets_free_legal_aid_in_any_case(open_case, units):
    local = PersonFactory(org_unit=units.a, is_migrant=False)
    hardship_file(local)
    case = open_case(local, case_type="work_injury")
    assert (case.is_legal_aid, case.claimants.get().eligibility) == (True, "hardship_file")


def test_a_draft_file_is_not_yet_a_registered_hardship_file(open_case, units):
    local = PersonFactory(org_unit=units.a)
    hardship_file(local, status="draft")
    case = open_case(local, case_type="dismissal")
    assert (case.is_legal_aid, case.claimants.get().eligibility) == (False, "consultation")


def test_one_eligible_claimant_makes_the_case_legal_aid_and_type_changes_reassess(
    open_case, units, staff
):
    migrant, local = (
        PersonFactory(org_unit=units.a, is_migrant=True),
        PersonFactory(org_unit=units.a),
    )
    case = open_case(migrant, local, amounts=["100", "100"])
    assert case.is_legal_aid is True
    assert dict(case.claimants.values_list("person_id", "eligibility")) == {
        migrant.pk: "migrant_wage_arrears",
        local.pk: "consultation",
    }
    case = services.legal_case_update(by=staff.case_a, case=case, data={"case_type": "contract"})
    assert case.is_legal_aid is False
    assert set(case.claimants.values_list("eligibility", flat=True)) == {"consultation"}


def test_front_desk_may_open_at_intake_but_not_run_the_case(open_case, staff, units):
    case = open_case(by=staff.desk_a)
    assert case.stage == "intake"
    with pytest.raises(Refused):
        services.stage_move(by=staff.desk_a, case=case, to="mediation")
    with pytest.raises(Refused):
        open_case(by=staff.officer)  # reads, never enters
    with pytest.raises(Refused):
        open_case(by=staff.desk_b)  # PT-A lies outside PT-B's scope


def test_claimants_must_be_people_in_scope(open_case, units):
    with pytest.raises(Invalid) as elsewhere:
        open_case(PersonFactory(org_unit=units.b))
    assert elsewhere.value.errors == {"claimants": ["第1名申请人：查无此人。"]}


# --- stage moves --------------------------------------------------------------------------
def test_the_usual_road_intake_mediation_arbitration_litigation_closed(open_case, staff):
    case = open_case()
    by = staff.case_a
    case = services.stage_move(by=by, case=case, to="mediation", on=D(2026, 1, 10))
    assert case.mediation_applied_on == D(2026, 1, 10)
    case = services.stage_move(
        by=by, case=case, to="arbitration", on=D(2026, 1, 26), result="调解不成"
    )
    assert case.arbitration_accepted_on == D(2026, 1, 26)
    case = services.stage_move(by=by, case=case, to="litigation", on=D(2026, 3, 20))
    case = services.stage_move(
        by=by, case=case, to="closed", on=D(2026, 6, 1), outcome="judgment_won", result="胜诉"
    )
    assert (case.stage, case.closed_on, case.outcome) == ("closed", D(2026, 6, 1), "judgment_won")
    assert list(case.stages.values_list("stage", "started_on", "ended_on", "result")) == [
        ("intake", D(2026, 1, 5), D(2026, 1, 10), ""),
        ("mediation", D(2026, 1, 10), D(2026, 1, 26), "调解不成"),
        ("arbitration", D(2026, 1, 26), D(2026, 3, 20), ""),
        ("litigation", D(2026, 3, 20), D(2026, 6, 1), "胜诉"),
        ("closed", D(2026, 6, 1), D(2026, 6, 1), ""),
    ]
    assert case.next_deadline_on is None


@pytest.mark.parametrize(
    "path, refused",
    [
        ([], "litigation"),  # arbitration comes first (仲裁前置)
        (["arbitration"], "mediation"),  # no way back
        (["mediation", "arbitration", "litigation"], "arbitration"),
        (["arbitration", "litigation"], "labour_inspection"),
    ],
)
def test_moves_outside_the_road_are_refused(open_case, staff, path, refused):
    case = open_case()
    for stage in path:
        case = services.stage_move(by=staff.case_a, case=case, to=stage)
    with pytest.raises(DomainError) as exc:
        services.stage_move(by=staff.case_a, case=case, to=refused)
    assert exc.value.code == "invalid_move"
    assert StageRecord.objects.filter(legal_case=case).count() == len(path) + 1


def test_labour_inspection_is_a_route_for_wage_arrears_only(open_case, staff):
    arrears = services.stage_move(by=staff.case_a, case=open_case(), to="labour_inspection")
    assert arrears.stage == "labour_inspection"
    arrears = services.stage_move(by=staff.case_a, case=arrears, to="arbitration")
    assert arrears.stage == "arbitration"
    dismissal = open_case(case_type="dismissal")
    with pytest.raises(DomainError) as exc:
        services.stage_move(by=staff.case_a, case=dismissal, to="labour_inspection")
    assert exc.value.code == "invalid_move"


def test_a_consultation_only_closes(open_case, staff):
    case = open_case(case_type="consultation")
    with pytest.raises(DomainError):
        services.stage_move(by=staff.case_a, case=case, to="mediation")
    case = services.stage_move(by=staff.case_a, case=case, to="closed", outcome="advice_given")
    assert case.stage == "closed"


def test_closing_needs_an_outcome_and_a_closed_case_moves_no_more(open_case, staff):
    case = open_case()
    with pytest.raises(Invalid) as exc:
        services.stage_move(by=staff.case_a, case=case, to="closed")
    assert list(exc.value.errors) == ["outcome"]
    case = services.stage_move(by=staff.case_a, case=case, to="closed", outcome="withdrawn")
    with pytest.raises(DomainError):
        services.stage_move(by=staff.case_a, case=case, to="mediation")


def test_a_move_may_not_be_dated_before_the_current_stage_or_in_the_future(open_case, staff):
    case = open_case()
    with pytest.raises(Invalid):
        services.stage_move(by=staff.case_a, case=case, to="mediation", on=D(2026, 1, 4))
    with pytest.raises(Invalid):
        services.stage_move(
            by=staff.case_a, case=case, to="mediation", on=D.today() + datetime.timedelta(days=2)
        )


# --- the limitation on the case -----------------------------------------------------------
def test_limitation_is_kept_on_the_case_and_restarts_when_the_worker_presses(open_case, staff):
    case = open_case(data={"knew_of_violation_on": D(2025, 12, 1)})
    assert case.limitation_ends_on == D(2026, 12, 1)
    assert (case.next_deadline_kind, case.next_deadline_on) == ("limitation", D(2026, 12, 1))
    case = services.limitation_restart(
        by=staff.case_a, case=case, on=D(2026, 2, 1), reason="claim_pressed"
    )
    assert case.limitation_ends_on == D(2027, 2, 1)
    # An earlier interruption recorded later does not shorten the period.
    case = services.limitation_restart(
        by=staff.case_a, case=case, on=D(2026, 1, 10), reason="employer_agreed"
    )
    assert (case.limitation_restarted_on, case.limitation_ends_on) == (
        D(2026, 2, 1),
        D(2027, 2, 1),
    )
    case = services.limitation_restart(
        by=staff.case_a, case=case, on=D(2026, 3, 1), reason="employer_agreed"
    )
    assert (case.limitation_ends_on, case.limitation_restart_reason) == (
        D(2027, 3, 1),
        "employer_agreed",
    )


def test_wages_in_a_continuing_job_have_no_limitation_until_it_ends(open_case, staff):
    case = open_case(data={"knew_of_violation_on": D(2024, 1, 31), "wages_during_employment": True})
    assert case.limitation_ends_on is None and case.next_deadline_on is None
    case = services.legal_case_update(
        by=staff.case_a, case=case, data={"employment_ended_on": D(2026, 1, 15)}
    )
    assert case.limitation_ends_on == D(2027, 1, 15)


# --- recoveries ---------------------------------------------------------------------------
def test_recoveries_add_up_per_claimant_and_corrections_are_new_rows(open_case, staff, units):
    a, b = _people(units, 2, is_migrant=True)
    case = open_case(a, b, amounts=["5000", "3000"])
    services.recovery_record(by=staff.case_a, case=case, person=a, amount="2000", on=D(2026, 2, 1))
    services.recovery_record(by=staff.case_a, case=case, person=a, amount="3000", on=D(2026, 3, 1))
    services.recovery_record(by=staff.case_a, case=case, person=b, amount="1500", on=D(2026, 3, 1))
    services.recovery_record(by=staff.case_a, case=case, person=b, amount="-500", on=D(2026, 3, 2))
    assert dict(case.claimants.values_list("person_id", "amount_recovered")) == {
        a.pk: Decimal("5000.00"),
        b.pk: Decimal("1000.00"),
    }
    assert Recovery.objects.filter(claimant__legal_case=case).count() == 4
    with pytest.raises(Invalid):
        services.recovery_record(by=staff.case_a, case=case, person=b, amount="-1000.01")
    with pytest.raises(Invalid):
        services.recovery_record(
            by=staff.case_a, case=case, person=PersonFactory(org_unit=units.a), amount="1"
        )


def test_claimants_replaced_by_an_edit_keep_those_with_money_recovered(open_case, staff, units):
    a, b, c = _people(units, 3)
    case = open_case(a, b, amounts=["100", "200"])
    services.recovery_record(by=staff.case_a, case=case, person=a, amount="50", on=D(2026, 2, 1))
    case = services.legal_case_update(
        by=staff.case_a,
        case=case,
        data={},
        claimants=[{"person": a, "amount_claimed": "120"}, {"person": c, "amount_claimed": "80"}],
    )
    assert sorted(case.claimants.values_list("amount_claimed", flat=True)) == [
        Decimal("80.00"),
        Decimal("120.00"),
    ]
    with pytest.raises(DomainError) as exc:
        services.legal_case_update(
            by=staff.case_a, case=case, data={}, claimants=[{"person": c, "amount_claimed": "1"}]
        )
    assert exc.value.code == "claimant_has_recoveries"
    assert Claimant.objects.filter(legal_case=case).count() == 2
