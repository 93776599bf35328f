"""Factories for training records. Rows are built directly (fast); the behaviour under test
goes through training/services.py."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory

from tests.factories import OrgUnitFactory
from training.models import Course, TrainingClass


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    name = factory.Sequence(lambda n: f"电工{n}")
    level = Course.Level.BEGINNER
    kind = Course.Kind.SKILL
    provider = "普陀区职业技能培训中心"
    certificate_name = "低压电工作业"


class TrainingClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingClass

    org_unit = factory.SubFactory(OrgUnitFactory)
    course = factory.SubFactory(CourseFactory)
    starts_on = datetime.date(2026, 3, 2)
    ends_on = datetime.date(2099, 12, 31)
    capacity = 2
    venue = "培训教室一"
    fee = Decimal("1200.00")
    subsidy = Decimal("800.00")
