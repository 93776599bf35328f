"""Paying: the refusals in API.md's order, earmarks, caps, methods and reversals."""

import datetime
from decimal import Decimal

import pytest

from funds import services
from funds.models import Account, AidCap, Payment
from tests.funds.factories import WorkerFactory


def _balance(fund) -> Decimal:
    return Account.objects.get(fund=fund, kind="fund").balance


def _code(exc_info) -> str:
    return exc_info.value.code


def test_paying_books_the_payment_and_marks_the_application_paid(fund, staff, approved):
    application = approved("1500.00")
    payment = services.application_pay(by=staff.manager, application=application, fund=fund)
    application.refresh_from_db()
    assert application.status == "paid"
    assert (payment.amount, payment.aid_type, payment.method, payment.fund) == (
        Decimal("1500.00"),
        "living",
        "cash",
        fund,
    )
    assert payment.payee_name == application.person.name
    assert payment.org_unit_id == application.org_unit_id
    assert sorted(payment.transaction.entries.values_list("account__kind", "amount")) == [
        ("aid", Decimal("1500.00")),
        ("fund", Decimal("-1500.00")),
    ]
    assert _balance(fund) == Decimal("8500.00")


def test_paying_twice_is_already_paid(fund, staff, approved):
    application = approved()
    services.application_pay(by=staff.manager, application=application, fund=fund)
    with pytest.raises(services.DomainError) as twice:
        services.application_pay(by=staff.manager, application=application, fund=fund)
    assert _code(twice) == "already_paid"
    assert Payment.objects.filter(application=application).count() == 1


def test_already_paid_comes_before_every_other_refusal(make_fund, staff, approved):
    application = approved("500.00")
    services.application_pay(
        by=staff.manager, application=application, fund=make_fund(code="F1", balance="500")
    )
    # A fund that is empty and earmarked for something else: still "already_paid" first.
    wrong = make_fund(code="F2", aid_types=["medical"])
    with pytest.raises(services.DomainError) as first:
        services.application_pay(by=staff.manager, application=application, fund=wrong)
    assert _code(first) == "already_paid"


def test_not_approved_comes_before_earmark_and_money(make_fund, staff, units, household):
    application = services.application_create(
        by=staff.desk_a,
        org_unit=units.a,
        person=household.person,
        worker=household,
        data={"aid_type": "living", "amount": "100.00", "payment_method": "cash"},
    )
    wrong = make_fund(code="F2", aid_types=["medical"])
    with pytest.raises(services.DomainError) as refused:
        services.application_pay(by=staff.manager, application=application, fund=wrong)
    assert _code(refused) == "not_approved"


def test_earmark_comes_before_cap_and_money(make_fund, staff, units, approved, english):
    AidCap.objects.create(
        org_unit=units.pt, year=services._today().year, aid_type="living", amount=1
    )
    empty_wrong = make_fund(code="F2", aid_types=["medical"])
    with pytest.raises(services.DomainError) as refused:
        services.application_pay(by=staff.manager, application=approved(), fund=empty_wrong)
    assert _code(refused) == "earmark"
    assert "may not pay living aid" in refused.value.message


def test_cap_comes_before_money(make_fund, staff, units, approved):
    AidCap.objects.create(
        org_unit=units.pt, year=services._today().year, aid_type="living", amount=1
    )
    with pytest.raises(services.DomainError) as refused:
        services.application_pay(by=staff.manager, application=approved(), fund=make_fund())
    assert _code(refused) == "cap"


def test_insufficient_funds_is_explained_in_plain_words(make_fund, staff, approved, english):
    fund = make_fund(balance="499.99")
    with pytest.raises(services.InsufficientFunds) as refused:
        services.application_pay(by=staff.manager, application=approved("500.00"), fund=fund)
    assert refused.value.code == "insufficient_funds"
    assert refused.value.message == (
        "The fund 基金PT-AID holds ¥499.99, less than the ¥500.00 this payment needs. "
        "Pay it from another fund, or record income first."
    )
    assert _balance(fund) == Decimal("499.99")


def test_earmark_requires_a_registered_file(make_fund, staff, units, approved):
    fund = make_fund(balance="1000", requires_file=True)
    without_file = approved(worker=None)
    with pytest.raises(services.DomainError) as refused:
        services.application_pay(by=staff.manager, application=without_file, fund=fund)
    assert _code(refused) == "earmark"
    lifted = WorkerFactory(org_unit=units.a, status="lifted", ended_on=datetime.date(2024, 1, 1))
    with pytest.raises(services.DomainError) as refused:
        services.application_pay(by=staff.manager, application=approved(worker=lifted), fund=fund)
    assert _code(refused) == "earmark"
    services.application_pay(by=staff.manager, application=approved(), fund=fund)


def test_earmark_by_file_level(make_fund, staff, units, approved):
    fund = make_fund(balance="1000", file_levels=["national", "provincial"])
    grassroots = WorkerFactory(org_unit=units.a, file_level="grassroots")
    with pytest.raises(services.DomainError) as refused:
        services.application_pay(
            by=staff.manager, application=approved(worker=grassroots), fund=fund
        )
    assert _code(refused) == "earmark"
    services.application_pay(by=staff.manager, application=approved(), fund=fund)  # national


