"""The registry API (API.md "Workers"): creates, duplicates, versions, idempotence, workflow."""

import uuid

import pytest

from aidcenter.models import Change
from cases.models import HouseholdMember, Person, Worker
from tests.cases.conftest import worker_payload
from tests.factories import make_national_id

URL = "/api/v1/workers/"


def post_file(client, n, **extra):
    return client.post(URL, worker_payload(n, **extra), format="json")


def test_sync_client_creates_a_file_in_its_unit_with_the_head_written_through(api, staff):
    response = post_file(api(staff.sync_a), 1)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["org_unit"] == "PT-A" and body["status"] == "draft" and body["version"] == 1
    assert body["national_id"] == make_national_id(1)  # its own unit's record: full
    assert (body["sex"], body["birth_date"], body["household_size"]) == ("M", "1975-03-12", 1)
    person = Person.objects.get(pk=body["person"])
    assert (person.name, person.org_unit.code, person.national_id) == (
        "张1",
        "PT-A",
        make_national_id(1),
    )
    assert body["income_per_head"] == "800.00"


def test_org_unit_outside_scope_is_refused_and_nothing_is_saved(api, staff):
    response = post_file(api(staff.sync_a), 2, org_unit="PT-B")
    assert response.status_code == 400 and "org_unit" in response.json()
    assert not Worker.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("national_id", "11010519491231002Y"),
        ("national_id", ""),
        ("income_per_head", "-1"),
        ("main_cause", "laziness"),
        ("secondary_causes", ["nope"]),
        ("name", ""),
    ],
)
def test_bad_input_gets_400_with_the_field_and_changes_nothing(api, staff, field, value):
    response = post_file(api(staff.case_a), 3, **{field: value})
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Worker.objects.exists() and not Person.objects.exists()


def test_duplicate_head_across_units_is_409_without_details(api, staff):
    assert post_file(api(staff.case_a), 4).status_code == 201
    response = post_file(api(staff.case_b), 4)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "duplicate_national_id"
    assert "PT-A" not in str(body) and "张4" not in str(body)
    assert Worker.objects.count() == 1


def test_duplicate_as_member_of_another_units_file_is_409(api, staff, new_file):
    file_a = new_file(5)
    member = {"national_id": make_national_id(6), "name": "李六", "relation": "child"}
    response = api(staff.case_a).post(f"{URL}{file_a.pk}/household/", member, format="json")
    assert response.status_code == 201, response.json()
    # The same person as head of a file in the sibling unit:
    assert post_file(api(staff.case_b), 6).status_code == 409
    # ... or as a member of another file in the same unit:
    file_a2 = new_file(7)
    response = api(staff.case_a).post(f"{URL}{file_a2.pk}/household/", member, format="json")
    assert response.status_code == 409 and response.json()["code"] == "duplicate_national_id"
    assert HouseholdMember.objects.filter(person__national_id=make_national_id(6)).count() == 1


def test_a_closed_file_frees_its_people_for_a_new_file(staff, registered_file, new_file):
    from cases import services

    old = registered_file(8)
    services.worker_close(by=staff.officer, worker=old, reason="moved_away", on=old.registered_on)
    again = new_file(8, by=staff.case_b)
    assert again.person_id == old.person_id and again.org_unit.code == "PT-B"


def test_database_refuses_a_second_active_file_even_past_python(staff, new_file):
    from django.db import IntegrityError, transaction

    first = new_file(9)
    second = new_file(10)
    with pytest.raises(IntegrityError), transaction.atomic():
        HouseholdMember.objects.create(
            org_unit=second.org_unit, worker=second, person=first.person, relation="spouse"
        )


