"""Budget against actual per aid type, the closed year (决算), and the auditors' pack."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from openpyxl import load_workbook

from funds import services, yearend
from funds.models import Account, LedgerEntry, LedgerTransaction


def _last_year() -> int:
    return services._today().year - 1


def test_budget_against_actual_per_aid_type(fund, staff, approved):
    year = services._today().year
    services.budget_set(by=staff.manager, fund=fund, year=year, amount="6000.00")
    services.budget_set(by=staff.manager, fund=fund, year=year, amount="1000", aid_type="living")
    services.budget_set(by=staff.manager, fund=fund, year=year, amount="300", aid_type="holiday")
    services.application_pay(by=staff.manager, application=approved("800.00"), fund=fund)
    returned = services.application_pay(by=staff.manager, application=approved("100.00"), fund=fund)
    services.payment_reverse(by=staff.manager, payment=returned, reason="重复发放")
    services.application_pay(by=staff.manager, application=approved("500.00", "medical"), fund=fund)
    lines = [
        (line.aid_type, line.budget, line.spent, line.left)
        for line in yearend.budget_report(fund=fund, year=year)
    ]
    assert lines == [
        ("living", Decimal("1000.00"), Decimal("800.00"), Decimal("200.00")),
        ("medical", None, Decimal("500.00"), None),
        ("holiday", Decimal("300.00"), Decimal("0.00"), Decimal("300.00")),
        ("", Decimal("6000.00"), Decimal("1300.00"), Decimal("4700.00")),
    ]


def test_a_closed_year_refuses_new_entries_and_corrections_go_into_the_next(
    make_fund, staff, approved, api, english
):
    last = _last_year()
    in_last_year = datetime.date(last, 12, 30)
    fund = make_fund()
    services.income_record(
        by=staff.manager, fund=fund, amount="5000", received_on=in_last_year, source="区财政"
    )
    payment = services.application_pay(
        by=staff.manager, application=approved("700.00"), fund=fund, paid_on=in_last_year
    )
    assert (
        api(staff.approver)
        .post(f"/api/v1/funds/{fund.code}/close-year/", {"year": last})
        .status_code
        == 403
    )
    closed = api(staff.manager).post(f"/api/v1/funds/{fund.code}/close-year/", {"year": last})
    assert (closed.status_code, closed.json()["closing_balance"]) == (201, "4300.00")
    this_year = api(staff.manager).post(
        f"/api/v1/funds/{fund.code}/close-year/", {"year": last + 1}
    )
    assert this_year.status_code == 400

    with pytest.raises(services.Invalid) as refused:
        services.income_record(
            by=staff.manager, fund=fund, amount="1", received_on=in_last_year, source="补录"
        )
    assert refused.value.errors == {
        "received_on": [f"基金PT-AID 的 {last} 年度已决算，请记入未决算的年度。"]
    }
    with pytest.raises(services.Invalid):
        services.application_pay(
            by=staff.manager, application=approved("10.00"), fund=fund, paid_on=in_last_year
        )
    # The database refuses whatever path the write takes.
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerTransaction.objects.create(
            fund=fund, kind="income", booked_on=in_last_year, created_by=staff.manager
        )
    # A correction of last year's payment is booked today, in the open year.
    services.payment_reverse(by=staff.manager, payment=payment, reason="发放有误")
    payment.refresh_from_db()
    assert payment.reversal.booked_on == services._today()
    statement = services.fund_statement(
        fund=fund, date_from=datetime.date(last, 1, 1), date_to=datetime.date(last, 12, 31)
    )
    assert statement.closing == Decimal("4300.00")  # the closed year reads as it was closed


def test_the_audit_pack_totals_equal_the_ledger(
    fund, make_fund, staff, units, household, approved, api, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    other = make_fund(code="PT-TWO", balance="3000")
    draft = services.application_create(
        by=staff.desk_a,
        org_unit=units.a,
        person=household.person,
        worker=household,
        data={"aid_type": "living", "amount": "800.00", "payment_method": "cash"},
    )
    upload = SimpleUploadedFile("证明.pdf", b"%PDF-1.4", content_type="application/pdf")
    services.document_add(by=staff.desk_a, application=draft, kind="other", upload=upload)
    services.application_submit(by=staff.desk_a, application=draft)
    services.application_approve(by=staff.approver, application=draft, opinion="同意")
    services.application_pay(by=staff.manager, application=draft, fund=fund)
    services.application_pay(by=staff.manager, application=approved("1200.00"), fund=other)
    big = approved("6000.00")  # two approvals above the threshold
    services.application_pay(by=staff.manager, application=big, fund=fund)
    wrong = services.application_pay(by=staff.manager, application=approved("50.00"), fund=fund)
    services.payment_reverse(by=staff.manager, payment=wrong, reason="发错")
    year = services._today().year

    assert api(staff.desk_a).get(f"/api/v1/funds/audit-pack/?year={year}").status_code == 403
    response = api(staff.auditor).get(f"/api/v1/funds/audit-pack/?year={year}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    payments = list(book.worksheets[2].values)
    listed = [row for row in payments[1:] if row and row[1]]
    ledger_paid = -LedgerEntry.objects.filter(
        account__kind=Account.Kind.FUND, kind="payment", booked_on__year=year
    ).aggregate(total=Sum("amount"))["total"]
    assert ledger_paid == Decimal("8050.00")
    assert sum(Decimal(str(row[6])) for row in listed) == ledger_paid
    assert Decimal(str(payments[-1][6])) == ledger_paid
    approvals = {row[6]: (row[9], row[10]) for row in listed}
    assert [a.split(" ")[0] for a in approvals[6000][0].split("; ")] == ["approver", "approver2"]
    assert approvals[800][0].startswith("approver ") and approvals[800][0].endswith(" 同意")
    assert approvals[800][1].endswith(": 证明.pdf")
    statements = {row[0]: row for row in list(book.worksheets[0].values)[1:]}
    for f in (fund, other):
        own = Account.objects.get(fund=f, kind="fund")
        assert Decimal(str(statements[f.code][7])) == own.balance
    reversals = list(book.worksheets[3].values)
    ledger_returned = LedgerEntry.objects.filter(
        account__kind=Account.Kind.FUND, kind="reversal", booked_on__year=year
    ).aggregate(total=Sum("amount"))["total"]
    assert Decimal(str(reversals[-1][3])) == ledger_returned == Decimal("50.00")
    # Scope: a sub-center auditor's pack holds no fund of the district.
    sub = load_workbook(io.BytesIO(api(staff.auditor_a).get("/api/v1/funds/audit-pack/").content))
    assert [len(list(sheet.values)) for sheet in sub.worksheets] == [1, 1, 3, 3]
