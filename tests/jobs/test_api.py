"""The jobs API (API.md "Other records"): creates, idempotence, versions, scope per role,
matches, query counts flat in page size."""

import datetime
import uuid

import pytest

from jobs.models import JobSeeker, Placement, Vacancy
from tests.factories import PersonFactory
from tests.jobs.factories import (
    EmployerFactory,
    JobFairFactory,
    JobSeekerFactory,
    VacancyFactory,
    make_credit_code,
)

DAY = "2026-03-10"


def test_caseworker_creates_employer_fair_and_vacancy(api, staff, units):
    client = api(staff.case_a)
    employer = client.post(
        "/api/v1/employers/",
        {"credit_code": "91110000600037341l", "name": "示例机电", "industry": "制造业"},
        format="json",
    )
    assert employer.status_code == 201, employer.json()
    assert employer.json()["credit_code"] == "91110000600037341L"
    assert employer.json()["version"] == 1
    fair = client.post(
        "/api/v1/job-fairs/",
        {
            "name": "春风行动专场",
            "kind": "spring_breeze",
            "location": "hall",
            "held_on": DAY,
            "employers": [employer.json()["id"]],
        },
        format="json",
    )
    assert fair.status_code == 201, fair.json()
    assert (fair.json()["org_unit"], fair.json()["employers"]) == ("PT-A", [employer.json()["id"]])
    vacancy = client.post(
        "/api/v1/vacancies/",
        {
            "employer": employer.json()["id"],
            "job_fair": fair.json()["id"],
            "title": "维修电工",
            "positions": 3,
            "salary_min": "6000",
            "salary_max": "8000.5",
        },
        format="json",
    )
    assert vacancy.status_code == 201, vacancy.json()
    body = vacancy.json()
    assert (body["opened_on"], body["salary_min"], body["salary_max"]) == (
        DAY,
        "6000.00",
        "8000.50",
    )
    assert (body["placed"], body["positions_left"], body["status"]) == (0, 3, "open")


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"credit_code": "91110000600037341M", "name": "坏"}, "credit_code"),
        ({"credit_code": "   ", "name": "坏"}, "credit_code"),
        ({"credit_code": 12345, "name": "坏"}, "credit_code"),
        ({"credit_code": make_credit_code(1)}, "name"),
    ],
)
def test_bad_employer_gets_400_with_the_field(api, staff, payload, field):
    response = api(staff.case_a).post("/api/v1/employers/", payload, format="json")
    assert response.status_code == 400 and field in response.json(), response.content


