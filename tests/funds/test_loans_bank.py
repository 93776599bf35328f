"""Interest-free loans under the fund's rules, and the bank file's round trip."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from funds import bank, loans, services
from funds.models import Account, AidApplication, BankFile, Loan, Payment
from tests.funds.factories import WorkerFactory


def _balance(fund) -> Decimal:
    return Account.objects.get(fund=fund, kind="fund").balance


@pytest.fixture
def lending(make_fund):
    return make_fund(
        code="PT-LOAN",
        balance="100000",
        source_kind="reemployment",
        aid_types=["loan"],
        loan_min="10000.00",
        loan_max="20000.00",
        loan_max_hiring="50000.00",
        loan_min_months=12,
        loan_max_months=36,
        loan_instalment_months=6,
    )


def test_the_fund_lends_within_its_amounts_and_terms(lending, staff, approved, english):
    refusals = {}
    for label, amount, months, hiring in [
        ("too_small", "9999.99", 12, False),
        ("too_large", "20000.01", 12, False),
        ("too_long", "10000.00", 37, False),
        ("hiring_leader", "30000.00", 24, True),
    ]:
        application = approved(
            amount, "loan", term_months=months, hires_laid_off=hiring, worker=None
        )
        try:
            services.application_pay(by=staff.manager, application=application, fund=lending)
            refusals[label] = "paid"
        except services.DomainError as exc:
            refusals[label] = exc.code
    assert refusals == {
        "too_small": "earmark",
        "too_large": "earmark",
        "too_long": "earmark",
        "hiring_leader": "paid",
    }


def test_schedule_repayments_back_into_the_fund_and_an_overdue_instalment(lending, staff, approved):
    lent_on = services._today() - datetime.timedelta(days=400)
    application = approved("10000.00", "loan", term_months=18, worker=None)
    payment = services.application_pay(
        by=staff.manager, application=application, fund=lending, paid_on=lent_on
    )
    loan = Loan.objects.get(payment=payment)
    assert [(i.number, i.due_on, i.amount) for i in loan.instalments.all()] == [
        (1, loans.add_months(lent_on, 6), Decimal("3333.33")),
        (2, loans.add_months(lent_on, 12), Decimal("3333.33")),
        (3, loans.add_months(lent_on, 18), Decimal("3333.34")),
    ]
    assert _balance(lending) == Decimal("90000.00")

    repayment = loans.loan_repay(by=staff.manager, loan=loan, amount="4000.00")
    assert sorted(repayment.transaction.entries.values_list("account__kind", "amount")) == [
        ("aid", Decimal("-4000.00")),
        ("fund", Decimal("4000.00")),
    ]
    assert _balance(lending) == Decimal("94000.00")
    # The first instalment is paid; the second (due a month ago) is overdue, partly paid.
    overdue = list(loans.overdue_instalments(user=staff.manager))
    assert [(i.loan_id, i.number, i.paid) for i in overdue] == [(loan.pk, 2, Decimal("666.67"))]
    assert list(loans.overdue_instalments(user=staff.desk_b)) == []
    with pytest.raises(services.Invalid):
        loans.loan_repay(by=staff.manager, loan=loan, amount="6000.01")
    loans.loan_repay(by=staff.manager, loan=loan, amount="6000.00")
    loan.refresh_from_db()
    assert (loan.status, loan.repaid) == ("repaid", Decimal("10000.00"))
    assert _balance(lending) == Decimal("100000.00")
    statement = services.fund_statement(
        fund=lending, date_from=lent_on.replace(month=1, day=1), date_to=services._today()
    )
    assert (statement.paid, statement.repaid, statement.spent) == (
        Decimal("10000.00"),
        Decimal("10000.00"),
        Decimal("0.00"),
    )
    assert services.reconcile() == []


def test_loan_repayment_over_the_api_is_for_fund_managers_in_scope(lending, api, staff, approved):
    application = approved("10000.00", "loan", term_months=12, worker=None)
    payment = services.application_pay(by=staff.manager, application=application, fund=lending)
    url = f"/api/v1/loans/{payment.loan.pk}/"
    assert api(staff.desk_a).get(url).status_code == 200
    assert api(staff.desk_b).get(url).status_code == 404
    assert api(staff.approver).post(url + "repay/", {"amount": "100.00"}).status_code == 403
    repaid = api(staff.manager).post(url + "repay/", {"amount": "100.00"})
    assert (repaid.status_code, repaid.json()["amount"]) == (201, "100.00")
    assert api(staff.manager).get(url).json()["outstanding"] == "9900.00"
    assert api(staff.manager).get("/api/v1/loans/overdue/").json()["count"] == 0


# --- The bank file --------------------------------------------------------------------------
def _bank_payments(fund, staff, units, approved, n=3):
    paid = []
    for i in range(n):
        application = approved(
            f"{100 * (i + 1)}.00",
            method="bank",
            worker=WorkerFactory(org_unit=units.a),
            bank_account=f"62220000000000{i:04d}",
            bank_name="工商银行",
            payee_name=f"收款人{i}",
        )
        paid.append(services.application_pay(by=staff.manager, application=application, fund=fund))
    return paid


def _result_file(rows) -> SimpleUploadedFile:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["业务编号", "处理结果", "说明"])
    writer.writerows(rows)
    return SimpleUploadedFile("result.csv", text.getvalue().encode("utf-8-sig"), "text/csv")


def test_bank_round_trip_with_one_failed_transfer_reversed(fund, api, staff, units, approved):
    first, second, third = _bank_payments(fund, staff, units, approved)
    cash = services.application_pay(by=staff.manager, application=approved("50.00"), fund=fund)
    assert _balance(fund) == Decimal("9350.00")

    created = api(staff.manager).post("/api/v1/bank-files/", {"fund": fund.code})
    assert (created.status_code, created.json()["transfers"], created.json()["total"]) == (
        201,
        3,
        "600.00",
    )
    file_id = created.json()["id"]
    download = api(staff.manager).get(f"/api/v1/bank-files/{file_id}/download/")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0] == ["业务编号", "收款人户名", "收款人账号", "收款人开户行", "金额", "用途"]
    assert [r[1:5] for r in rows[1:]] == [
        ["收款人0", "622200000000000000", "工商银行", "100.00"],
        ["收款人1", "622200000000000001", "工商银行", "200.00"],
        ["收款人2", "622200000000000002", "工商银行", "300.00"],
    ]
    refs = [r[0] for r in rows[1:]]
    # Nothing waits to be sent now: a second file is refused.
    again = api(staff.manager).post("/api/v1/bank-files/", {"fund": fund.code})
    assert (again.status_code, again.json()["code"]) == (409, "nothing_to_send")

    # A result file with a bad row changes nothing.
    bad = api(staff.manager).post(
        f"/api/v1/bank-files/{file_id}/results/",
        {"file": _result_file([[refs[0], "成功", ""], ["BF999999-00001", "成功", ""]])},
        format="multipart",
    )
    assert bad.status_code == 400
    assert "BF999999-00001" in bad.json()["file"][0]
    assert Payment.objects.filter(status="reversed").count() == 0

    result = api(staff.manager).post(
        f"/api/v1/bank-files/{file_id}/results/",
        {
            "file": _result_file(
                [[refs[0], "成功", ""], [refs[1], "失败", "账户已销户"], [refs[2], "S", ""]]
            )
        },
        format="multipart",
    )
    assert (result.status_code, result.json()) == (200, {"done": 2, "failed": 1})
    second.refresh_from_db()
    assert (second.status, second.failed_transfer) == ("reversed", True)
    assert "账户已销户" in second.reversal_reason
    assert AidApplication.objects.get(pk=second.application_id).status == "approved"
    assert Payment.objects.get(pk=first.pk).status == "paid"
    assert Payment.objects.get(pk=cash.pk).status == "paid"
    assert _balance(fund) == Decimal("9550.00")
    assert BankFile.objects.get(pk=file_id).status == "settled"
    assert services.reconcile() == []


def test_bank_file_in_xlsx_layout(settings, fund, staff, units, approved):
    settings.FUNDS_BANK_FILE_LAYOUT = {
        "name": "icbc-xlsx",
        "format": "xlsx",
        "columns": [("bank_account", "账号"), ("payee_name", "户名"), ("amount", "金额")],
    }
    _bank_payments(fund, staff, units, approved, n=1)
    bank_file = bank.bank_file_create(by=staff.manager, fund=fund)
    content, content_type, name = bank.bank_file_content(bank_file)
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(content)).active.values)
    assert (name.endswith(".xlsx"), bank_file.layout) == (True, "icbc-xlsx")
    assert rows == [("账号", "户名", "金额"), ("622200000000000000", "收款人0", "100.00")]


def test_bank_files_are_for_fund_managers_in_scope(fund, api, staff, units, approved):
    _bank_payments(fund, staff, units, approved, n=1)
    assert api(staff.approver).post("/api/v1/bank-files/", {"fund": fund.code}).status_code == 403
    file_id = bank.bank_file_create(by=staff.manager, fund=fund).pk
    for who, code in [("auditor", 200), ("desk_a", 404), ("officer_qx", 404)]:
        assert api(getattr(staff, who)).get(f"/api/v1/bank-files/{file_id}/").status_code == code
    assert api(staff.auditor).get(f"/api/v1/bank-files/{file_id}/download/").status_code == 403
