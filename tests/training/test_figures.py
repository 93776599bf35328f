"""The figures the dashboards read (API.md "Stats summary", training), on a known data set."""

import datetime

from aidcenter.scope import subtree_ids
from tests.factories import PersonFactory
from tests.training.factories import TrainingClassFactory
from training import services
from training.models import Certificate, Enrolment

D = datetime.date
Y2026 = {"date_from": D(2026, 1, 1), "date_to": D(2026, 12, 31)}


def _known_set(units):
    spring = TrainingClassFactory(org_unit=units.a, starts_on=D(2026, 3, 2), capacity=10)
    autumn = TrainingClassFactory(org_unit=units.b, starts_on=D(2026, 9, 1), capacity=10)
    TrainingClassFactory(org_unit=units.a, starts_on=D(2025, 9, 1), capacity=10)  # last year
    TrainingClassFactory(org_unit=units.qxa, starts_on=D(2026, 3, 2), capacity=10)
    migrant = PersonFactory(org_unit=units.a, is_migrant=True)
    local = PersonFactory(org_unit=units.a)
    waiting = PersonFactory(org_unit=units.a, is_migrant=True)
    dropped = PersonFactory(org_unit=units.a, is_migrant=True)
    rows = [
        (spring, migrant, "completed"),
        (spring, local, "enrolled"),
        (spring, waiting, "waiting"),
        (spring, dropped, "dropped"),
        (autumn, migrant, "enrolled"),  # the same person in two classes: one trainee
        (autumn, PersonFactory(org_unit=units.b), "enrolled"),
    ]
    made = [
        Enrolment.objects.create(org_unit=p.org_unit, training_class=c, person=p, status=s)
        for c, p, s in rows
    ]
    for number, issued in (("A1", D(2026, 6, 1)), ("A2", D(2025, 6, 1))):
        Certificate.objects.create(
            org_unit=units.a,
            enrolment=made[0],
            person=migrant,
            kind="level",
            name="电工",
            number=number,
            issued_on=issued,
        )


def test_figures_of_the_district_and_of_a_sub_center(units):
    _known_set(units)
    assert services.figures(units=subtree_ids(units.pt.pk), **Y2026) == {
        "classes": 2,
        "trainees": 3,
        "trainees_migrant": 1,
        "certificates": 1,
    }
    assert services.figures(units=subtree_ids(units.b.pk), **Y2026) == {
        "classes": 1,
        "trainees": 2,
        "trainees_migrant": 1,
        "certificates": 0,
    }
    assert services.figures(units=None, **Y2026)["classes"] == 3
