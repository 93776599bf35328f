"""A front-desk case referred into financial aid becomes a draft application; its progress
shows on the case."""

import pytest

from aidcenter.errors import Invalid
from cases import desk
from funds.models import AidApplication
from tests.factories import PersonFactory, make_national_id


def test_referral_creates_a_draft_application_and_follows_it(staff, units):
    person = PersonFactory(org_unit=units.a, national_id=make_national_id(1))
    case = desk.case_log(
        by=staff.desk_a,
        org_unit=units.a,
        person=person,
        data={"channel": "walk_in", "category": "medical", "summary": "住院费用困难"},
    )
    with pytest.raises(Invalid):
        desk.case_refer(by=staff.desk_a, case=case, target="funds", data={})
    referral = desk.case_refer(
        by=staff.desk_a, case=case, target="funds", data={"amount": "2000.00"}
    )
    application = AidApplication.objects.get(pk=referral.record_id)
    assert (application.aid_type, str(application.amount), application.status) == (
        "medical",
        "2000.00",
        "draft",
    )
    assert case.reference in application.reason
    [row] = desk.refresh_referrals(case.referrals.all())
    assert row.status == "sent"
    AidApplication.objects.filter(pk=application.pk).update(status="submitted")
    [row] = desk.refresh_referrals(case.referrals.all())
    assert row.status == "picked_up"
