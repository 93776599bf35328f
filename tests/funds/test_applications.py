"""Aid applications: entry, submission, approval by one or two approvers, rejection, repeats."""

from decimal import Decimal

import pytest

from funds import services
from funds.models import AidApplication, Approval
from tests.funds.factories import PersonFactory


def _draft(staff, units, household, **data):
    fields = {"aid_type": "living", "amount": "800.00", "payment_method": "cash", **data}
    return services.application_create(
        by=staff.desk_a, org_unit=units.a, person=household.person, worker=household, data=fields
    )


def test_entered_submitted_and_approved_by_one_approver(staff, units, household):
    application = _draft(staff, units, household)
    assert (application.status, application.version, application.entered_by) == (
        "draft",
        1,
        staff.desk_a,
    )
    application = services.application_submit(by=staff.desk_a, application=application)
    assert (application.status, application.required_approvals) == ("submitted", 1)
    application = services.application_approve(
        by=staff.approver, application=application, opinion="符合条件"
    )
    assert (application.status, application.version) == ("approved", 3)
    assert list(application.approvals.values_list("by__username", "decision", "opinion")) == [
        ("approver", "approve", "符合条件")
    ]


def test_above_the_configured_amount_two_different_approvers_are_needed(
    staff, units, household, settings
):
    settings.AID_SECOND_APPROVAL_ABOVE = "3000.00"
    application = services.application_submit(
        by=staff.desk_a, application=_draft(staff, units, household, amount="3000.01")
    )
    assert application.required_approvals == 2
    application = services.application_approve(by=staff.approver, application=application)
    assert application.status == "submitted"
    with pytest.raises(services.DomainError) as twice:
        services.application_approve(by=staff.approver, application=application)
    assert twice.value.code == "already_decided"
    application = services.application_approve(by=staff.approver2, application=application)
    assert application.status == "approved"


def test_at_the_configured_amount_one_approval_is_enough(staff, units, household, settings):
    settings.AID_SECOND_APPROVAL_ABOVE = "3000.00"
    application = services.application_submit(
        by=staff.desk_a, application=_draft(staff, units, household, amount="3000.00")
    )
    assert application.required_approvals == 1


def test_the_user_who_entered_an_application_may_not_decide_it(staff, units, household):
    # An approver who also entered it (admins may do both) is refused either way.
    application = services.application_create(
        by=staff.admin,
        org_unit=units.a,
        person=household.person,
        worker=household,
        data={"aid_type": "living", "amount": "100.00", "payment_method": "cash"},
    )
    application = services.application_submit(by=staff.admin, application=application)
    with pytest.raises(services.Refused):
        services.application_approve(by=staff.admin, application=application)
    with pytest.raises(services.Refused):
        services.application_reject(by=staff.admin, application=application, opinion="不行")
    assert AidApplication.objects.get(pk=application.pk).status == "submitted"


@pytest.mark.parametrize("who", ["desk_a", "case_a", "officer", "manager", "auditor"])
def test_only_fund_approvers_decide(staff, units, household, who):
    application = services.application_submit(
        by=staff.desk_a, application=_draft(staff, units, household)
    )
    with pytest.raises(services.Refused):
        services.application_approve(by=getattr(staff, who), application=application)


def test_rejection_needs_an_opinion_and_ends_the_application(staff, units, household):
    application = services.application_submit(
        by=staff.desk_a, application=_draft(staff, units, household)
    )
    with pytest.raises(services.Invalid) as missing:
        services.application_reject(by=staff.approver, application=application, opinion="  ")
    assert list(missing.value.errors) == ["opinion"]
    application = services.application_reject(
        by=staff.approver, application=application, opinion="收入超过标准"
    )
    assert application.status == "rejected"
    assert Approval.objects.get(application=application).opinion == "收入超过标准"
    with pytest.raises(services.DomainError) as late:
        services.application_approve(by=staff.approver2, application=application)
    assert late.value.code == "invalid_transition"


def test_a_second_application_of_one_type_in_one_year_is_flagged(staff, units, household):
    first = services.application_submit(
        by=staff.desk_a, application=_draft(staff, units, household)
    )
    assert first.repeat_in_period is False
    other_type = services.application_submit(
        by=staff.desk_a, application=_draft(staff, units, household, aid_type="medical")
    )
    assert other_type.repeat_in_period is False
    second = services.application_submit(
        by=staff.desk_a, application=_draft(staff, units, household)
    )
    assert second.repeat_in_period is True


def test_bank_transfer_needs_account_and_payee_before_submission(staff, units, household):
    application = _draft(staff, units, household, payment_method="bank")
    with pytest.raises(services.Invalid) as gaps:
        services.application_submit(by=staff.desk_a, application=application)
    assert set(gaps.value.errors) == {"bank_account", "payee_name"}


def test_medical_aid_covers_only_the_out_of_pocket_amount(staff, units, household):
    application = _draft(
        staff,
        units,
        household,
        aid_type="medical",
        amount="3000.00",
        invoice_total="10000.00",
        insurance_paid="6000.00",
        civil_affairs_paid="1500.00",
    )
    assert application.out_of_pocket == Decimal("2500.00")
    with pytest.raises(services.Invalid, match="2,500.00"):
        services.application_submit(by=staff.desk_a, application=application)


def test_the_person_must_stand_in_the_household_file(staff, units, household):
    stranger = PersonFactory(org_unit=units.a)
    with pytest.raises(services.Invalid) as refused:
        services.application_create(
            by=staff.desk_a,
            org_unit=units.a,
            person=stranger,
            worker=household,
            data={"aid_type": "living", "amount": "1.00"},
        )
    assert list(refused.value.errors) == ["worker"]


def test_only_drafts_are_edited(staff, units, household):
    application = services.application_submit(
        by=staff.desk_a, application=_draft(staff, units, household)
    )
    with pytest.raises(services.DomainError) as refused:
        services.application_update(by=staff.desk_a, application=application, data={"amount": 1})
    assert refused.value.code == "not_editable"


def test_every_change_to_an_application_and_its_payment_is_in_history(fund, staff, approved):
    application = approved("100.00")
    payment = services.application_pay(by=staff.manager, application=application, fund=fund)
    services.payment_reverse(by=staff.manager, payment=payment, reason="退票")
    events = AidApplication.pgh_event_model.objects.filter(pgh_obj=application)
    assert list(events.order_by("pgh_id").values_list("status", "version")) == [
        ("draft", 1),
        ("submitted", 2),
        ("approved", 3),
        ("paid", 4),
        ("approved", 5),
    ]
    payment_events = payment.events.order_by("pgh_id").values_list("status", flat=True)
    assert list(payment_events) == ["paid", "reversed"]
