"""Matching on a known data set: which vacancies fit a seeker, and which seekers a vacancy,
ranked, each with its reasons."""

import datetime

import pytest

from jobs import services
from tests.factories import OrgUnitFactory
from tests.jobs.factories import EmployerFactory, JobSeekerFactory, VacancyFactory
from tests.training.factories import TrainingClassFactory
from training import services as training

ON = datetime.date(2026, 11, 1)


def _certify(staff, units, person, name, *, expires_on=None, number="C1"):
    klass = TrainingClassFactory(org_unit=units.a)
    enrolment = training.enrolment_create(by=staff.admin, person=person, training_class=klass)
    enrolment = training.enrolment_complete(by=staff.admin, enrolment=enrolment, exam_passed=True)
    return training.certificate_issue(
        by=staff.admin,
        enrolment=enrolment,
        kind="special_operation" if expires_on else "qualification",
        number=number,
        name=name,
        issued_on=datetime.date(2025, 1, 1),
        expires_on=expires_on,
    )


@pytest.fixture
def market(units):
    """Vacancies in district PT and in district QX."""
    employer = EmployerFactory()
    v = {
        "electrician_pt": VacancyFactory(
            org_unit=units.b,
            employer=employer,
            title="维修电工",
            required_certificate="低压电工",
        ),
        "electrician_qx": VacancyFactory(org_unit=units.qxa, employer=employer, title="电工"),
        "cook_pt": VacancyFactory(org_unit=units.pt, employer=employer, title="中式烹调师"),
        "welder_qx": VacancyFactory(
            org_unit=units.qxa, employer=employer, title="焊工", required_certificate="焊接"
        ),
        "closed_pt": VacancyFactory(
            org_unit=units.pt, employer=employer, title="电工", status="closed"
        ),
        "full_pt": VacancyFactory(org_unit=units.pt, employer=employer, title="电工", positions=1),
    }
    return v


def _names(market, vacancies):
    back = {v.pk: k for k, v in market.items()}
    return [(back[v.pk], v.score, [r["code"] for r in services.reasons_of(v)]) for v in vacancies]


def test_vacancies_for_a_seeker_ranked_with_reasons(staff, units, market):
    seeker = JobSeekerFactory(org_unit=units.a, desired_job="电工")
    filler = JobSeekerFactory(org_unit=units.a, desired_job="司机")
    services.placement_create(
        by=staff.case_a, seeker=filler, vacancy=market["full_pt"], started_on=ON
    )
    _certify(staff, units, seeker.person, "低压电工作业")
    found = services.match_vacancies(seeker=seeker, on=ON)
    assert _names(market, found) == [
        ("electrician_pt", 7, ["desired_job", "certificate", "district"]),
        ("electrician_qx", 4, ["desired_job"]),
        ("cook_pt", 1, ["district"]),
    ]


def test_an_expired_licence_is_no_reason(staff, units, market):
    seeker = JobSeekerFactory(org_unit=units.qxa, desired_job="司机")
    _certify(staff, units, seeker.person, "焊接与热切割作业", expires_on=datetime.date(2026, 6, 1))
    # Equal scores: newest first, then in the order they were entered.
    assert _names(market, services.match_vacancies(seeker=seeker, on=ON)) == [
        ("electrician_qx", 1, ["district"]),
        ("welder_qx", 1, ["district"]),
    ]
    assert _names(market, services.match_vacancies(seeker=seeker, on=datetime.date(2026, 1, 1)))[
        0
    ] == ("welder_qx", 3, ["certificate", "district"])


