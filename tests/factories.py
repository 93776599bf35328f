"""Factories for test data. Each app adds its own below the shared ones."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from aidcenter.models import OrgUnit, StaffProfile


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"U{n}")
    name = factory.LazyAttribute(lambda o: f"单位{o.code}")
    kind = OrgUnit.Kind.STREET


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("name", locale="zh_CN")
    password = factory.PostGenerationMethodCall("set_password", "test-password-123")
    is_staff = True

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    role = "front_desk"
    org_unit = factory.SubFactory(OrgUnitFactory)
