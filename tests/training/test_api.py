"""The training API (API.md "Other records"): courses, classes, enrolments with the waiting
list, certificates; scope per role; query counts flat in page size."""

import io
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tests.factories import PersonFactory
from tests.training.factories import CourseFactory, TrainingClassFactory
from training.models import Enrolment, TrainingClass


def test_caseworker_creates_a_course_and_a_class(api, staff, units):
    client = api(staff.case_a)
    course = client.post(
        "/api/v1/courses/",
        {"name": "中式烹调师", "level": "intermediate", "kind": "skill", "provider": "区职校"},
        format="json",
    )
    assert course.status_code == 201, course.json()
    klass = client.post(
        "/api/v1/classes/",
        {
            "course": course.json()["id"],
            "starts_on": "2026-12-01",
            "ends_on": "2027-01-15",
            "capacity": 30,
            "fee": "1500",
            "subsidy": "1000",
        },
        format="json",
    )
    assert klass.status_code == 201, klass.json()
    body = klass.json()
    assert (body["org_unit"], body["fee"], body["subsidy"], body["enrolled"], body["waiting"]) == (
        "PT-A",
        "1500.00",
        "1000.00",
        0,
        0,
    )
    bad = client.post(
        "/api/v1/classes/",
        {
            "course": course.json()["id"],
            "starts_on": "2026-12-01",
            "ends_on": "2026-11-01",
            "capacity": 30,
        },
        format="json",
    )
    assert bad.status_code == 400 and "ends_on" in bad.json()
    assert api(staff.desk_a).post("/api/v1/courses/", {}, format="json").status_code == 403


def test_enrolment_waiting_list_and_drop_over_the_api(api, staff, units):
    klass = TrainingClassFactory(org_unit=units.pt, capacity=1)
    people = [PersonFactory(org_unit=units.a) for _ in range(2)]
    client = api(staff.desk_a)
    made = []
    for person in people:
        response = client.post(
            "/api/v1/enrolments/",
            {"id": str(uuid.uuid4()), "training_class": klass.pk, "person": str(person.pk)},
            format="json",
        )
        assert response.status_code == 201, response.json()
        made.append(response.json())
    assert [m["status"] for m in made] == ["enrolled", "waiting"]
    dropped = client.post(f"/api/v1/enrolments/{made[0]['id']}/drop/")
    assert dropped.status_code == 200 and dropped.json()["status"] == "dropped"
    assert client.get(f"/api/v1/enrolments/{made[1]['id']}/").json()["status"] == "enrolled"
    again = client.post(f"/api/v1/enrolments/{made[0]['id']}/drop/")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    listed = api(staff.case_b).get(f"/api/v1/classes/{klass.pk}/").json()
    assert (listed["enrolled"], listed["waiting"]) == (1, 0)


def test_deleting_an_enrolment_moves_the_waiting_list(api, staff, units):
    klass = TrainingClassFactory(org_unit=units.a, capacity=1)
    client = api(staff.desk_a)
    ids = [
        client.post(
            "/api/v1/enrolments/",
            {"training_class": klass.pk, "person": str(PersonFactory(org_unit=units.a).pk)},
            format="json",
        ).json()["id"]
        for _ in range(2)
    ]
    assert client.delete(f"/api/v1/enrolments/{ids[0]}/").status_code == 204
    assert Enrolment.objects.get(pk=ids[1]).status == "enrolled"
    assert TrainingClass.objects.get(pk=klass.pk).enrolled == 1


def test_enrolments_are_seen_by_the_enrolling_and_the_running_unit_only(api, staff, units):
    klass = TrainingClassFactory(org_unit=units.a, capacity=5)
    response = api(staff.desk_b).post(
        "/api/v1/enrolments/",
        {"training_class": klass.pk, "person": str(PersonFactory(org_unit=units.b).pk)},
        format="json",
    )
    assert response.status_code == 201
    url = f"/api/v1/enrolments/{response.json()['id']}/"
    for user in (staff.desk_b, staff.case_a, staff.officer, staff.auditor_a):
        assert api(user).get(url).status_code == 200, user
    for user in (staff.desk_qx, staff.officer_qx, staff.desk_point):
        assert api(user).get(url).status_code == 404, user
    # Attendance and results are the running caseworkers' to enter, not the front desk's.
    patch = {"version": 1, "sessions_attended": 12}
    assert api(staff.desk_b).patch(url, patch, format="json").status_code == 403
    ok = api(staff.case_a).patch(url, patch, format="json")
    assert ok.status_code == 200 and ok.json()["sessions_attended"] == 12


def test_certificate_issue_renewal_and_expiring_list(api, staff, units):
    klass = TrainingClassFactory(org_unit=units.a, course=CourseFactory(certificate_name="焊工"))
    client = api(staff.case_a)
    enrolment = client.post(
        "/api/v1/enrolments/",
        {"training_class": klass.pk, "person": str(PersonFactory(org_unit=units.a).pk)},
        format="json",
    ).json()
    done = client.post(
        f"/api/v1/enrolments/{enrolment['id']}/complete/", {"exam_passed": True}, format="json"
    )
    assert done.status_code == 200 and done.json()["subsidy_amount"] == "800.00"
    payload = {
        "enrolment": enrolment["id"],
        "kind": "special_operation",
        "number": "t31-0001",
        "issued_on": "2024-06-01",
        "expires_on": "2026-12-31",
    }
    issued = client.post("/api/v1/certificates/", payload, format="json")
    assert issued.status_code == 201, issued.json()
    assert (issued.json()["name"], issued.json()["number"]) == ("焊工", "T31-0001")
    twice = client.post("/api/v1/certificates/", payload, format="json")
    assert twice.status_code == 409 and twice.json()["code"] == "duplicate_certificate"
    expiring = client.get("/api/v1/certificates/expiring/?within_days=365").json()
    assert [c["number"] for c in expiring["results"]] == ["T31-0001"]
    assert client.get("/api/v1/certificates/expiring/?within_days=x").status_code == 400
    renewed = client.patch(
        f"/api/v1/certificates/{issued.json()['id']}/",
        {"version": 1, "expires_on": "2032-12-31"},
        format="json",
    )
    assert renewed.status_code == 200 and renewed.json()["expires_on"] == "2032-12-31"
    assert client.get("/api/v1/certificates/expiring/?within_days=365").json()["count"] == 0


@pytest.mark.parametrize("url", ["courses", "classes", "enrolments", "certificates"])
def test_every_list_exports(api, staff, units, url):
    klass = TrainingClassFactory(org_unit=units.a)
    Enrolment.objects.create(
        org_unit=units.a, training_class=klass, person=PersonFactory(org_unit=units.a)
    )
    response = api(staff.case_a).get(f"/api/v1/{url}/export/")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].values)
    assert len(rows) >= 1 and rows[0][0]


@pytest.mark.parametrize("url", ["/api/v1/classes/", "/api/v1/enrolments/"])
def test_list_query_count_is_flat_in_page_size(api, staff, units, url):
    for _ in range(12):
        klass = TrainingClassFactory(org_unit=units.a, capacity=3)
        Enrolment.objects.create(
            org_unit=units.a, training_class=klass, person=PersonFactory(org_unit=units.a)
        )
    client = api(staff.case_a)
    client.get(url)
    counts = []
    for size in (2, 12):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"{url}?page_size={size}")
        assert len(response.json()["results"]) == size
        counts.append(len(captured))
    assert counts[0] == counts[1] and counts[1] <= 10, counts
