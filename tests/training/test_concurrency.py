"""Class capacity under real concurrency: threads, each with its own connection."""

import threading

import pytest
from django.db import connection

from tests.factories import PersonFactory
from tests.training.factories import TrainingClassFactory
from training import services
from training.models import Enrolment, TrainingClass

pytestmark = pytest.mark.django_db(transaction=True)


def _race(n: int, work) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_clerks_taking_the_last_places_at_once_never_pass_capacity(staff, units):
    klass = TrainingClassFactory(org_unit=units.pt, capacity=2)
    people = [PersonFactory(org_unit=units.a if i % 2 else units.b) for i in range(6)]
    clerks = [staff.desk_a if i % 2 else staff.desk_b for i in range(6)]
    results = _race(
        6,
        lambda i: (
            services.enrolment_create(by=clerks[i], person=people[i], training_class=klass).status
        ),
    )
    assert sorted(results) == ["enrolled"] * 2 + ["waiting"] * 4
    assert TrainingClass.objects.get(pk=klass.pk).enrolled == 2


def test_a_drop_racing_new_enrolments_gives_the_place_to_exactly_one(staff, units):
    klass = TrainingClassFactory(org_unit=units.a, capacity=1)
    leaving = services.enrolment_create(
        by=staff.desk_a, person=PersonFactory(org_unit=units.a), training_class=klass
    )
    waiting = services.enrolment_create(
        by=staff.desk_a, person=PersonFactory(org_unit=units.a), training_class=klass
    )
    newcomers = [PersonFactory(org_unit=units.a) for _ in range(3)]

    def work(i):
        if i == 0:
            return services.enrolment_drop(by=staff.case_a, enrolment=leaving).status
        return services.enrolment_create(
            by=staff.desk_a, person=newcomers[i - 1], training_class=klass
        ).status

    results = _race(4, work)
    assert TrainingClass.objects.get(pk=klass.pk).enrolled == 1
    taking = Enrolment.objects.filter(training_class=klass, status="enrolled")
    assert taking.count() == 1
    # The freed place goes to the one already waiting, never to a newcomer: the drop and the
    # move-up happen under the class lock in one transaction, so no newcomer sees it free.
    assert results == ["dropped", "waiting", "waiting", "waiting"]
    assert taking.get().pk == waiting.pk
