"""The funds API of API.md: whole bodies, status codes, 409 codes and their order, masking."""

import uuid
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from funds import services
from funds.models import Account, AidApplication, AidCap, LedgerEntry
from tests.funds.factories import WorkerFactory


def _balance(fund) -> Decimal:
    return Account.objects.get(fund=fund, kind="fund").balance


def test_fund_list_and_detail_show_the_balance_as_a_string(api, staff, fund):
    body = api(staff.manager).get("/api/v1/funds/PT-AID/").json()
    assert body == {
        "code": "PT-AID",
        "name": "基金PT-AID",
        "org_unit": "PT",
        "source_kind": "central",
        "aid_types": [],
        "file_levels": [],
        "requires_file": False,
        "is_active": True,
        "balance": "10000.00",
        "version": 1,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    listed = api(staff.manager).get("/api/v1/funds/").json()
    assert [f["code"] for f in listed["results"]] == ["PT-AID"]


def test_admins_create_funds_and_others_may_not(api, staff):
    payload = {
        "code": "PT-ONEDAY",
        "name": "一日捐",
        "org_unit": "PT",
        "source_kind": "one_day",
        "aid_types": ["holiday", "schooling"],
        "requires_file": False,
    }
    assert api(staff.manager).post("/api/v1/funds/", payload, format="json").status_code == 403
    response = api(staff.admin).post("/api/v1/funds/", payload, format="json")
    assert response.status_code == 201
    assert response.json()["aid_types"] == ["holiday", "schooling"]
    assert response.json()["balance"] == "0.00"
    again = api(staff.admin).post("/api/v1/funds/", payload, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "duplicate_code")


def test_income_is_recorded_by_a_fund_manager(api, staff, fund):
    payload = {"amount": "1000.00", "received_on": "2024-03-01", "source": "市总下拨"}
    assert api(staff.approver).post("/api/v1/funds/PT-AID/income/", payload).status_code == 403
    response = api(staff.manager).post("/api/v1/funds/PT-AID/income/", payload)
    assert response.status_code == 201
    assert response.json()["amount"] == "1000.00"
    assert _balance(fund) == Decimal("11000.00")


@pytest.mark.parametrize(
    "amount", ["-1", "0", "1.001", "abc", "1e400", "99999999999999999999", None, "\u0000"]
)
def test_bad_income_amounts_get_400_and_change_nothing(api, staff, fund, amount):
    payload = {"amount": amount, "received_on": "2024-03-01", "source": "x"}
    response = api(staff.manager).post("/api/v1/funds/PT-AID/income/", payload, format="json")
    assert response.status_code == 400
    assert "amount" in response.json() or amount == "\u0000"  # NUL: refused by middleware
    assert _balance(fund) == Decimal("10000.00")


def _create(api, user, person, worker=None, **fields):
    payload = {
        "person": str(person.pk),
        "worker": str(worker.pk) if worker else None,
        "aid_type": "living",
        "amount": "1500.00",
        "reason": "因病致困",
        "payment_method": "bank",
        "payee_name": person.name,
        "bank_name": "工商银行",
        "bank_account": "6222020200112233",
        **fields,
    }
    return api(user).post("/api/v1/aid-applications/", payload, format="json")


def test_the_whole_flow_over_the_api(api, staff, fund, household):
    created = _create(api, staff.desk_a, household.person, household)
    assert created.status_code == 201
    body = created.json()
    app_id = body["id"]
    assert body == {
        "id": app_id,
        "org_unit": "PT-A",
        "version": 1,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "person": str(household.person.pk),
        "worker": str(household.pk),
        "aid_type": "living",
        "amount": "1500.00",
        "reason": "因病致困",
        "applied_on": services._today().isoformat(),
        "status": "draft",
        "payment_method": "bank",
        "payee_name": household.person.name,
        "bank_name": "工商银行",
        "bank_account": "************2233",  # front desk: masked
        "school": "",
        "invoice_total": None,
        "insurance_paid": None,
        "civil_affairs_paid": None,
        "entered_by": "desk_a",
        "required_approvals": 1,
        "repeat_in_period": False,
        "approvals": [],
        # Funds II added these (every Funds I field above keeps its value).
        "child": None,
        "grade": "",
        "school_year": None,
        "duplicate_elsewhere": False,
        "out_of_pocket": None,
        "term_months": None,
        "hires_laid_off": False,
    }
    url = f"/api/v1/aid-applications/{app_id}/"
    assert api(staff.desk_a).post(url + "submit/").json()["status"] == "submitted"
    approved = api(staff.approver).post(url + "approve/", {"opinion": "同意"})
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved" and approved.json()["version"] == 3
    assert approved.json()["bank_account"] == "6222020200112233"  # fund roles see it
    assert [(a["by"], a["decision"], a["opinion"]) for a in approved.json()["approvals"]] == [
        ("approver", "approve", "同意")
    ]
    paid = api(staff.manager).post(url + "pay/", {"fund": "PT-AID"})
    assert paid.status_code == 201
    payment = paid.json()
    assert {k: payment[k] for k in ("fund", "amount", "method", "status", "bank_account")} == {
        "fund": "PT-AID",
        "amount": "1500.00",
        "method": "bank",
        "status": "paid",
        "bank_account": "6222020200112233",
    }
    assert api(staff.desk_a).get(url).json()["status"] == "paid"
    assert api(staff.manager).get("/api/v1/funds/PT-AID/").json()["balance"] == "8500.00"
    # The front desk sees its payment with the account masked.
    seen = api(staff.desk_a).get(f"/api/v1/payments/{payment['id']}/").json()
    assert seen["bank_account"] == "************2233"
    # A failed transfer comes back as a reversal that restores the fund.
    reversed_ = api(staff.manager).post(
        f"/api/v1/payments/{payment['id']}/reverse/",
        {"reason": "账户已注销", "failed_transfer": True},
        format="json",
    )
    assert reversed_.status_code == 200
    assert reversed_.json()["status"] == "reversed" and reversed_.json()["failed_transfer"]
    assert api(staff.manager).get("/api/v1/funds/PT-AID/").json()["balance"] == "10000.00"
    ledger = api(staff.manager).get("/api/v1/ledger/?fund=PT-AID&account=fund").json()
    assert [(e["kind"], e["amount"]) for e in ledger["results"]] == [
        ("income", "10000.00"),
        ("payment", "-1500.00"),
        ("reversal", "1500.00"),
    ]


def test_the_entering_user_may_not_approve_over_the_api(api, staff, fund, household):
    app_id = _create(api, staff.admin, household.person, household, org_unit="PT-A").json()["id"]
    api(staff.admin).post(f"/api/v1/aid-applications/{app_id}/submit/")
    response = api(staff.admin).post(f"/api/v1/aid-applications/{app_id}/approve/")
    assert response.status_code == 403


def test_reject_without_opinion_is_400(api, staff, household):
    app_id = _create(api, staff.desk_a, household.person, household).json()["id"]
    api(staff.desk_a).post(f"/api/v1/aid-applications/{app_id}/submit/")
    response = api(staff.approver).post(f"/api/v1/aid-applications/{app_id}/reject/", {})
    assert response.status_code == 400
    assert response.json() == {"opinion": ["不予通过必须填写书面意见。"]}


def test_pay_409_codes_in_the_contracts_order(api, staff, units, make_fund, approved):
    rich = make_fund(code="RICH", balance="5000")
    make_fund(code="MED", balance="5000", aid_types=["medical"])
    make_fund(code="EMPTY")
    manager = api(staff.manager)

    def pay(app, fund):
        response = manager.post(f"/api/v1/aid-applications/{app.pk}/pay/", {"fund": fund})
        return response.status_code, response.json().get("code")

    draft = services.application_create(
        by=staff.desk_a,
        org_unit=units.a,
        person=WorkerFactory(org_unit=units.a).person,
        data={"aid_type": "living", "amount": "100", "payment_method": "cash"},
    )
    assert pay(draft, "MED") == (409, "not_approved")
    assert pay(approved("100.00"), "MED") == (409, "earmark")
    year = services._today().year
    cap = AidCap.objects.create(org_unit=units.pt, year=year, aid_type="living", amount="50")
    assert pay(approved("100.00"), "EMPTY") == (409, "cap")
    cap.delete()
    assert pay(approved("100.00"), "EMPTY") == (409, "insufficient_funds")
    paid = approved("100.00")
    assert pay(paid, "RICH") == (201, None)
    assert pay(paid, "MED") == (409, "already_paid")
    assert _balance(rich) == Decimal("4900.00")


def test_pay_with_an_unknown_or_out_of_scope_fund_is_400(api, staff, units, make_fund, approved):
    make_fund(code="QX-AID", unit=units.qx)
    application = approved()
    for code in ("NOPE", "QX-AID"):
        response = api(staff.manager).post(
            f"/api/v1/aid-applications/{application.pk}/pay/", {"fund": code}
        )
        assert response.status_code == 400 and "fund" in response.json()


def test_insufficient_funds_409_explains_in_plain_words(api, staff, make_fund, approved):
    make_fund(code="LOW", balance="10")
    application = approved("100.00")
    response = api(staff.manager).post(
        f"/api/v1/aid-applications/{application.pk}/pay/",
        {"fund": "LOW"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_funds"
    assert "¥10.00" in response.json()["detail"]


def test_idempotent_create_and_versioned_patch(api, staff, household):
    app_id = str(uuid.uuid4())
    first = _create(api, staff.sync_a, household.person, household, id=app_id)
    replay = _create(api, staff.sync_a, household.person, household, id=app_id)
    assert (first.status_code, replay.status_code) == (201, 200)
    other = _create(api, staff.sync_a, household.person, household, id=app_id, amount="1.00")
    assert (other.status_code, other.json()) == (409, {"code": "id_conflict"})
    url = f"/api/v1/aid-applications/{app_id}/"
    stale = api(staff.sync_a).patch(url, {"version": 7, "amount": "10.00"}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    patched = api(staff.sync_a).patch(url, {"version": 1, "amount": "10.00"}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["amount"], patched.json()["version"]) == ("10.00", 2)
    # A masked account sent back is ignored, never stored.
    api(staff.sync_a).patch(url, {"version": 2, "bank_account": "************2233"}, format="json")
    assert AidApplication.objects.get(pk=app_id).bank_account == "6222020200112233"


def test_soft_delete_removes_a_draft_from_lists(api, staff, household):
    app_id = _create(api, staff.desk_a, household.person, household).json()["id"]
    assert api(staff.desk_a).delete(f"/api/v1/aid-applications/{app_id}/").status_code == 204
    assert api(staff.desk_a).get("/api/v1/aid-applications/").json()["count"] == 0


def test_statement_per_fund_and_year(api, staff, fund, approved):
    services.budget_set(by=staff.manager, fund=fund, year=services._today().year, amount="5000")
    p1 = services.application_pay(by=staff.manager, application=approved("700.00"), fund=fund)
    services.application_pay(by=staff.manager, application=approved("300.00", "medical"), fund=fund)
    services.payment_reverse(by=staff.manager, payment=p1, reason="退回")
    services.application_pay(by=staff.manager, application=approved("200.00"), fund=fund)
    year = services._today().year
    body = api(staff.manager).get(f"/api/v1/funds/PT-AID/statement/?year={year}").json()
    assert body == {
        "fund": "PT-AID",
        "period": {"from": f"{year}-01-01", "to": f"{year}-12-31"},
        "opening_balance": "0.00",
        "income": "10000.00",
        "income_reversed": "0.00",
        "payments": {"living": "900.00", "medical": "300.00"},
        "reversed_payments": {"living": "700.00"},
        "spent": "500.00",
        "closing_balance": "9500.00",
        "budget": "5000.00",
    }
    last_year = api(staff.manager).get(f"/api/v1/funds/PT-AID/statement/?year={year + 1}").json()
    assert (last_year["opening_balance"], last_year["closing_balance"]) == ("9500.00", "9500.00")
    assert api(staff.manager).get("/api/v1/funds/PT-AID/statement/?year=x").status_code == 400
    xlsx = api(staff.manager).get(f"/api/v1/funds/PT-AID/statement/xlsx/?year={year}")
    assert xlsx.status_code == 200
    import io

    book = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    rows = list(book.worksheets[1].values)
    assert len(rows) == 1 + 5  # header + income, 3 payments, 1 reversal
    assert sum(Decimal(str(r[4])) for r in rows[1:]) == Decimal("9500.00")


def test_ledger_and_payments_are_read_only(api, staff, fund):
    entry = LedgerEntry.objects.first()
    client = api(staff.admin)
    assert client.post("/api/v1/ledger/", {}).status_code == 405
    assert client.delete(f"/api/v1/ledger/{entry.pk}/").status_code == 405
    assert client.post("/api/v1/payments/", {}).status_code == 405
