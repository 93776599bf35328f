"""The deadlines of the labour dispute law as DESIGN.md states them (legal/deadlines.py)."""

import datetime

import pytest

from legal import deadlines
from legal.deadlines import Facts

D = datetime.date


# --- art. 27: the one-year arbitration limit ---------------------------------------------
def test_limitation_is_one_year_from_when_the_worker_knew():
    assert deadlines.limitation_ends_on(knew_on=D(2025, 3, 10)) == D(2026, 3, 10)


def test_limitation_from_29_february_ends_on_the_last_day_of_february():
    assert deadlines.limitation_ends_on(knew_on=D(2024, 2, 29)) == D(2025, 2, 28)


def test_no_limitation_runs_before_the_worker_knew_of_anything():
    assert deadlines.limitation_ends_on(knew_on=None) is None


@pytest.mark.parametrize(
    "restarted_on, ends_on",
    [
        (D(2025, 9, 1), D(2026, 9, 1)),  # pressed the claim: a full year from that day
        (D(2025, 3, 10), D(2026, 3, 10)),  # the same day as knowing: nothing changes
        (D(2025, 1, 1), D(2026, 3, 10)),  # a date before the period began restarts nothing
    ],
)
def test_limitation_restarts_from_an_interruption(restarted_on, ends_on):
    assert (
        deadlines.limitation_ends_on(knew_on=D(2025, 3, 10), restarted_on=restarted_on) == ends_on
    )


def test_wages_owed_in_a_continuing_job_run_no_limitation_until_the_job_ends():
    assert (
        deadlines.limitation_ends_on(
            knew_on=D(2020, 1, 31), wages_during_employment=True, employment_ended_on=None
        )
        is None
    )


def test_wages_owed_in_a_job_that_ended_run_one_year_from_the_end():
    assert deadlines.limitation_ends_on(
        knew_on=D(2020, 1, 31), wages_during_employment=True, employment_ended_on=D(2025, 6, 30)
    ) == D(2026, 6, 30)


def test_employer_agreeing_to_pay_after_the_job_ended_restarts_the_year():
    assert deadlines.limitation_ends_on(
        knew_on=D(2020, 1, 31),
        wages_during_employment=True,
        employment_ended_on=D(2025, 6, 30),
        restarted_on=D(2025, 12, 1),
    ) == D(2026, 12, 1)


# --- arts. 14, 43, 48, 50 ----------------------------------------------------------------------
def test_mediation_settles_within_15_days_of_the_application():
    assert deadlines.mediation_due_on(D(2026, 5, 1)) == D(2026, 5, 16)
    assert deadlines.mediation_due_on(None) is None


def test_award_within_45_days_of_acceptance_or_60_when_extended():
    assert deadlines.award_due_on(D(2026, 1, 5)) == D(2026, 2, 19)
    assert deadlines.award_due_on(D(2026, 1, 5), extended=True) == D(2026, 3, 6)
    assert deadlines.award_due_on(None, extended=True) is None


def test_a_lawsuit_within_15_days_of_receiving_the_award():
    assert deadlines.sue_by(D(2026, 3, 20)) == D(2026, 4, 4)
    assert deadlines.sue_by(None) is None


# --- which deadline binds at which stage ---------------------------------------------------
def test_at_intake_the_limitation_binds():
    facts = Facts(stage="intake", knew_on=D(2025, 10, 1))
    assert deadlines.next_deadline(facts) == ("limitation", D(2026, 10, 1))


def test_in_mediation_the_earlier_of_mediation_and_limitation_binds():
    facts = Facts(stage="mediation", knew_on=D(2025, 10, 1), mediation_applied_on=D(2026, 5, 1))
    assert deadlines.deadlines(facts) == [
        ("mediation", D(2026, 5, 16)),
        ("limitation", D(2026, 10, 1)),
    ]
    late = Facts(stage="mediation", knew_on=D(2025, 5, 10), mediation_applied_on=D(2026, 5, 1))
    assert deadlines.next_deadline(late) == ("limitation", D(2026, 5, 10))


def test_in_arbitration_the_award_then_the_lawsuit_binds_and_the_limitation_no_longer():
    waiting = Facts(
        stage="arbitration", knew_on=D(2025, 1, 1), arbitration_accepted_on=D(2026, 1, 5)
    )
    assert deadlines.deadlines(waiting) == [("award", D(2026, 2, 19))]
    awarded = Facts(
        stage="arbitration",
        arbitration_accepted_on=D(2026, 1, 5),
        award_received_on=D(2026, 2, 10),
    )
    assert deadlines.deadlines(awarded) == [("sue", D(2026, 2, 25))]


def test_hearings_and_follow_ups_count_and_a_closed_case_has_none():
    facts = Facts(stage="litigation", next_hearing_on=D(2026, 6, 3), follow_up_on=D(2026, 6, 1))
    assert deadlines.next_deadline(facts) == ("follow_up", D(2026, 6, 1))
    assert deadlines.deadlines(Facts(stage="closed", follow_up_on=D(2026, 6, 1))) == []
    assert deadlines.next_deadline(Facts(stage="litigation")) == ("", None)


@pytest.mark.parametrize(
    "due, expected",
    [
        (None, ""),
        (D(2026, 6, 9), "missed"),
        (D(2026, 6, 10), "due_soon"),
        (D(2026, 6, 17), "due_soon"),
        (D(2026, 6, 18), ""),
    ],
)
def test_flags_missed_and_due_within_seven_days(due, expected):
    assert deadlines.flag(due, today=D(2026, 6, 10)) == expected