def test_a_fund_pays_only_its_own_units_applications(make_fund, staff, units, approved):
    fund_b = make_fund(code="PT-B-AID", balance="1000", unit=units.b)
    with pytest.raises(services.DomainError) as refused:
        services.application_pay(by=staff.manager, application=approved(), fund=fund_b)
    assert _code(refused) == "earmark"


def test_closed_fund_pays_nothing(make_fund, staff, approved):
    fund = make_fund(balance="1000")
    services.fund_update(by=staff.manager, fund=fund, data={"is_active": False})
    with pytest.raises(services.DomainError) as refused:
        services.application_pay(by=staff.manager, application=approved(), fund=fund)
    assert _code(refused) == "earmark"


def test_yearly_cap_per_household_and_aid_type(fund, staff, units, household, approved, english):
    year = services._today().year
    AidCap.objects.create(org_unit=units.pt, year=year, aid_type="living", amount="1000.00")
    services.application_pay(by=staff.manager, application=approved("600.00"), fund=fund)
    # Another member of the same household counts against the same cap.
    with pytest.raises(services.DomainError) as refused:
        services.application_pay(by=staff.manager, application=approved("400.01"), fund=fund)
    assert _code(refused) == "cap"
    assert "at most ¥400.00 more" in refused.value.message
    # Other aid types and other households are not affected; the exact rest still fits.
    services.application_pay(by=staff.manager, application=approved("900", "medical"), fund=fund)
    other = WorkerFactory(org_unit=units.a)
    services.application_pay(by=staff.manager, application=approved("900", worker=other), fund=fund)
    services.application_pay(by=staff.manager, application=approved("400.00"), fund=fund)


def test_a_sub_center_cap_overrides_the_districts(fund, staff, units, approved):
    year = services._today().year
    AidCap.objects.create(org_unit=units.pt, year=year, aid_type="living", amount="5000.00")
    AidCap.objects.create(org_unit=units.a, year=year, aid_type="living", amount="100.00")
    with pytest.raises(services.DomainError) as refused:
        services.application_pay(by=staff.manager, application=approved("200"), fund=fund)
    assert _code(refused) == "cap"


def test_a_reversed_payment_no_longer_counts_against_the_cap(fund, staff, units, approved):
    AidCap.objects.create(
        org_unit=units.pt, year=services._today().year, aid_type="living", amount="1000.00"
    )
    application = approved("1000.00")
    payment = services.application_pay(by=staff.manager, application=application, fund=fund)
    services.payment_reverse(by=staff.manager, payment=payment, reason="金额有误")
    services.application_pay(by=staff.manager, application=approved("1000.00"), fund=fund)


@pytest.mark.parametrize("who", ["approver", "desk_a", "officer", "auditor"])
def test_only_fund_managers_pay(fund, staff, approved, who):
    with pytest.raises(services.Refused):
        services.application_pay(by=getattr(staff, who), application=approved(), fund=fund)


def test_bank_transfer_carries_the_payees_account_frozen_at_payment(fund, staff, approved):
    application = approved(
        method="bank", payee_name="王芳", bank_name="工商银行", bank_account="6222020200112233"
    )
    payment = services.application_pay(by=staff.manager, application=application, fund=fund)
    assert (payment.method, payment.payee_name, payment.bank_account) == (
        "bank",
        "王芳",
        "6222020200112233",
    )


def test_a_failed_bank_transfer_is_reversed_and_restores_the_fund(fund, staff, approved):
    application = approved(
        "2000.00", method="bank", payee_name="王芳", bank_account="6222020200112233"
    )
    payment = services.application_pay(by=staff.manager, application=application, fund=fund)
    assert _balance(fund) == Decimal("8000.00")
    payment = services.payment_reverse(
        by=staff.manager, payment=payment, reason="账户已注销", failed_transfer=True
    )
    assert (payment.status, payment.failed_transfer) == ("reversed", True)
    assert payment.reversal.reverses == payment.transaction
    assert _balance(fund) == Decimal("10000.00")
    application.refresh_from_db()
    assert application.status == "approved"  # may be paid again, e.g. to a corrected account
    with pytest.raises(services.DomainError) as twice:
        services.payment_reverse(by=staff.manager, payment=payment, reason="再")
    assert _code(twice) == "already_reversed"
    again = services.application_pay(
        by=staff.manager, application=application, fund=fund, method="cash"
    )
    assert again.method == "cash" and _balance(fund) == Decimal("8000.00")
    assert services.reconcile() == []


def test_only_a_bank_transfer_can_fail(fund, staff, approved):
    payment = services.application_pay(by=staff.manager, application=approved(), fund=fund)
    with pytest.raises(services.Invalid):
        services.payment_reverse(
            by=staff.manager, payment=payment, reason="x", failed_transfer=True
        )


def test_payment_date_may_not_lie_in_the_future(fund, staff, approved):
    with pytest.raises(services.Invalid):
        services.application_pay(
            by=staff.manager,
            application=approved(),
            fund=fund,
            paid_on=services._today() + datetime.timedelta(days=1),
        )
