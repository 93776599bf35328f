"""Scope per role on every funds endpoint: out of scope reads are 404, lists leave them out."""

import pytest

from funds import services
from funds.models import LedgerEntry

DISTRICT = {"officer", "approver", "approver2", "manager", "auditor", "admin"}
SUB_CENTER_A = {"desk_a", "case_a", "sync_a", "auditor_a"}
EVERYONE = (
    DISTRICT
    | SUB_CENTER_A
    | {
        "desk_point",
        "desk_b",
        "case_b",
        "sync_b",
        "officer_qx",
        "desk_qx",
    }
)


@pytest.fixture
def paid(fund, staff, approved):
    """A PT fund that paid an application kept by sub-center PT-A."""
    return services.application_pay(by=staff.manager, application=approved(), fund=fund)


def _urls(paid):
    entry = LedgerEntry.objects.filter(transaction=paid.transaction).first()
    return {
        "fund": (f"/api/v1/funds/{paid.fund.code}/", DISTRICT),
        "statement": (f"/api/v1/funds/{paid.fund.code}/statement/", DISTRICT),
        "application": (
            f"/api/v1/aid-applications/{paid.application_id}/",
            DISTRICT | SUB_CENTER_A,
        ),
        "payment": (f"/api/v1/payments/{paid.pk}/", DISTRICT | SUB_CENTER_A),
        "ledger": (f"/api/v1/ledger/{entry.pk}/", DISTRICT),
    }


def test_each_role_reads_what_its_scope_holds_and_gets_404_elsewhere(api, staff, paid):
    urls = _urls(paid)
    outcome, expected = {}, {}
    for who in sorted(EVERYONE):
        client = api(getattr(staff, who))
        for name, (url, allowed) in urls.items():
            outcome[who, name] = client.get(url).status_code
            expected[who, name] = 200 if who in allowed else 404
    assert outcome == expected


def test_lists_hold_only_the_records_in_scope(api, staff, paid):
    outcome, expected = {}, {}
    for who in sorted(EVERYONE):
        client = api(getattr(staff, who))
        district, sub_a = who in DISTRICT, who in DISTRICT | SUB_CENTER_A
        for path, count in (
            ("funds", 1 if district else 0),
            ("aid-applications", 1 if sub_a else 0),
            ("payments", 1 if sub_a else 0),
            ("ledger", 4 if district else 0),  # income and payment, two entries each
        ):
            outcome[who, path] = client.get(f"/api/v1/{path}/").json()["count"]
            expected[who, path] = count
    assert outcome == expected


@pytest.mark.parametrize("who", ["desk_b", "case_b", "sync_b", "desk_qx", "officer_qx"])
def test_actions_on_out_of_scope_applications_are_404_or_403(api, staff, paid, approved, who):
    application = approved()
    client = api(getattr(staff, who))
    for verb in ("submit", "approve", "reject", "pay"):
        code = client.post(f"/api/v1/aid-applications/{application.pk}/{verb}/").status_code
        assert code in {403, 404}
    assert client.post(f"/api/v1/payments/{paid.pk}/reverse/", {"reason": "x"}).status_code in {
        403,
        404,
    }


def test_a_sub_center_may_not_enter_an_application_for_another_sub_centers_person(
    api, staff, household
):
    payload = {"person": str(household.person.pk), "aid_type": "living", "amount": "10.00"}
    response = api(staff.desk_b).post("/api/v1/aid-applications/", payload, format="json")
    assert response.status_code == 400
    assert "person" in response.json()


def test_a_sub_center_may_not_file_into_a_unit_outside_its_scope(api, staff, household):
    payload = {
        "person": str(household.person.pk),
        "org_unit": "PT-B",
        "aid_type": "living",
        "amount": "10.00",
        "payment_method": "cash",
    }
    response = api(staff.desk_a).post("/api/v1/aid-applications/", payload, format="json")
    assert response.status_code == 400
    assert "org_unit" in response.json()


@pytest.mark.parametrize("who", ["approver", "manager", "officer", "auditor"])
def test_roles_that_do_not_enter_may_not_create_applications(api, staff, household, who):
    payload = {"person": str(household.person.pk), "aid_type": "living", "amount": "10.00"}
    response = api(getattr(staff, who)).post("/api/v1/aid-applications/", payload, format="json")
    assert response.status_code == 403


def test_list_endpoints_do_not_grow_queries_with_rows(
    api, staff, fund, approved, django_assert_max_num_queries
):
    for _ in range(6):
        services.application_pay(by=staff.manager, application=approved("10.00"), fund=fund)
    client = api(staff.manager)
    for path in ("funds", "aid-applications", "payments", "ledger"):
        with django_assert_max_num_queries(10):
            assert client.get(f"/api/v1/{path}/").status_code == 200
