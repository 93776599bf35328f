"""The operations commands of API.md: create_staff, issue_token, seed_demo."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from aidcenter.models import ApiKey, OrgUnit, StaffProfile


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_staff_creates_then_updates(units):
    run(
        "create_staff",
        "li",
        "--role",
        "front_desk",
        "--unit",
        "PT-A",
        "--password",
        "a-long-secret-1",
    )
    profile = StaffProfile.objects.get(user__username="li")
    assert (profile.role, profile.org_unit.code, profile.user.is_staff) == (
        "front_desk",
        "PT-A",
        True,
    )
    assert profile.user.check_password("a-long-secret-1")
    run("create_staff", "li", "--role", "caseworker", "--unit", "PT-B")
    profile.refresh_from_db()
    assert (profile.role, profile.org_unit.code) == ("caseworker", "PT-B")
    assert profile.user.check_password("a-long-secret-1")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--role", "front_desk", "--unit", "NOPE"], "NOPE"),
        (["--role", "district_officer", "--unit", "PT-A"], "区级"),
        (["--role", "admin", "--unit", "PT"], "市级"),
        (["--role", "sync_client", "--unit", "PT-A-01"], "分中心"),
        (["--role", "front_desk", "--unit", "PT-A", "--password", "123"], "密码"),
    ],
)
def test_create_staff_refuses_bad_input_and_creates_nothing(units, args, message):
    with pytest.raises(CommandError, match=message):
        run("create_staff", "wang", *args)
    assert not StaffProfile.objects.filter(user__username="wang").exists()


def test_sync_client_is_not_staff_for_the_admin(units):
    run("create_staff", "sync", "--role", "sync_client", "--unit", "PT-A")
    assert StaffProfile.objects.get(user__username="sync").user.is_staff is False


def test_issue_token_prints_only_a_working_key(staff):
    out = run("issue_token", "sync_a")
    key = out.strip()
    assert out == key + "\n" and " " not in key
    assert ApiKey.objects.filter(user=staff.sync_a).count() == 1
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/org-units/").status_code == 200


def test_issue_token_for_unknown_user_fails(db):
    with pytest.raises(CommandError):
        run("issue_token", "ghost")


def test_seed_demo_builds_putuo_and_is_safe_to_run_twice(db):
    run("seed_demo", "--small")
    counts = {kind: OrgUnit.objects.filter(kind=kind).count() for kind in OrgUnit.Kind.values}
    staff_count = StaffProfile.objects.count()
    records = _demo_records()
    assert all(records.values()), records  # every app added something
    run("seed_demo", "--small")
    assert _demo_records() == records
    assert counts == {
        kind: OrgUnit.objects.filter(kind=kind).count() for kind in OrgUnit.Kind.values
    }
    assert StaffProfile.objects.count() == staff_count
    district = OrgUnit.objects.get(code="PT")
    kinds = list(district.children.values_list("kind", flat=True))
    assert (kinds.count("street"), kinds.count("industry"), kinds.count("park")) == (9, 7, 4)
    assert counts["aid_point"] >= 3
    roles = set(StaffProfile.objects.values_list("role", flat=True))
    assert roles == {
        "admin",
        "district_officer",
        "fund_approver",
        "fund_manager",
        "auditor",
        "front_desk",
        "caseworker",
        "sync_client",
    }


def _demo_records() -> dict[str, int]:
    from django.apps import apps

    labels = [
        "cases.Worker",
        "cases.Case",
        "funds.Payment",
        "jobs.Placement",
        "training.Enrolment",
        "legal.LegalCase",
    ]
    return {label: apps.get_model(label).objects.count() for label in labels}