def test_duplicate_credit_code_is_409(api, staff):
    EmployerFactory(credit_code=make_credit_code(7))
    response = api(staff.case_b).post(
        "/api/v1/employers/", {"credit_code": make_credit_code(7), "name": "重复"}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "duplicate_credit_code"


def test_front_desk_and_officers_may_not_run_fairs(api, staff, units):
    for user in (staff.desk_a, staff.officer, staff.auditor):
        response = api(user).post(
            "/api/v1/job-fairs/", {"name": "x", "held_on": DAY}, format="json"
        )
        assert response.status_code == 403


def test_catalogues_are_readable_by_all_staff_and_written_only_in_scope(api, staff, units):
    fair = JobFairFactory(org_unit=units.a)
    vacancy = VacancyFactory(org_unit=units.a)
    for user in (staff.desk_b, staff.desk_qx, staff.officer_qx, staff.auditor_a):
        client = api(user)
        assert client.get(f"/api/v1/job-fairs/{fair.pk}/").status_code == 200
        assert client.get(f"/api/v1/vacancies/{vacancy.pk}/").status_code == 200
        assert client.get(f"/api/v1/employers/{vacancy.employer_id}/").status_code == 200
    response = api(staff.case_b).patch(
        f"/api/v1/vacancies/{vacancy.pk}/", {"version": 1, "positions": 9}, format="json"
    )
    assert response.status_code == 403
    assert Vacancy.objects.get(pk=vacancy.pk).positions == 5


def test_vacancy_patch_needs_the_version(api, staff, units):
    vacancy = VacancyFactory(org_unit=units.a)
    client = api(staff.case_a)
    url = f"/api/v1/vacancies/{vacancy.pk}/"
    assert client.patch(url, {"positions": 9}, format="json").status_code == 400
    ok = client.patch(url, {"positions": 9, "version": 1}, format="json")
    assert (ok.status_code, ok.json()["positions"], ok.json()["version"]) == (200, 9, 2)
    stale = client.patch(url, {"positions": 8, "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert stale.json()["current"]["positions"] == 9


def test_seeker_registration_is_idempotent_and_scoped(api, staff, units):
    person = PersonFactory(org_unit=units.a)
    record_id = str(uuid.uuid4())
    payload = {"id": record_id, "person": str(person.pk), "desired_job": "电工"}
    client = api(staff.sync_a)
    first = client.post("/api/v1/job-seekers/", payload, format="json")
    assert first.status_code == 201, first.json()
    assert (first.json()["org_unit"], first.json()["person_name"]) == ("PT-A", person.name)
    again = client.post("/api/v1/job-seekers/", payload, format="json")
    assert again.status_code == 200 and again.json()["id"] == record_id
    other = client.post("/api/v1/job-seekers/", {**payload, "desired_job": "焊工"}, format="json")
    assert other.status_code == 409 and other.json() == {"code": "id_conflict"}
    assert JobSeeker.objects.count() == 1
    url = f"/api/v1/job-seekers/{record_id}/"
    for user in (staff.desk_a, staff.officer, staff.auditor_a):
        assert api(user).get(url).status_code == 200
    for user in (staff.desk_b, staff.case_b, staff.officer_qx, staff.desk_point):
        assert api(user).get(url).status_code == 404
    # A person kept by the sibling sub-center cannot be registered there.
    stranger = PersonFactory(org_unit=units.b)
    response = api(staff.desk_a).post(
        "/api/v1/job-seekers/", {"person": str(stranger.pk)}, format="json"
    )
    assert response.status_code == 400 and "person" in response.json()


def test_placement_over_the_api_and_its_conflicts(api, staff, units):
    vacancy = VacancyFactory(org_unit=units.pt, positions=1)
    seekers = [JobSeekerFactory(org_unit=units.a) for _ in range(2)]
    client = api(staff.case_a)
    ok = client.post(
        "/api/v1/placements/",
        {"seeker": str(seekers[0].pk), "vacancy": vacancy.pk, "started_on": DAY},
        format="json",
    )
    assert ok.status_code == 201, ok.json()
    assert ok.json()["follow_up_due_on"] == "2026-06-10"
    full = client.post(
        "/api/v1/placements/",
        {"seeker": str(seekers[1].pk), "vacancy": vacancy.pk, "started_on": DAY},
        format="json",
    )
    assert full.status_code == 409 and full.json()["code"] == "vacancy_full"
    follow = client.patch(
        f"/api/v1/placements/{ok.json()['id']}/",
        {"version": 1, "followed_up_on": "2026-06-10", "employed_at_follow_up": True},
        format="json",
    )
    assert follow.status_code == 200, follow.json()
    assert (follow.json()["employed_at_follow_up"], follow.json()["version"]) == (True, 2)
    deleted = client.delete(f"/api/v1/placements/{ok.json()['id']}/")
    assert deleted.status_code == 204
    assert Vacancy.objects.get(pk=vacancy.pk).placed == 0
    # The district that runs the vacancy sees the placement too; the sibling does not.
    second = client.post(
        "/api/v1/placements/",
        {"seeker": str(seekers[1].pk), "vacancy": vacancy.pk, "started_on": DAY},
        format="json",
    )
    assert second.status_code == 201
    placement = second.json()["id"]
    assert api(staff.officer).get(f"/api/v1/placements/{placement}/").status_code == 200
    assert api(staff.case_b).get(f"/api/v1/placements/{placement}/").status_code == 404
    assert Placement.objects.filter(deleted_at__isnull=True).count() == 1


def test_guidance_and_intents_need_a_seeker_in_scope(api, staff, units):
    seeker_b = JobSeekerFactory(org_unit=units.b)
    vacancy = VacancyFactory(org_unit=units.pt)
    client = api(staff.case_a)
    response = client.post(
        "/api/v1/guidance/", {"seeker": str(seeker_b.pk), "held_on": DAY}, format="json"
    )
    assert response.status_code == 400 and "seeker" in response.json()
    response = client.post(
        "/api/v1/intents/",
        {"seeker": str(seeker_b.pk), "vacancy": vacancy.pk, "reached_on": DAY},
        format="json",
    )
    assert response.status_code == 400 and "seeker" in response.json()
    ok = api(staff.case_b).post(
        "/api/v1/intents/",
        {"seeker": str(seeker_b.pk), "vacancy": vacancy.pk, "reached_on": DAY},
        format="json",
    )
    assert ok.status_code == 201 and ok.json()["org_unit"] == "PT-B"
    assert (
        api(staff.desk_b)
        .post("/api/v1/guidance/", {"seeker": str(seeker_b.pk), "held_on": DAY}, format="json")
        .status_code
        == 403
    )


def test_matches_both_ways_with_reasons(api, staff, units):
    vacancy = VacancyFactory(org_unit=units.b, title="维修电工")
    seeker = JobSeekerFactory(org_unit=units.a, desired_job="电工")
    found = api(staff.case_a).get(f"/api/v1/job-seekers/{seeker.pk}/matches/").json()
    assert [(m["vacancy"]["id"], m["score"]) for m in found] == [(vacancy.pk, 5)]
    assert [r["code"] for r in found[0]["reasons"]] == ["desired_job", "district"]
    back = api(staff.case_a).get(f"/api/v1/vacancies/{vacancy.pk}/matches/").json()
    assert [(m["seeker"]["id"], m["score"]) for m in back] == [(str(seeker.pk), 5)]
    assert api(staff.case_b).get(f"/api/v1/vacancies/{vacancy.pk}/matches/").json() == []
    assert api(staff.case_b).get(f"/api/v1/job-seekers/{seeker.pk}/matches/").status_code == 404


@pytest.mark.parametrize(
    "url, make",
    [
        ("/api/v1/vacancies/", lambda units, i: VacancyFactory(org_unit=units.a)),
        (
            "/api/v1/job-fairs/",
            lambda units, i: JobFairFactory(org_unit=units.a).employers.add(EmployerFactory()),
        ),
        ("/api/v1/job-seekers/", lambda units, i: JobSeekerFactory(org_unit=units.a)),
        (
            "/api/v1/placements/",
            lambda units, i: Placement.objects.create(
                org_unit=units.a,
                seeker=JobSeekerFactory(org_unit=units.a),
                vacancy=VacancyFactory(org_unit=units.a),
                started_on=datetime.date(2026, 3, 1),
            ),
        ),
    ],
)
def test_list_query_count_is_flat_in_page_size(
    api, staff, units, url, make, django_assert_max_num_queries
):
    for i in range(12):
        make(units, i)
    client = api(staff.case_a)
    client.get(url)  # warm: key lookup caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (2, 12):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"{url}?page_size={size}")
        assert response.status_code == 200 and len(response.json()["results"]) == size
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 10
