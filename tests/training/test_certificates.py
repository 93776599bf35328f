"""Certificates: unique per kind and number, licences expire, expiring ones listed."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from aidcenter.errors import DomainError, Invalid
from tests.factories import PersonFactory
from tests.training.factories import TrainingClassFactory
from training import services
from training.models import Certificate

ISSUED = datetime.date(2024, 6, 1)


@pytest.fixture
def passed(staff, units):
    def make(unit=None):
        unit = unit or units.a
        klass = TrainingClassFactory(org_unit=unit)
        clerk = staff.case_a if unit == units.a else staff.case_b
        enrolment = services.enrolment_create(
            by=clerk, person=PersonFactory(org_unit=unit), training_class=klass
        )
        return services.enrolment_complete(by=clerk, enrolment=enrolment, exam_passed=True)

    return make


def test_same_number_is_unique_per_kind_only(staff, passed):
    one, two = passed(), passed()
    services.certificate_issue(
        by=staff.case_a, enrolment=one, kind="qualification", number="31A0001", issued_on=ISSUED
    )
    with pytest.raises(DomainError) as twice:
        services.certificate_issue(
            by=staff.case_a, enrolment=two, kind="qualification", number="31a0001", issued_on=ISSUED
        )
    assert twice.value.code == "duplicate_certificate"
    other_kind = services.certificate_issue(
        by=staff.case_a, enrolment=two, kind="level", number="31A0001", issued_on=ISSUED
    )
    assert other_kind.kind == "level"


def test_the_database_refuses_a_duplicate_number_and_a_licence_without_expiry(passed, units):
    one = passed()
    base = {"org_unit": units.a, "enrolment": one, "person": one.person, "issued_on": ISSUED}
    Certificate.objects.create(**base, kind="level", name="电工", number="X1")
    with pytest.raises(IntegrityError, match="certificate_unique_number"), transaction.atomic():
        Certificate.objects.create(**base, kind="level", name="电工", number="X1")
    with pytest.raises(IntegrityError, match="certificate_licence_expires"), transaction.atomic():
        Certificate.objects.create(**base, kind="special_operation", name="焊工", number="X2")


def test_a_licence_needs_an_expiry_after_its_issue(staff, passed):
    one = passed()
    for expires in (None, ISSUED):
        with pytest.raises(Invalid) as bad:
            services.certificate_issue(
                by=staff.case_a,
                enrolment=one,
                kind="special_operation",
                number="T1",
                issued_on=ISSUED,
                expires_on=expires,
            )
        assert "expires_on" in bad.value.errors


def test_expiring_licences_are_listed_in_scope_and_renewal_takes_them_off(staff, passed, units):
    soon = services.certificate_issue(
        by=staff.case_a,
        enrolment=passed(),
        kind="special_operation",
        number="T-SOON",
        issued_on=ISSUED,
        expires_on=datetime.date(2026, 12, 31),
    )
    services.certificate_issue(
        by=staff.case_a,
        enrolment=passed(),
        kind="special_operation",
        number="T-LATER",
        issued_on=ISSUED,
        expires_on=datetime.date(2030, 6, 1),
    )
    services.certificate_issue(
        by=staff.case_b,
        enrolment=passed(units.b),
        kind="special_operation",
        number="T-B",
        issued_on=ISSUED,
        expires_on=datetime.date(2026, 12, 1),
    )
    on = datetime.date(2026, 11, 1)
    listed = services.certificates_expiring(user=staff.case_a, within_days=90, on=on)
    assert [c.number for c in listed] == ["T-SOON"]
    assert [
        c.number for c in services.certificates_expiring(user=staff.officer, within_days=90, on=on)
    ] == ["T-B", "T-SOON"]
    services.certificate_renew(
        by=staff.case_a, certificate=soon, expires_on=datetime.date(2032, 12, 31)
    )
    assert not services.certificates_expiring(user=staff.case_a, within_days=90, on=on).exists()
