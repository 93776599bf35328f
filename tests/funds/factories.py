"""Factories for funds tests: people and household files kept by a unit, and the money setup.

People and files are built directly (not through cases' workflow): these tests are about money,
and a registered file only needs its status and registration date."""

from __future__ import annotations

import datetime

import factory

from cases.models import HouseholdMember, Person, Worker
from tests.factories import OrgUnitFactory


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    org_unit = factory.SubFactory(OrgUnitFactory)
    name = factory.Faker("name", locale="zh_CN")
    phone = factory.Sequence(lambda n: f"139{n:08d}")


class WorkerFactory(factory.django.DjangoModelFactory):
    """A registered household file with its head standing in it."""

    class Meta:
        model = Worker
        skip_postgeneration_save = True

    org_unit = factory.SubFactory(OrgUnitFactory)
    person = factory.SubFactory(PersonFactory, org_unit=factory.SelfAttribute("..org_unit"))
    status = Worker.Status.REGISTERED
    registered_on = datetime.date(2020, 1, 1)
    hardship_level = Worker.Level.DEEP
    main_cause = Worker.Cause.ILLNESS
    file_level = Worker.FileLevel.NATIONAL

    @factory.post_generation
    def head(obj, create, extracted, **kwargs):
        if create:
            HouseholdMember.objects.create(
                org_unit=obj.org_unit, worker=obj, person=obj.person, relation="head"
            )
