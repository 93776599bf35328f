"""Admin pages of jobs and training: they render for staff, in scope, and employers' credit
codes are checked as in the API."""

import pytest
from django.test import Client

from jobs.models import Employer
from tests.factories import PersonFactory
from tests.jobs.factories import JobSeekerFactory, VacancyFactory
from tests.training.factories import TrainingClassFactory
from training.models import Enrolment

PAGES = [
    "jobs/employer",
    "jobs/jobfair",
    "jobs/vacancy",
    "jobs/jobseeker",
    "jobs/guidance",
    "jobs/intent",
    "jobs/placement",
    "training/course",
    "training/trainingclass",
    "training/enrolment",
    "training/certificate",
]


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("page", PAGES)
def test_changelists_render_for_staff(staff, units, page):
    VacancyFactory(org_unit=units.a)
    JobSeekerFactory(org_unit=units.a)
    Enrolment.objects.create(
        org_unit=units.a,
        training_class=TrainingClassFactory(org_unit=units.a),
        person=PersonFactory(org_unit=units.a),
    )
    for user in (staff.case_a, staff.officer):
        assert _client(user).get(f"/admin/{page}/").status_code == 200


def test_seekers_changelist_is_scoped(staff, units):
    mine = JobSeekerFactory(org_unit=units.a)
    theirs = JobSeekerFactory(org_unit=units.b)
    page = _client(staff.case_a).get("/admin/jobs/jobseeker/").content.decode()
    assert mine.person.name in page and theirs.person.name not in page
    assert _client(staff.case_a).get(f"/admin/jobs/jobseeker/{theirs.pk}/change/").status_code in (
        302,
        404,
    )


def test_employer_form_checks_the_credit_code(staff):
    client = _client(staff.case_a)
    bad = client.post("/admin/jobs/employer/add/", {"credit_code": "123", "name": "坏"})
    assert bad.status_code == 200 and not Employer.objects.exists()
    good = client.post(
        "/admin/jobs/employer/add/", {"credit_code": "91110000600037341l", "name": "好"}
    )
    assert good.status_code == 302
    assert Employer.objects.get().credit_code == "91110000600037341L"
    assert _client(staff.desk_a).get("/admin/jobs/employer/add/").status_code == 403
