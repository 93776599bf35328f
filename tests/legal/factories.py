"""Factories for legal aid. The catalogue rows are built directly (fast); cases are opened
through legal/services.py in the tests, since opening is the behaviour under test."""

from __future__ import annotations

import datetime

import factory

from legal.models import DutySlot, Lawyer, PastClient
from tests.factories import OrgUnitFactory
from tests.jobs.factories import EmployerFactory


class LawyerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lawyer

    name = factory.Sequence(lambda n: f"律师{n}")
    firm = factory.Sequence(lambda n: f"上海第{n}律师事务所")
    licence_no = factory.Sequence(lambda n: f"1310120{n:010d}")
    phone = "02160000000"


class DutySlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DutySlot

    lawyer = factory.SubFactory(LawyerFactory)
    org_unit = factory.SubFactory(OrgUnitFactory)
    weekday = DutySlot.Weekday.TUESDAY


class PastClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PastClient

    lawyer = factory.SubFactory(LawyerFactory)
    employer = factory.SubFactory(EmployerFactory)
    note = "常年法律顾问"


def hardship_file(person, *, status: str = "registered"):
    """A household file headed by `person` (registered unless told otherwise)."""
    from cases.models import HouseholdMember, Worker

    worker = Worker.objects.create(
        org_unit=person.org_unit,
        person=person,
        status=status,
        registered_on=datetime.date(2020, 1, 1) if status == "registered" else None,
    )
    HouseholdMember.objects.create(
        org_unit=person.org_unit, worker=worker, person=person, relation="head"
    )
    return worker
