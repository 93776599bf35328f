"""Funds II races on the real database: real threads, each with its own connection."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import HouseholdMember
from funds import batches, services
from funds.models import AidApplication, BatchRun
from tests.funds.factories import PersonFactory, WorkerFactory
from tests.funds.test_concurrency import _race

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_clerks_submitting_one_child_at_once_leave_one_grant(
    settings, staff, units, household, tmp_path
):
    settings.FUNDS_SCHOOLING_WINDOW = ((1, 1), (12, 31))
    settings.MEDIA_ROOT = tmp_path
    child = PersonFactory(org_unit=units.a)
    HouseholdMember.objects.create(
        org_unit=units.a, worker=household, person=child, relation="child"
    )
    drafts = []
    for _ in range(2):
        draft = services.application_create(
            by=staff.desk_a,
            org_unit=units.a,
            person=household.person,
            worker=household,
            data={
                "aid_type": "schooling",
                "amount": "1000.00",
                "payment_method": "cash",
                "child": child,
                "school": "第一中学",
                "grade": "高一",
            },
        )
        letter = SimpleUploadedFile("l.pdf", b"%PDF-1.4\n", content_type="application/pdf")
        services.document_add(by=staff.desk_a, application=draft, kind="admission", upload=letter)
        drafts.append(draft)
    results = _race(
        2, lambda i: services.application_submit(by=staff.desk_a, application=drafts[i])
    )
    outcomes = sorted(r.status if isinstance(r, AidApplication) else r.code for r in results)
    assert outcomes == ["duplicate_grant", "submitted"]
    assert AidApplication.objects.filter(status="submitted").count() == 1


def test_two_managers_paying_one_batch_at_once_queue_it_once(make_fund, staff, units):
    for _ in range(2):
        WorkerFactory(org_unit=units.a)
    fund = make_fund(balance="1000")
    batch = batches.batch_build(
        by=staff.manager,
        fund=fund,
        org_unit=units.a,
        kind="voucher",
        name="券",
        month=services._today(),
        method="voucher",
    )
    batch = batches.batch_approve(by=staff.approver, batch=batch)
    results = _race(2, lambda i: batches.batch_pay(by=staff.manager, batch=batch))
    outcomes = sorted("queued" if isinstance(r, BatchRun) else r.code for r in results)
    assert outcomes == ["already_paid", "queued"]
    assert BatchRun.objects.filter(batch=batch).count() == 1