def test_patch_needs_the_version_and_refuses_a_stale_one(api, staff, new_file):
    worker = new_file(11)
    client = api(staff.case_a)
    no_version = client.patch(f"{URL}{worker.pk}/", {"address": "新地址"}, format="json")
    assert no_version.status_code == 400 and "version" in no_version.json()
    ok = client.patch(f"{URL}{worker.pk}/", {"address": "新地址", "version": 1}, format="json")
    assert ok.status_code == 200 and ok.json()["version"] == 2 and ok.json()["address"] == "新地址"
    stale = client.patch(f"{URL}{worker.pk}/", {"address": "旧版本", "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"
    assert (
        stale.json()["current"]["version"] == 2 and stale.json()["current"]["address"] == "新地址"
    )
    assert stale.json()["current"]["household_size"] == 1
    worker.refresh_from_db()
    assert (worker.address, worker.version) == ("新地址", 2)


def test_put_is_not_offered(api, staff, new_file):
    worker = new_file(12)
    assert api(staff.case_a).put(f"{URL}{worker.pk}/", {}, format="json").status_code == 405


def test_replayed_create_after_a_later_edit_answers_200_and_changes_nothing(api, staff):
    client = api(staff.sync_a)
    record_id = str(uuid.uuid4())
    payload = worker_payload(13, id=record_id)
    assert client.post(URL, payload, format="json").status_code == 201
    client.patch(f"{URL}{record_id}/", {"address": "改过", "version": 1}, format="json")
    replay = client.post(URL, payload, format="json")
    assert replay.status_code == 200
    assert replay.json()["version"] == 2 and replay.json()["address"] == "改过"
    assert Worker.objects.count() == 1
    other = client.post(URL, {**payload, "address": "别的内容"}, format="json")
    assert other.status_code == 409 and other.json() == {"code": "id_conflict"}


def test_client_chosen_id_of_a_record_outside_scope_is_id_conflict(api, staff):
    record_id = str(uuid.uuid4())
    assert (
        api(staff.case_a).post(URL, worker_payload(14, id=record_id), format="json").status_code
        == 201
    )
    response = api(staff.case_b).post(URL, worker_payload(14, id=record_id), format="json")
    assert response.status_code == 409 and response.json() == {"code": "id_conflict"}


def test_masked_id_sent_back_is_ignored(api, staff, new_file):
    worker = new_file(15)
    masked = worker.person.national_id[:6] + "********" + worker.person.national_id[-4:]
    response = api(staff.case_a).patch(
        f"{URL}{worker.pk}/", {"national_id": masked, "version": 1}, format="json"
    )
    assert response.status_code == 200
    worker.person.refresh_from_db()
    assert worker.person.national_id == make_national_id(15)


def test_soft_delete_leaves_lists_and_enters_the_change_feed_as_a_tombstone(api, staff, new_file):
    worker = new_file(16)
    client = api(staff.case_a)
    assert client.delete(f"{URL}{worker.pk}/").status_code == 204
    assert client.get(URL).json()["count"] == 0
    assert client.get(f"{URL}{worker.pk}/").status_code == 404
    last = Change.objects.filter(record_id=str(worker.pk)).order_by("-id").first()
    assert (last.op, last.version) == ("delete", 2)
    # ... and its people may stand in a new file
    assert not HouseholdMember.objects.filter(worker=worker, file_active=True).exists()


def test_filters_ordering_and_pagination(api, staff, new_file, registered_file):
    new_file(17)
    registered_file(18)
    new_file(19, by=staff.case_b)
    client = api(staff.officer)
    body = client.get(URL + "?org_unit=PT-A&status=registered").json()
    assert body["count"] == 1 and body["results"][0]["name"] == "张18"
    names = [
        w["name"] for w in client.get(URL + "?ordering=person__name&page_size=2").json()["results"]
    ]
    assert names == ["张17", "张18"]
    assert client.get(URL + "?search=张19").json()["count"] == 1


def test_health_notes_hidden_from_a_role_are_null_and_the_schema_says_so(client, db):
    # Fund approvers and managers get `health_note: null` (PIPL art. 28): the schema must
    # allow it, or a sub-center's generated client fails on the answer (found by
    # bench/contract_roles.sh as the fund manager).
    schema = client.get("/api/schema/", {"format": "json"}).json()
    member = schema["components"]["schemas"]["Member"]["properties"]["health_note"]
    assert member.get("nullable") is True
