"""Factories for job placement records. Rows are built directly (fast); the behaviour under
test goes through jobs/services.py."""

from __future__ import annotations

import datetime

import factory
from stdnum.cn import uscc

from jobs.models import Employer, JobFair, JobSeeker, Vacancy, job_keywords
from tests.factories import OrgUnitFactory, PersonFactory


def make_credit_code(n: int, *, region: str = "310107") -> str:
    """A valid GB 32100 code: enterprise (91), region, a 9-character organisation code, check."""
    body = f"91{region}{n:09d}"
    return body + uscc.calc_check_digit(body)


class EmployerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employer

    credit_code = factory.Sequence(make_credit_code)
    name = factory.Sequence(lambda n: f"上海第{n}实业有限公司")
    industry = "制造业"
    contact_name = "王经理"
    contact_phone = "02162000000"


class JobFairFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobFair

    org_unit = factory.SubFactory(OrgUnitFactory)
    name = factory.Sequence(lambda n: f"周二招聘会第{n}场")
    kind = JobFair.Kind.TUESDAY
    location = JobFair.Location.HALL
    held_on = datetime.date(2026, 3, 3)
    venue = "区职工援助服务中心大厅"


class VacancyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vacancy

    org_unit = factory.SubFactory(OrgUnitFactory)
    employer = factory.SubFactory(EmployerFactory)
    job_fair = None
    title = "操作工"
    positions = 5
    opened_on = datetime.date(2026, 3, 3)


class JobSeekerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobSeeker

    org_unit = factory.SubFactory(OrgUnitFactory)
    person = factory.SubFactory(PersonFactory, org_unit=factory.SelfAttribute("..org_unit"))
    desired_job = "操作工"
    desired_keywords = factory.LazyAttribute(lambda o: job_keywords(o.desired_job))
    registered_on = datetime.date(2026, 3, 1)
