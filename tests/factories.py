"""Factories for test data. Each app adds its own below the shared ones."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from aidcenter.models import OrgUnit, StaffProfile
from cases import idnumbers


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


# --- cases ------------------------------------------------------------------------------------
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_national_id(
    n: int, *, born: str = "19750312", region: str = "310107", female=False
) -> str:
    """A valid GB 11643 number: region, birth date, a sequence whose parity gives the sex,
    and the check digit."""
    seq = (n * 2 + (0 if female else 1)) % 1000
    body = f"{region}{born}{seq:03d}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]
    return body + check


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "cases.Person"

    name = factory.Faker("name", locale="zh_CN")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    national_id = factory.Sequence(lambda n: make_national_id(n, born=f"19{60 + n % 30}0101"))
    is_migrant = False
    org_unit = factory.SubFactory(OrgUnitFactory)
    sex = factory.LazyAttribute(lambda o: idnumbers.sex(o.national_id) if o.national_id else "")
    birth_date = factory.LazyAttribute(
        lambda o: idnumbers.birth_date(o.national_id) if o.national_id else None
    )
