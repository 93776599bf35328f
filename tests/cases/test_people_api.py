"""People: posted search, city-wide lookup, masking and the access log per role, scope."""

import pytest

from aidcenter.models import AccessLog
from cases.models import Person
from tests.factories import PersonFactory, make_national_id

URL = "/api/v1/people/"


@pytest.fixture
def people(units):
    return {
        "a": PersonFactory(
            name="王秀英",
            phone="13912345678",
            national_id=make_national_id(1),
            org_unit=units.a,
            is_migrant=True,
        ),
        "a1": PersonFactory(
            name="王建国", phone="13800001111", national_id=None, org_unit=units.a1
        ),
        "b": PersonFactory(
            name="王秀兰", phone="13700002222", national_id=make_national_id(2), org_unit=units.b
        ),
        "qx": PersonFactory(
            name="王秀珍", phone="13600003333", national_id=make_national_id(3), org_unit=units.qxa
        ),
    }


SCOPE = {
    "admin": {"a", "a1", "b", "qx"},
    "officer": {"a", "a1", "b"},
    "auditor": {"a", "a1", "b"},
    "manager": {"a", "a1", "b"},
    "approver": {"a", "a1", "b"},
    "case_a": {"a", "a1"},
    "desk_a": {"a", "a1"},
    "sync_a": {"a", "a1"},
    "auditor_a": {"a", "a1"},
    "desk_point": {"a1"},
    "desk_b": {"b"},
    "officer_qx": {"qx"},
    "desk_qx": {"qx"},
}


@pytest.mark.parametrize("who", sorted(SCOPE))
def test_each_role_lists_and_reads_exactly_its_scope(api, staff, people, who):
    client = api(getattr(staff, who))
    listed = {p["id"] for p in client.get(URL + "?page_size=500").json()["results"]}
    assert listed == {str(people[k].pk) for k in SCOPE[who]}
    for key, person in people.items():
        expected = 200 if key in SCOPE[who] else 404
        assert client.get(f"{URL}{person.pk}/").status_code == expected


@pytest.mark.parametrize(
    "who, full",
    [
        ("case_a", True),
        ("desk_a", True),
        ("sync_a", True),
        ("officer", False),
        ("auditor", False),
        ("manager", False),
        ("approver", False),
        ("admin", False),
    ],
)
def test_id_numbers_are_full_only_for_roles_that_enter_files(api, staff, people, who, full):
    client = api(getattr(staff, who))
    shown = client.get(f"{URL}{people['a'].pk}/").json()["national_id"]
    expected = (
        make_national_id(1)
        if full
        else make_national_id(1)[:6] + "********" + make_national_id(1)[-4:]
    )
    assert shown == expected
    logged = AccessLog.objects.filter(user=getattr(staff, who), action="view")
    assert logged.count() == (1 if full else 0)
    if full:
        assert logged.get().record_id == str(people["a"].pk)


def test_granted_permission_shows_full_ids_to_an_officer(api, staff, people):
    from django.contrib.auth.models import Permission

    staff.officer.user_permissions.add(Permission.objects.get(codename="view_full_id"))
    assert api(staff.officer).get(f"{URL}{people['a'].pk}/").json()[
        "national_id"
    ] == make_national_id(1)


def test_a_list_with_full_ids_writes_one_access_log_row_with_the_count(api, staff, people):
    api(staff.case_a).get(URL)
    row = AccessLog.objects.get(user=staff.case_a)
    assert (row.action, row.count, row.model, row.path) == ("list", 1, "cases.Person", URL)
    api(staff.officer).get(URL)
    assert not AccessLog.objects.filter(user=staff.officer).exists()


@pytest.mark.parametrize(
    "q, expected",
    [
        (make_national_id(1)[-4:], {"a"}),
        (make_national_id(1)[-6:], {"a"}),
        (make_national_id(1), {"a"}),
        ("王秀", {"a", "b"}),
        ("建国", {"a1"}),
        ("1391234", {"a"}),
        ("5678", {"a"}),
        ("赵", set()),
    ],
)
def test_search_by_id_suffix_name_or_phone_within_scope(api, staff, people, q, expected):
    response = api(staff.officer).post(URL + "search/", {"q": q}, format="json")
    assert response.status_code == 200
    assert {p["id"] for p in response.json()["results"]} == {str(people[k].pk) for k in expected}


def test_search_is_posted_only_and_rejects_empty_queries(api, staff, people):
    client = api(staff.case_a)
    assert client.get(URL + "search/?q=1234").status_code == 405
    assert client.post(URL + "search/", {"q": ""}, format="json").status_code == 400
    assert client.post(URL + "search/", {}, format="json").status_code == 400


def test_lookup_reveals_only_existence_unit_and_file_status(api, staff, people, new_file):
    client = api(staff.desk_b)
    assert client.post(
        URL + "lookup/", {"national_id": make_national_id(1)}, format="json"
    ).json() == {"exists": True, "org_unit": "PT-A", "file_status": None}
    new_file(1)  # the person now heads a draft file kept by PT-A
    assert client.post(
        URL + "lookup/", {"national_id": make_national_id(1)}, format="json"
    ).json() == {"exists": True, "org_unit": "PT-A", "file_status": "draft"}
    assert client.post(
        URL + "lookup/", {"national_id": make_national_id(99)}, format="json"
    ).json() == {"exists": False}
    # beyond the district too
    assert (
        api(staff.desk_qx)
        .post(URL + "lookup/", {"national_id": make_national_id(1)}, format="json")
        .json()["org_unit"]
        == "PT-A"
    )
    bad = client.post(URL + "lookup/", {"national_id": "123"}, format="json")
    assert bad.status_code == 400 and "national_id" in bad.json()
    assert AccessLog.objects.filter(user=staff.desk_b, action="lookup").count() == 3


def test_create_person_derives_sex_and_birth_date_and_refuses_duplicates(api, staff, people):
    client = api(staff.desk_a)
    response = client.post(
        URL, {"name": "来访者", "national_id": "11010519491231002x"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["national_id"], body["sex"], body["birth_date"]) == (
        "11010519491231002X",
        "F",
        "1949-12-31",
    )
    again = api(staff.desk_b).post(
        URL, {"name": "又一个", "national_id": "11010519491231002X"}, format="json"
    )
    assert again.status_code == 409 and again.json()["code"] == "duplicate_national_id"
    anonymous = client.post(URL, {"name": "热线来电者"}, format="json")
    assert anonymous.status_code == 201 and anonymous.json()["national_id"] is None
    assert Person.objects.filter(national_id="11010519491231002X").count() == 1


def test_read_only_roles_cannot_create_people(api, staff):
    for who in ("officer", "auditor", "manager", "approver"):
        assert api(getattr(staff, who)).post(URL, {"name": "x"}, format="json").status_code == 403


def test_list_query_count_is_flat_in_page_size(api, staff, units, django_assert_max_num_queries):
    for n in range(30):
        PersonFactory(org_unit=units.a, national_id=make_national_id(100 + n))
    client = api(staff.case_a)
    client.get(URL)  # the key's first use records last_used_at once
    with django_assert_max_num_queries(8) as small:
        client.get(URL + "?page_size=2")
    with django_assert_max_num_queries(8) as large:
        client.get(URL + "?page_size=30")
    assert len(small.captured_queries) == len(large.captured_queries)
