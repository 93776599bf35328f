"""The fee subsidy of a completed class is paid through funds: a draft `training` aid
application, then the funds workflow and the ledger (issue 7, item 8)."""

from decimal import Decimal

import pytest

from aidcenter.errors import DomainError
from funds import services as funds
from funds.models import Account, AidApplication, LedgerEntry
from tests.factories import PersonFactory
from tests.training.factories import TrainingClassFactory
from training import services


@pytest.fixture
def fund_for_training(units, staff):
    fund = funds.fund_create(
        by=staff.admin,
        org_unit=units.pt,
        code="PT-TRAIN",
        name="再就业培训补贴",
        source_kind="reemployment",
        aid_types=["training"],
    )
    funds.income_record(
        by=staff.manager, fund=fund, amount="5000.00", received_on=funds._today(), source="区财政"
    )
    return fund


def _completed(staff, units, subsidy="800.00"):
    klass = TrainingClassFactory(org_unit=units.a, subsidy=Decimal(subsidy))
    enrolment = services.enrolment_create(
        by=staff.desk_a, person=PersonFactory(org_unit=units.a), training_class=klass
    )
    return services.enrolment_complete(by=staff.case_a, enrolment=enrolment, exam_passed=True)


def test_completion_drafts_one_training_application_for_the_subsidy(staff, units):
    done = _completed(staff, units)
    application = done.subsidy_application
    assert (application.aid_type, application.amount, application.status) == (
        "training",
        Decimal("800.00"),
        "draft",
    )
    assert (application.person_id, application.org_unit_id) == (done.person_id, units.a.pk)
    assert application.entered_by == staff.case_a
    # Completing again (an exam result corrected) drafts nothing more.
    again = services.enrolment_complete(by=staff.case_a, enrolment=done, exam_passed=False)
    assert again.subsidy_application_id == application.pk
    assert AidApplication.objects.filter(aid_type="training").count() == 1


def test_a_class_without_subsidy_drafts_nothing(staff, units):
    done = _completed(staff, units, subsidy="0.00")
    assert done.subsidy_application is None
    assert AidApplication.objects.count() == 0


def test_the_subsidy_is_paid_through_the_ledger_and_only_from_a_fund_that_may(
    staff, units, fund_for_training
):
    application = _completed(staff, units).subsidy_application
    funds.application_update(
        by=staff.case_a, application=application, data={"bank_account": "6222020200112233"}
    )
    funds.application_submit(by=staff.case_a, application=application)
    funds.application_approve(by=staff.approver, application=application, opinion="同意")
    application.refresh_from_db()
    living_only = funds.fund_create(
        by=staff.admin,
        org_unit=units.pt,
        code="PT-LIVING",
        name="生活救助金",
        source_kind="central",
        aid_types=["living"],
    )
    funds.income_record(
        by=staff.manager, fund=living_only, amount="900.00", received_on=funds._today(), source="x"
    )
    with pytest.raises(DomainError) as refused:
        funds.application_pay(by=staff.manager, application=application, fund=living_only)
    assert refused.value.code == "earmark"
    payment = funds.application_pay(
        by=staff.manager, application=application, fund=fund_for_training
    )
    assert payment.amount == Decimal("800.00")
    balance = Account.objects.get(fund=fund_for_training, kind="fund").balance
    assert balance == Decimal("4200.00")
    booked = LedgerEntry.objects.filter(aid_type="training", amount__gt=0).values_list(
        "amount", flat=True
    )
    assert list(booked) == [Decimal("800.00")]


def test_the_enrolment_api_shows_the_application(api, staff, units):
    done = _completed(staff, units)
    body = api(staff.case_a).get(f"/api/v1/enrolments/{done.pk}/").json()
    assert body["subsidy_application"] == str(done.subsidy_application_id)
    assert body["subsidy_amount"] == "800.00"
