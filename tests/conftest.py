"""Shared fixtures: a small tree and a user of every role.

SH (city)
└── PT (district)                      district_officer, fund_approver, fund_manager, auditor
    ├── PT-A (street sub-center)       front_desk, caseworker, sync_client, auditor_a
    │   └── PT-A-01 (aid point)        front_desk_point
    └── PT-B (street sub-center)       front_desk, caseworker, sync_client
└── QX (a second district)             district_officer_qx
    └── QX-A (park sub-center)         front_desk_qx
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from aidcenter.models import ApiKey, OrgUnit
from tests.factories import OrgUnitFactory, StaffFactory, UserFactory

PASSWORD = "test-password-123"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness costs seconds per fixture user; tests need no such guard.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _force_login_includes_the_second_factor(monkeypatch):
    """`client.force_login(user)` stands for a finished login. For the roles that must confirm
    a TOTP code (aidcenter/security.py) that includes the code: the user gets a confirmed
    authenticator and the session is marked verified, as the code page would. Tests of the
    second factor itself log in through the forms instead."""
    from django.test import Client

    from aidcenter import security

    plain = Client.force_login

    def force_login(self, user, backend=None):
        plain(self, user, backend)
        if security.needs_otp(user):
            device = security.confirmed_device(user) or security.seed_test_device(user)
            session = self.session
            security.mark_verified(session, device)
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def units(db):
    city = OrgUnitFactory(code="SH", name="市总", kind=OrgUnit.Kind.CITY)
    pt = OrgUnitFactory(code="PT", name="普陀区", kind=OrgUnit.Kind.DISTRICT, parent=city)
    a = OrgUnitFactory(code="PT-A", name="甲街道", kind=OrgUnit.Kind.STREET, parent=pt)
    a1 = OrgUnitFactory(code="PT-A-01", name="甲街道一站", kind=OrgUnit.Kind.AID_POINT, parent=a)
    b = OrgUnitFactory(code="PT-B", name="乙街道", kind=OrgUnit.Kind.STREET, parent=pt)
    qx = OrgUnitFactory(code="QX", name="青溪区", kind=OrgUnit.Kind.DISTRICT, parent=city)
    qxa = OrgUnitFactory(code="QX-A", name="青溪园区", kind=OrgUnit.Kind.PARK, parent=qx)
    return SimpleNamespace(city=city, pt=pt, a=a, a1=a1, b=b, qx=qx, qxa=qxa)


def _staff(username: str, role: str, unit: OrgUnit):
    user = UserFactory(username=username, is_staff=role != "sync_client")
    StaffFactory(user=user, role=role, org_unit=unit)
    user.refresh_from_db()
    return user


@pytest.fixture
def staff(units):
    """A user of every role; sub-center roles in both sibling sub-centers."""
    admin = UserFactory(username="admin_user")
    StaffFactory(user=admin, role="admin", org_unit=units.city)
    return SimpleNamespace(
        admin=admin,
        officer=_staff("officer", "district_officer", units.pt),
        approver=_staff("approver", "fund_approver", units.pt),
        approver2=_staff("approver2", "fund_approver", units.pt),
        manager=_staff("manager", "fund_manager", units.pt),
        auditor=_staff("auditor", "auditor", units.pt),
        auditor_a=_staff("auditor_a", "auditor", units.a),
        desk_a=_staff("desk_a", "front_desk", units.a),
        case_a=_staff("case_a", "caseworker", units.a),
        sync_a=_staff("sync_a", "sync_client", units.a),
        desk_point=_staff("desk_point", "front_desk", units.a1),
        desk_b=_staff("desk_b", "front_desk", units.b),
        case_b=_staff("case_b", "caseworker", units.b),
        sync_b=_staff("sync_b", "sync_client", units.b),
        officer_qx=_staff("officer_qx", "district_officer", units.qx),
        desk_qx=_staff("desk_qx", "front_desk", units.qxa),
    )


@pytest.fixture
def api():
    """An API client factory: api(user) authenticates with a freshly issued key."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            _record, key = ApiKey.issue(user=user, name="test")
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make
