"""Funds II over the API: campaign batches, documents, budgets; scope per role (404 outside)."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from funds import batches, services
from tests.funds.factories import WorkerFactory
from tests.funds.test_scope import DISTRICT, EVERYONE, SUB_CENTER_A


def test_batch_flow_over_the_api(api, staff, units, make_fund):
    households = [WorkerFactory(org_unit=units.a) for _ in range(2)]
    fund = make_fund(balance="1000")
    body = {
        "fund": fund.code,
        "org_unit": "PT-A",
        "kind": "holiday",
        "name": "春节送温暖",
        "month": "2027-01-15",
        "amount": "300.00",
    }
    assert api(staff.approver).post("/api/v1/aid-batches/", body).status_code == 403
    created = api(staff.manager).post("/api/v1/aid-batches/", body)
    assert created.status_code == 201
    batch = created.json()
    assert (batch["status"], batch["lines"], batch["total"], batch["month"]) == (
        "draft",
        2,
        "600.00",
        "2027-01-01",
    )
    url = f"/api/v1/aid-batches/{batch['id']}/"
    assert api(staff.manager).post(url + "approve/").status_code == 403
    assert api(staff.approver).post(url + "reject/", {"opinion": ""}).status_code == 400
    approved = api(staff.approver).post(url + "approve/", {"opinion": "同意"})
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    assert api(staff.approver).post(url + "approve/").json()["code"] == "invalid_transition"
    assert api(staff.manager).get(url + "progress/").status_code == 404
    queued = api(staff.manager).post(url + "pay/")
    assert (queued.status_code, queued.json()["status"], queued.json()["total"]) == (
        202,
        "queued",
        2,
    )
    assert api(staff.manager).post(url + "pay/").json()["code"] == "already_paid"
    batches.batch_run(run_id=queued.json()["id"])  # what the worker does
    progress = api(staff.manager).get(url + "progress/").json()
    assert (progress["status"], progress["done"], progress["total"]) == ("done", 2, 2)
    lines = api(staff.desk_a).get(url + "lines/").json()
    assert sorted((r["worker"], r["status"]) for r in lines["results"]) == sorted(
        (str(w.pk), "paid") for w in households
    )
    sheet = load_workbook(io.BytesIO(api(staff.manager).get(url + "xlsx/").content)).active
    rows = list(sheet.values)
    assert [row[3] for row in rows[2:4]] == [300, 300]
    assert rows[-1][3] == 600


def test_batches_are_scoped_by_the_unit_they_cover(api, staff, units, make_fund):
    WorkerFactory(org_unit=units.a)
    batch = batches.batch_build(
        by=staff.manager,
        fund=make_fund(balance="100"),
        org_unit=units.a,
        kind="voucher",
        name="券",
        month=services._today(),
        method="voucher",
    )
    outcome, expected = {}, {}
    for who in sorted(EVERYONE):
        outcome[who] = api(getattr(staff, who)).get(f"/api/v1/aid-batches/{batch.pk}/").status_code
        expected[who] = 200 if who in DISTRICT | SUB_CENTER_A else 404
    assert outcome == expected


def test_documents_upload_to_a_draft_and_are_listed(
    api, staff, units, household, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    application = services.application_create(
        by=staff.desk_a,
        org_unit=units.a,
        person=household.person,
        worker=household,
        data={"aid_type": "medical", "amount": "100.00", "payment_method": "cash"},
    )
    url = f"/api/v1/aid-applications/{application.pk}/documents/"
    upload = SimpleUploadedFile("发票.pdf", b"%PDF-1.4", content_type="application/pdf")
    created = api(staff.desk_a).post(url, {"kind": "invoice", "file": upload}, format="multipart")
    assert created.status_code == 201
    assert {k: created.json()[k] for k in ("kind", "original_name", "size", "uploaded_by")} == {
        "kind": "invoice",
        "original_name": "发票.pdf",
        "size": 8,
        "uploaded_by": "desk_a",
    }
    text = SimpleUploadedFile("a.txt", b"x", content_type="text/plain")
    refused = api(staff.desk_a).post(url, {"kind": "other", "file": text}, format="multipart")
    assert (refused.status_code, refused.json()) == (
        400,
        {"file": ["请上传 PDF、JPEG 或 PNG 文件。"]},
    )
    # The browser's word is not enough: an executable that calls itself a PDF is refused.
    fake = SimpleUploadedFile("x.pdf", b"MZ\x90\x00", content_type="application/pdf")
    refused = api(staff.desk_a).post(url, {"kind": "other", "file": fake}, format="multipart")
    assert refused.status_code == 400 and "file" in refused.json()
    assert [d["original_name"] for d in api(staff.auditor).get(url).json()] == ["发票.pdf"]
    assert api(staff.desk_b).get(url).status_code == 404
    other = SimpleUploadedFile("b.pdf", b"%PDF-1.4\n", content_type="application/pdf")
    assert (
        api(staff.desk_b)
        .post(url, {"kind": "other", "file": other}, format="multipart")
        .status_code
        == 404
    )


def test_budget_endpoint_sets_and_compares(api, staff, fund, approved):
    services.application_pay(by=staff.manager, application=approved("400.00"), fund=fund)
    year = services._today().year
    url = f"/api/v1/funds/{fund.code}/budget/"
    assert api(staff.auditor).post(url, {"year": year, "amount": "1"}).status_code == 403
    set_ = api(staff.manager).post(url, {"year": year, "aid_type": "living", "amount": "1000.00"})
    assert set_.json() == [
        {
            "aid_type": "living",
            "budget": "1000.00",
            "paid": "400.00",
            "returned": "0.00",
            "spent": "400.00",
            "left": "600.00",
        },
        {
            "aid_type": "",
            "budget": None,
            "paid": "400.00",
            "returned": "0.00",
            "spent": "400.00",
            "left": None,
        },
    ]
    assert api(staff.auditor).get(url + f"?year={year}").json() == set_.json()
    assert api(staff.desk_a).get(url).status_code == 404