def test_seekers_for_a_vacancy_ranked_in_scope(staff, units, market):
    vacancy = market["electrician_pt"]
    wants_it = JobSeekerFactory(org_unit=units.a, desired_job="电工 保安")
    certified = JobSeekerFactory(org_unit=units.b, desired_job="维修")
    _certify(staff, units, certified.person, "低压电工作业", number="C2")
    elsewhere = JobSeekerFactory(org_unit=units.qxa, desired_job="电工")
    JobSeekerFactory(org_unit=units.qxa, desired_job="厨师")  # fits nothing
    placed = JobSeekerFactory(org_unit=units.a, desired_job="电工")
    services.placement_create(
        by=staff.case_a, seeker=placed, vacancy=market["electrician_qx"], started_on=ON
    )

    def names(user):
        return [
            (s.pk, s.score, [r["code"] for r in services.reasons_of(s)])
            for s in services.match_seekers(user=user, vacancy=vacancy, on=ON)
        ]

    assert names(staff.admin) == [
        (certified.pk, 7, ["desired_job", "certificate", "district"]),
        (wants_it.pk, 5, ["desired_job", "district"]),
        (elsewhere.pk, 4, ["desired_job"]),
    ]
    assert names(staff.case_a) == [(wants_it.pk, 5, ["desired_job", "district"])]


def test_a_seeker_who_left_the_job_is_matched_again(staff, units, market):
    seeker = JobSeekerFactory(org_unit=units.a, desired_job="电工")
    placement = services.placement_create(
        by=staff.case_a, seeker=seeker, vacancy=market["electrician_qx"], started_on=ON
    )
    vacancy = market["electrician_pt"]
    assert not services.match_seekers(user=staff.case_a, vacancy=vacancy, on=ON)
    services.placement_follow_up(
        by=staff.case_a, placement=placement, followed_up_on=ON, employed=False
    )
    assert [s.pk for s in services.match_seekers(user=staff.case_a, vacancy=vacancy, on=ON)] == [
        seeker.pk
    ]


def test_district_is_found_at_any_depth(units):
    deep = OrgUnitFactory(code="PT-A-01-X", kind="aid_point", parent=units.a1)
    ids = services.district_unit_ids(deep.pk)
    assert {units.pt.pk, units.a.pk, units.b.pk, deep.pk} <= ids and units.qx.pk not in ids
    assert services.district_unit_ids(units.city.pk) == frozenset()


def test_a_certificate_at_the_level_asked_for_or_above_is_a_reason(staff, units):
    from tests.training.factories import CourseFactory

    employer = EmployerFactory()
    intermediate = VacancyFactory(
        org_unit=units.qxa, employer=employer, title="数控车工", required_level="intermediate"
    )
    beginner = VacancyFactory(
        org_unit=units.qxa, employer=employer, title="车工助理", required_level="beginner"
    )
    no_level = VacancyFactory(org_unit=units.qxa, employer=employer, title="仓库管理")

    def certify(seeker, level, number):
        klass = TrainingClassFactory(org_unit=units.a, course=CourseFactory(level=level))
        enrolment = training.enrolment_create(
            by=staff.admin, person=seeker.person, training_class=klass
        )
        enrolment = training.enrolment_complete(
            by=staff.admin, enrolment=enrolment, exam_passed=True
        )
        training.certificate_issue(
            by=staff.admin,
            enrolment=enrolment,
            kind="level",
            number=number,
            name="车工",
            issued_on=datetime.date(2025, 1, 1),
        )

    advanced = JobSeekerFactory(org_unit=units.a, desired_job="司机")
    certify(advanced, "advanced", "L1")
    novice = JobSeekerFactory(org_unit=units.a, desired_job="司机")
    certify(novice, "beginner", "L2")
    back = {intermediate.pk: "intermediate", beginner.pk: "beginner", no_level.pk: "none"}

    def fits(seeker):
        return {
            back[v.pk]: [r["code"] for r in services.reasons_of(v)]
            for v in services.match_vacancies(seeker=seeker, on=ON)
        }

    assert fits(advanced) == {"intermediate": ["level"], "beginner": ["level"]}
    assert fits(novice) == {"beginner": ["level"]}
    # The other way round: who fits the intermediate job, with the same reason and weight.
    found = services.match_seekers(user=staff.admin, vacancy=intermediate, on=ON)
    assert [(s.pk, s.score, [r["code"] for r in services.reasons_of(s)]) for s in found] == [
        (advanced.pk, 2, ["level"])
    ]
