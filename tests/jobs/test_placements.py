"""Placements, intents and guidance through the services: the rules and their error codes."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from aidcenter.errors import DomainError, Invalid, Refused
from jobs import services
from jobs.models import Placement, Vacancy, three_months_after
from tests.factories import PersonFactory
from tests.jobs.factories import JobSeekerFactory, VacancyFactory

START = datetime.date(2026, 3, 10)


def test_a_placement_counts_against_the_positions_and_a_soft_delete_frees_one(staff, units):
    vacancy = VacancyFactory(org_unit=units.a, positions=1)
    first, second = JobSeekerFactory(org_unit=units.a), JobSeekerFactory(org_unit=units.a)
    placement = services.placement_create(
        by=staff.case_a, seeker=first, vacancy=vacancy, started_on=START
    )
    assert (placement.org_unit, Vacancy.objects.get(pk=vacancy.pk).placed) == (units.a, 1)
    with pytest.raises(DomainError) as full:
        services.placement_create(by=staff.case_a, seeker=second, vacancy=vacancy, started_on=START)
    assert full.value.code == "vacancy_full"
    placement.deleted_at = timezone.now()
    placement.save()
    assert Vacancy.objects.get(pk=vacancy.pk).placed == 0
    services.placement_create(by=staff.case_a, seeker=second, vacancy=vacancy, started_on=START)
    assert Vacancy.objects.get(pk=vacancy.pk).placed == 1


def test_the_database_refuses_a_second_placement_of_a_seeker_in_a_vacancy(units):
    vacancy = VacancyFactory(org_unit=units.a, positions=5)
    seeker = JobSeekerFactory(org_unit=units.a)
    Placement.objects.create(org_unit=units.a, seeker=seeker, vacancy=vacancy, started_on=START)
    with pytest.raises(IntegrityError, match="placement_once_per_vacancy"), transaction.atomic():
        Placement.objects.create(org_unit=units.a, seeker=seeker, vacancy=vacancy, started_on=START)


def test_closed_vacancy_refuses_placements(staff, units):
    vacancy = VacancyFactory(org_unit=units.a, status="closed")
    with pytest.raises(DomainError) as closed:
        services.placement_create(
            by=staff.case_a,
            seeker=JobSeekerFactory(org_unit=units.a),
            vacancy=vacancy,
            started_on=START,
        )
    assert closed.value.code == "vacancy_closed"


def test_positions_cannot_drop_below_the_placed(staff, units):
    vacancy = VacancyFactory(org_unit=units.a, positions=2)
    for _ in range(2):
        services.placement_create(
            by=staff.case_a,
            seeker=JobSeekerFactory(org_unit=units.a),
            vacancy=vacancy,
            started_on=START,
        )
    with pytest.raises(DomainError) as refused:
        services.vacancy_update(by=staff.case_a, vacancy=vacancy, data={"positions": 1})
    assert refused.value.code == "positions_below_placed"
    updated = services.vacancy_update(by=staff.case_a, vacancy=vacancy, data={"positions": 4})
    assert (updated.positions, updated.placed, updated.positions_left) == (4, 2, 2)


def test_front_desk_may_register_seekers_but_not_place_them(staff, units):
    person = PersonFactory(org_unit=units.a)
    seeker = services.seeker_register(
        by=staff.desk_a, person=person, org_unit=units.a, desired_job="电工、焊工 / 保安"
    )
    assert seeker.desired_keywords == ["电工", "焊工", "保安"]
    with pytest.raises(Refused):
        services.placement_create(
            by=staff.desk_a,
            seeker=seeker,
            vacancy=VacancyFactory(org_unit=units.a),
            started_on=START,
        )


def test_registering_a_person_twice_is_a_conflict(staff, units):
    person = PersonFactory(org_unit=units.a)
    services.seeker_register(by=staff.desk_a, person=person, org_unit=units.a)
    with pytest.raises(DomainError) as twice:
        services.seeker_register(by=staff.case_a, person=person, org_unit=units.a)
    assert twice.value.code == "already_registered"


def test_a_person_outside_scope_cannot_be_registered(staff, units):
    with pytest.raises(Invalid) as unknown:
        services.seeker_register(
            by=staff.desk_b, person=PersonFactory(org_unit=units.a), org_unit=units.b
        )
    assert "person" in unknown.value.errors


def test_intent_once_per_seeker_and_vacancy_and_not_in_the_future(staff, units):
    seeker, vacancy = JobSeekerFactory(org_unit=units.a), VacancyFactory(org_unit=units.b)
    intent = services.intent_record(
        by=staff.case_a, seeker=seeker, vacancy=vacancy, reached_on=START
    )
    assert intent.org_unit == units.a
    with pytest.raises(DomainError) as twice:
        services.intent_record(by=staff.case_a, seeker=seeker, vacancy=vacancy, reached_on=START)
    assert twice.value.code == "duplicate_intent"
    with pytest.raises(Invalid):
        services.intent_record(
            by=staff.case_a,
            seeker=JobSeekerFactory(org_unit=units.a),
            vacancy=vacancy,
            reached_on=datetime.date(2999, 1, 1),
        )


@pytest.mark.parametrize(
    "start, due",
    [
        (datetime.date(2026, 1, 31), datetime.date(2026, 4, 30)),
        (datetime.date(2026, 11, 30), datetime.date(2027, 2, 28)),
        (datetime.date(2027, 11, 29), datetime.date(2028, 2, 29)),
        (datetime.date(2026, 3, 10), datetime.date(2026, 6, 10)),
    ],
)
def test_follow_up_falls_three_months_after_the_start(start, due):
    assert three_months_after(start) == due


def test_follow_ups_due_lists_placements_three_months_on_without_a_follow_up(staff, units):
    vacancy = VacancyFactory(org_unit=units.a, positions=5)
    made = {}
    for start in (datetime.date(2026, 1, 31), datetime.date(2026, 2, 1)):
        made[start] = services.placement_create(
            by=staff.case_a,
            seeker=JobSeekerFactory(org_unit=units.a),
            vacancy=vacancy,
            started_on=start,
        )
    due = services.follow_ups_due(user=staff.case_a, on=datetime.date(2026, 4, 30))
    assert list(due) == [made[datetime.date(2026, 1, 31)]]
    services.placement_follow_up(
        by=staff.case_a,
        placement=made[datetime.date(2026, 1, 31)],
        followed_up_on=datetime.date(2026, 4, 30),
        employed=True,
    )
    assert not services.follow_ups_due(user=staff.case_a, on=datetime.date(2026, 4, 30)).exists()
    assert not services.follow_ups_due(user=staff.case_b, on=datetime.date(2026, 5, 30)).exists()
