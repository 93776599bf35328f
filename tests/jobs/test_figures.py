"""The figures the dashboards read (API.md "Stats summary", jobs), on a known data set."""

import datetime

from django.utils import timezone

from aidcenter.scope import subtree_ids
from jobs import services
from jobs.models import Guidance, Intent, Placement
from tests.factories import PersonFactory
from tests.jobs.factories import JobFairFactory, JobSeekerFactory, VacancyFactory

D = datetime.date
Y2026 = {"date_from": D(2026, 1, 1), "date_to": D(2026, 12, 31)}


def _known_set(units):
    in_year, last_year = D(2026, 3, 3), D(2025, 12, 30)
    fair_a = JobFairFactory(org_unit=units.a, held_on=in_year, kind="spring_breeze")
    fair_b = JobFairFactory(org_unit=units.b, held_on=in_year)
    old_fair = JobFairFactory(org_unit=units.a, held_on=last_year)
    JobFairFactory(org_unit=units.qxa, held_on=in_year)
    VacancyFactory(org_unit=units.a, job_fair=fair_a, positions=10, opened_on=in_year)
    # At a fair of 2026 though opened (entered) before: counted with its fair.
    VacancyFactory(org_unit=units.a, job_fair=fair_a, positions=5, opened_on=last_year)
    VacancyFactory(org_unit=units.b, job_fair=fair_b, positions=7, opened_on=in_year)
    # At last year's fair though opened in 2026: not counted (its fair is outside).
    VacancyFactory(org_unit=units.a, job_fair=old_fair, positions=100, opened_on=in_year)
    walk_in = VacancyFactory(org_unit=units.a, positions=3, opened_on=D(2026, 6, 1))
    VacancyFactory(org_unit=units.a, positions=50, opened_on=last_year)
    VacancyFactory(org_unit=units.qxa, positions=40, opened_on=in_year)

    migrants = [
        JobSeekerFactory(org_unit=units.a, person=PersonFactory(org_unit=units.a, is_migrant=True))
        for _ in range(4)
    ]
    local = JobSeekerFactory(org_unit=units.b)
    for i, seeker in enumerate([*migrants, local]):
        Intent.objects.create(
            org_unit=seeker.org_unit, seeker=seeker, vacancy=walk_in, reached_on=in_year
        )
        Guidance.objects.create(org_unit=seeker.org_unit, seeker=seeker, held_on=in_year)
        Guidance.objects.create(org_unit=seeker.org_unit, seeker=seeker, held_on=D(2026, 4, i + 1))
    Guidance.objects.create(org_unit=units.a, seeker=local, held_on=last_year)
    gone = Guidance.objects.create(org_unit=units.a, seeker=local, held_on=in_year)
    gone.deleted_at = timezone.now()
    gone.save()
    Placement.objects.create(
        org_unit=units.a, seeker=migrants[0], vacancy=walk_in, started_on=D(2026, 7, 1)
    )
    Placement.objects.create(
        org_unit=units.b, seeker=local, vacancy=walk_in, started_on=D(2026, 7, 2)
    )


def test_figures_of_the_district_for_a_year(units):
    _known_set(units)
    assert services.figures(units=subtree_ids(units.pt.pk), **Y2026) == {
        "fairs": 2,
        "positions": 10 + 5 + 7 + 3,
        "guidance_person_times": 10,
        "intents": 5,
        "intents_migrant": 4,
        "placements": 2,
    }


def test_figures_of_one_sub_center_and_of_the_city(units):
    _known_set(units)
    assert services.figures(units=subtree_ids(units.b.pk), **Y2026) == {
        "fairs": 1,
        "positions": 7,
        "guidance_person_times": 2,
        "intents": 1,
        "intents_migrant": 0,
        "placements": 1,
    }
    city = services.figures(units=None, **Y2026)
    assert (city["fairs"], city["positions"]) == (3, 25 + 40)


def test_every_figure_is_zero_when_nothing_counts(units):
    assert services.figures(units=subtree_ids(units.qx.pk), **Y2026) == dict.fromkeys(
        [
            "fairs",
            "positions",
            "guidance_person_times",
            "intents",
            "intents_migrant",
            "placements",
        ],
        0,
    )
