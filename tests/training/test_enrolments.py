"""Enrolments, the waiting list and capacity, through the services."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from aidcenter.errors import DomainError, Invalid, Refused
from tests.factories import PersonFactory
from tests.training.factories import TrainingClassFactory
from training import services
from training.models import Enrolment, TrainingClass


def _enrol(staff, units, klass, n=1):
    return [
        services.enrolment_create(
            by=staff.desk_a, person=PersonFactory(org_unit=units.a), training_class=klass
        )
        for _ in range(n)
    ]


def _statuses(klass):
    return list(
        Enrolment.objects.filter(training_class=klass)
        .order_by("queued_at")
        .values_list("status", flat=True)
    )


def test_a_full_class_puts_people_on_the_waiting_list(staff, units):
    klass = TrainingClassFactory(org_unit=units.pt, capacity=2)
    _enrol(staff, units, klass, 4)
    assert _statuses(klass) == ["enrolled", "enrolled", "waiting", "waiting"]
    assert TrainingClass.objects.get(pk=klass.pk).enrolled == 2


def test_a_freed_place_goes_to_the_first_one_waiting(staff, units):
    klass = TrainingClassFactory(org_unit=units.pt, capacity=2)
    first, _second, third, fourth = _enrol(staff, units, klass, 4)
    services.enrolment_drop(by=staff.desk_a, enrolment=first)
    third.refresh_from_db()
    fourth.refresh_from_db()
    assert (third.status, fourth.status) == ("enrolled", "waiting")
    assert TrainingClass.objects.get(pk=klass.pk).enrolled == 2
    # Dropping off the waiting list frees no place and moves nobody.
    services.enrolment_drop(by=staff.desk_a, enrolment=fourth)
    assert _statuses(klass) == ["dropped", "enrolled", "enrolled", "dropped"]


def test_a_larger_capacity_takes_people_off_the_waiting_list(staff, units):
    klass = TrainingClassFactory(org_unit=units.a, capacity=1)
    _enrol(staff, units, klass, 3)
    updated = services.class_update(by=staff.case_a, training_class=klass, data={"capacity": 2})
    assert (updated.capacity, updated.enrolled) == (2, 2)
    assert _statuses(klass) == ["enrolled", "enrolled", "waiting"]
    with pytest.raises(DomainError) as smaller:
        services.class_update(by=staff.case_a, training_class=klass, data={"capacity": 1})
    assert smaller.value.code == "capacity_below_enrolled"


def test_a_person_enrols_once_per_class_but_may_return_after_dropping(staff, units):
    klass = TrainingClassFactory(org_unit=units.pt, capacity=5)
    person = PersonFactory(org_unit=units.a)
    enrolment = services.enrolment_create(by=staff.desk_a, person=person, training_class=klass)
    with pytest.raises(DomainError) as twice:
        services.enrolment_create(by=staff.case_a, person=person, training_class=klass)
    assert twice.value.code == "already_enrolled"
    services.enrolment_drop(by=staff.desk_a, enrolment=enrolment)
    again = services.enrolment_create(by=staff.desk_a, person=person, training_class=klass)
    assert again.status == "enrolled"


def test_the_database_refuses_a_place_past_capacity(units):
    klass = TrainingClassFactory(org_unit=units.a, capacity=1)
    Enrolment.objects.create(
        org_unit=units.a, training_class=klass, person=PersonFactory(org_unit=units.a)
    )
    with pytest.raises(IntegrityError, match="class_not_overfilled"), transaction.atomic():
        Enrolment.objects.create(
            org_unit=units.a, training_class=klass, person=PersonFactory(org_unit=units.a)
        )


def test_sibling_sub_center_may_enrol_its_people_in_a_district_class(staff, units):
    klass = TrainingClassFactory(org_unit=units.pt, capacity=3)
    enrolment = services.enrolment_create(
        by=staff.desk_b, person=PersonFactory(org_unit=units.b), training_class=klass
    )
    assert (enrolment.org_unit, enrolment.status) == (units.b, "enrolled")
    with pytest.raises(Invalid):  # but not a person kept by the sibling
        services.enrolment_create(
            by=staff.desk_b, person=PersonFactory(org_unit=units.a), training_class=klass
        )


def test_ended_class_refuses_enrolments_and_officers_cannot_enrol(staff, units):
    ended = TrainingClassFactory(
        org_unit=units.a, starts_on=datetime.date(2020, 1, 1), ends_on=datetime.date(2020, 2, 1)
    )
    with pytest.raises(DomainError) as late:
        _enrol(staff, units, ended)
    assert late.value.code == "class_ended"
    with pytest.raises(Refused):
        services.enrolment_create(
            by=staff.officer,
            person=PersonFactory(org_unit=units.a),
            training_class=TrainingClassFactory(org_unit=units.a),
        )


def test_completion_records_the_subsidy_and_a_pass_allows_a_certificate(staff, units):
    klass = TrainingClassFactory(org_unit=units.a, subsidy=Decimal("800.00"))
    (enrolment,) = _enrol(staff, units, klass)
    with pytest.raises(DomainError) as early:
        services.certificate_issue(
            by=staff.case_a,
            enrolment=enrolment,
            kind="qualification",
            number="Q1",
            issued_on=datetime.date(2026, 5, 1),
        )
    assert early.value.code == "exam_not_passed"
    done = services.enrolment_complete(by=staff.case_a, enrolment=enrolment, exam_passed=True)
    assert (done.status, done.exam_passed, done.subsidy_amount) == (
        "completed",
        True,
        Decimal("800.00"),
    )
    certificate = services.certificate_issue(
        by=staff.case_a,
        enrolment=done,
        kind="qualification",
        number="q1",
        issued_on=datetime.date(2026, 5, 1),
    )
    assert (certificate.name, certificate.number, certificate.person_id) == (
        "低压电工作业",
        "Q1",
        enrolment.person_id,
    )
    # A completed trainee still holds the place.
    assert TrainingClass.objects.get(pk=klass.pk).enrolled == 1
