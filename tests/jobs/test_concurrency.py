"""The database guarantees of placements under real concurrency: threads, own connections."""

import datetime
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from jobs import services
from jobs.models import Placement, Vacancy
from tests.jobs.factories import JobSeekerFactory, VacancyFactory

pytestmark = pytest.mark.django_db(transaction=True)
START = datetime.date(2026, 3, 10)


def _race(n: int, work) -> list:
    """Run work(i) in n threads released at the same instant; each result or exception."""
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


def _codes(results) -> list[str]:
    return sorted("placed" if isinstance(r, Placement) else r.code for r in results)


def test_eight_clerks_placing_at_once_fill_three_positions_exactly(staff, units):
    vacancy = VacancyFactory(org_unit=units.a, positions=3)
    seekers = [JobSeekerFactory(org_unit=units.a) for _ in range(8)]
    results = _race(
        8,
        lambda i: services.placement_create(
            by=staff.case_a, seeker=seekers[i], vacancy=vacancy, started_on=START
        ),
    )
    assert _codes(results) == ["placed"] * 3 + ["vacancy_full"] * 5
    vacancy.refresh_from_db()
    assert (vacancy.placed, Placement.objects.filter(vacancy=vacancy).count()) == (3, 3)


def test_two_clerks_placing_one_seeker_in_one_vacancy_place_once(staff, units):
    vacancy = VacancyFactory(org_unit=units.a, positions=5)
    seeker = JobSeekerFactory(org_unit=units.a)
    clerks = [staff.case_a, staff.sync_a]
    results = _race(
        2,
        lambda i: services.placement_create(
            by=clerks[i], seeker=seeker, vacancy=vacancy, started_on=START
        ),
    )
    assert _codes(results) == ["already_placed", "placed"]
    assert Vacancy.objects.get(pk=vacancy.pk).placed == 1


def test_raw_inserts_racing_past_the_service_are_still_held_by_the_database(units):
    """No lock taken in Python: the trigger's row lock and the CHECK alone hold the limit."""
    vacancy = VacancyFactory(org_unit=units.a, positions=1)
    seekers = [JobSeekerFactory(org_unit=units.a) for _ in range(4)]

    def insert(i):
        with transaction.atomic():
            return Placement.objects.create(
                org_unit=units.a, seeker=seekers[i], vacancy=vacancy, started_on=START
            )

    results = _race(4, insert)
    assert sum(isinstance(r, Placement) for r in results) == 1
    assert all(isinstance(r, IntegrityError) for r in results if not isinstance(r, Placement))
    assert "vacancy_not_overfilled" in str(next(r for r in results if isinstance(r, Exception)))
    assert Vacancy.objects.get(pk=vacancy.pk).placed == 1
