"""Household members and proof documents over the API."""

from django.core.files.uploadedfile import SimpleUploadedFile

from aidcenter.models import AccessLog
from cases.models import WorkerDocument
from tests.factories import make_national_id

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_members_are_listed_without_the_head_and_count_in_household_size(api, staff, new_file):
    worker = new_file(1)
    client = api(staff.case_a)
    url = f"/api/v1/workers/{worker.pk}/household/"
    created = client.post(
        url,
        {
            "national_id": make_national_id(2),
            "name": "李二",
            "relation": "spouse",
            "health_note": "慢性肾病",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["org_unit"], body["relation"], body["version"]) == ("PT-A", "spouse", 1)
    listed = client.get(url).json()
    assert [m["name"] for m in listed["results"]] == ["李二"]
    assert client.get(f"/api/v1/workers/{worker.pk}/").json()["household_size"] == 2
    # health notes: the roles that work files see them; a fund manager does not
    assert api(staff.officer).get(url).json()["results"][0]["health_note"] == "慢性肾病"
    assert api(staff.manager).get(url).json()["results"][0]["health_note"] is None


def test_household_of_a_file_outside_scope_is_404(api, staff, new_file):
    worker = new_file(3)
    url = f"/api/v1/workers/{worker.pk}/household/"
    assert api(staff.case_b).get(url).status_code == 404
    response = api(staff.case_b).post(
        url, {"national_id": make_national_id(4), "name": "x", "relation": "child"}, format="json"
    )
    assert response.status_code == 404


def test_member_edit_needs_the_version(api, staff, new_file):
    worker = new_file(5)
    client = api(staff.case_a)
    url = f"/api/v1/workers/{worker.pk}/household/"
    member = client.post(
        url,
        {"national_id": make_national_id(6), "name": "小明", "relation": "child"},
        format="json",
    ).json()
    assert (
        client.patch(f"{url}{member['id']}/", {"school": "曹杨二中"}, format="json").status_code
        == 400
    )
    ok = client.patch(f"{url}{member['id']}/", {"school": "曹杨二中", "version": 1}, format="json")
    assert ok.status_code == 200 and ok.json()["school"] == "曹杨二中" and ok.json()["version"] == 2


def test_documents_are_type_checked_stored_privately_and_logged(
    api, client, staff, new_file, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    worker = new_file(7)
    api_client = api(staff.case_a)
    url = f"/api/v1/workers/{worker.pk}/documents/"
    ok = api_client.post(
        url, {"kind": "consent", "file": SimpleUploadedFile("授权书.pdf", PDF)}, format="multipart"
    )
    assert ok.status_code == 201, ok.json()
    assert (
        ok.json()["content_type"] == "application/pdf"
        and ok.json()["original_name"] == "授权书.pdf"
    )
    doc = WorkerDocument.objects.get()
    assert doc.file.path.startswith(str(tmp_path)) and "授权书" not in doc.file.name
    fake = api_client.post(
        url,
        {"kind": "income", "file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00exe")},
        format="multipart",
    )
    assert fake.status_code == 400 and "file" in fake.json()
    bad_kind = api_client.post(
        url, {"kind": "selfie", "file": SimpleUploadedFile("a.png", PNG)}, format="multipart"
    )
    assert bad_kind.status_code == 400
    assert WorkerDocument.objects.count() == 1
    client.force_login(staff.case_a)
    response = client.get(f"/documents/{doc.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert AccessLog.objects.filter(user=staff.case_a, action="document").count() == 1
    client.force_login(staff.desk_b)
    assert client.get(f"/documents/{doc.pk}/").status_code == 404
