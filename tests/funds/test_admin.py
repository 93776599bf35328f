"""The admin and the admin-hosted pages: scoped, changes through the services, bank data
masked for roles that do not pay, statements and a person's aid with Excel exports."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from funds import services
from funds.models import Account, AidApplication, Payment


@pytest.fixture
def login(client):
    def as_(user):
        client.force_login(user)
        return client

    return as_


def test_fund_changelist_is_scoped(login, staff, fund, make_fund, units):
    make_fund(code="QX-AID", unit=units.qx)
    page = login(staff.manager).get("/admin/funds/fund/")
    assert page.status_code == 200
    assert "PT-AID" in page.content.decode() and "QX-AID" not in page.content.decode()


@pytest.mark.parametrize(
    ("who", "status"), [("manager", 200), ("auditor", 200), ("desk_a", 404), ("officer_qx", 404)]
)
def test_statement_page_is_scoped(login, staff, fund, who, status):
    response = login(getattr(staff, who)).get("/admin/funds/fund/PT-AID/statement/?year=2026")
    assert response.status_code == status


def test_statement_page_and_excel(login, staff, fund, approved):
    services.application_pay(by=staff.manager, application=approved("250.00"), fund=fund)
    year = services._today().year
    client = login(staff.manager)
    page = client.get(f"/admin/funds/fund/PT-AID/statement/?year={year}").content.decode()
    assert "10000.00" in page and "9750.00" in page
    xlsx = client.get(f"/admin/funds/fund/PT-AID/statement/?year={year}&export=xlsx")
    book = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    summary = {row[0]: row[1] for row in book.worksheets[0].values if row}
    assert Decimal(str(list(summary.values())[-1])) == Decimal("9750.00")


def test_pay_action_in_the_admin_goes_through_the_service(login, staff, fund, approved):
    application = approved("300.00")
    client = login(staff.manager)
    form = client.post(
        "/admin/funds/aidapplication/",
        {"action": "pay", "_selected_action": [str(application.pk)]},
    )
    assert form.status_code == 200 and "fund" in form.content.decode()
    done = client.post(
        "/admin/funds/aidapplication/",
        {
            "action": "pay",
            "_selected_action": [str(application.pk)],
            "apply": "1",
            "fund": str(fund.pk),
        },
    )
    assert done.status_code == 302
    assert Payment.objects.get(application=application).amount == Decimal("300.00")
    assert Account.objects.get(fund=fund, kind="fund").balance == Decimal("9700.00")
    # Paying again is refused with the service's words, and nothing changes.
    again = client.post(
        "/admin/funds/aidapplication/",
        {
            "action": "pay",
            "_selected_action": [str(application.pk)],
            "apply": "1",
            "fund": str(fund.pk),
        },
        follow=True,
    )
    assert [m.level_tag for m in again.context["messages"]][-1] == "error"
    assert Payment.objects.filter(application=application).count() == 1


def test_approve_action_refuses_the_user_who_entered_it(login, staff, units, household):
    application = services.application_submit(
        by=staff.admin,
        application=services.application_create(
            by=staff.admin,
            org_unit=units.a,
            person=household.person,
            worker=household,
            data={"aid_type": "living", "amount": "10", "payment_method": "cash"},
        ),
    )
    login(staff.admin).post(
        "/admin/funds/aidapplication/",
        {"action": "approve", "_selected_action": [str(application.pk)], "apply": "1"},
    )
    assert AidApplication.objects.get(pk=application.pk).status == "submitted"


def test_bank_account_is_masked_in_the_admin_for_the_front_desk(login, staff, approved):
    application = approved(method="bank", payee_name="王芳", bank_account="6222020200112233")
    url = f"/admin/funds/aidapplication/{application.pk}/change/"
    assert "6222020200112233" not in login(staff.desk_a).get(url).content.decode()
    assert "************2233" in login(staff.desk_a).get(url).content.decode()
    assert "6222020200112233" in login(staff.approver).get(url).content.decode()


def test_ledger_is_read_only_in_the_admin(login, staff, fund):
    tx = fund.transactions.first()
    client = login(staff.admin)
    assert client.get("/admin/funds/ledgertransaction/").status_code == 200
    assert client.get("/admin/funds/ledgertransaction/add/").status_code == 403
    response = client.post(f"/admin/funds/ledgertransaction/{tx.pk}/change/", {"memo": "改"})
    assert response.status_code == 403


def test_person_aid_page_shows_person_and_household(login, staff, fund, approved, household):
    services.application_pay(by=staff.manager, application=approved("120.00"), fund=fund)
    url = f"/admin/funds/fund/person/{household.person.pk}/aid/"
    page = login(staff.desk_a).get(url)
    assert page.status_code == 200 and "120.00" in page.content.decode()
    assert login(staff.desk_b).get(url).status_code == 404
    xlsx = login(staff.desk_a).get(url + "?export=xlsx")
    rows = list(load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0].values)
    assert rows[-1][0] in ("Total received", "合计领取") and Decimal(str(rows[-1][3])) == 120


def test_income_added_in_the_admin_books_the_ledger(login, staff, fund):
    response = login(staff.manager).post(
        "/admin/funds/fundincome/add/",
        {
            "fund": str(fund.pk),
            "source": "企业捐赠",
            "received_on": "2024-05-01",
            "amount": "321.00",
            "reference": "R-1",
        },
    )
    assert response.status_code == 302
    assert Account.objects.get(fund=fund, kind="fund").balance == Decimal("10321.00")
    assert services.reconcile() == []


def test_the_persons_card_has_an_aid_section(staff, fund, approved, household, rf):
    from django.template.loader import render_to_string

    from cases import cards

    services.application_pay(by=staff.manager, application=approved("88.00"), fund=fund)
    sections = {
        s["template"]: s for s in cards.render_context(user=staff.desk_a, person=household.person)
    }
    aid = sections["funds/card_aid.html"]["context"]
    assert aid["person_total"] == Decimal("88.00")
    html = render_to_string("funds/card_aid.html", {"data": aid})
    assert "88.00" in html and f"/admin/funds/fund/person/{household.person.pk}/aid/" in html
    # Out of scope: another sub-center's desk sees no payments of this person.
    other = cards.render_context(user=staff.desk_b, person=household.person)
    assert [s["context"]["person"] for s in other if s["template"] == "funds/card_aid.html"] == [[]]


# --- Funds II -------------------------------------------------------------------------------
def test_batch_built_approved_and_queued_in_the_admin(login, staff, make_fund, units):
    from funds.models import AidBatch, BatchRun
    from tests.funds.factories import WorkerFactory

    WorkerFactory(org_unit=units.a)
    fund = make_fund(balance="1000")
    built = login(staff.manager).post(
        "/admin/funds/aidbatch/add/",
        {
            "fund": fund.pk,
            "org_unit": units.pt.pk,
            "kind": "voucher",
            "name": "十一月爱心超市券",
            "month": services._today().isoformat(),
            "amount": "",
            "method": "voucher",
        },
    )
    assert built.status_code == 302
    batch = AidBatch.objects.get()
    assert list(batch.lines.values_list("amount", flat=True)) == [Decimal("50.00")]
    approve = {"action": "approve", "_selected_action": [str(batch.pk)], "apply": "1"}
    login(staff.approver).post("/admin/funds/aidbatch/", {**approve, "opinion": "同意"})
    assert AidBatch.objects.get().status == "approved"
    login(staff.manager).post(
        "/admin/funds/aidbatch/", {"action": "pay", "_selected_action": [str(batch.pk)]}
    )
    assert (AidBatch.objects.get().status, BatchRun.objects.get().status) == ("queued", "queued")
    page = login(staff.manager).get(f"/admin/funds/aidbatch/{batch.pk}/change/")
    assert page.status_code == 200
    assert login(staff.desk_b).get(f"/admin/funds/aidbatch/{batch.pk}/change/").status_code in (
        302,
        404,
    )


def test_admin_pages_of_funds_two_open(login, staff, fund):
    client = login(staff.manager)
    for url in (
        "/admin/funds/bankfile/",
        "/admin/funds/loan/?overdue=yes",
        "/admin/funds/closedyear/",
        "/admin/funds/aidbatch/add/",
        "/admin/funds/fund/audit-pack/",
    ):
        assert client.get(url).status_code == 200, url
    assert login(staff.desk_a).get("/admin/funds/fund/audit-pack/").status_code == 403
