"""Autumn schooling aid (per child, in its window, one grant per child per year, duplicates
across units flagged, the public list masked) and medical aid as second-round aid."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from cases.models import HouseholdMember
from funds import services
from funds.models import AidApplication
from tests.funds.factories import PersonFactory, WorkerFactory

ALWAYS = ((1, 1), (12, 31))


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def child(household):
    person = PersonFactory(org_unit=household.org_unit, name="张小明")
    HouseholdMember.objects.create(
        org_unit=household.org_unit, worker=household, person=person, relation="child"
    )
    return person


def _letter():
    return SimpleUploadedFile("录取通知书.pdf", b"%PDF-1.4 letter", content_type="application/pdf")


def _schooling(staff, units, household, child, *, by=None, unit=None, letter=True):
    by, unit = by or staff.desk_a, unit or units.a
    application = services.application_create(
        by=by,
        org_unit=unit,
        person=household.person,
        worker=household,
        data={
            "aid_type": "schooling",
            "amount": "2000.00",
            "payment_method": "cash",
            "child": child,
            "school": "华东师范大学",
            "grade": "大一",
        },
    )
    if letter:
        services.document_add(by=by, application=application, kind="admission", upload=_letter())
    return application


def test_schooling_aid_is_refused_outside_its_window(settings, staff, units, household, child):
    settings.FUNDS_SCHOOLING_WINDOW = ((1, 1), (1, 1))
    today = services._today()
    if (today.month, today.day) == (1, 1):
        settings.FUNDS_SCHOOLING_WINDOW = ((12, 31), (12, 31))
    application = _schooling(staff, units, household, child)
    with pytest.raises(services.Invalid) as refused:
        services.application_submit(by=staff.desk_a, application=application)
    assert list(refused.value.errors) == ["applied_on"]


def test_schooling_aid_needs_the_child_and_the_admission_letter(
    settings, staff, units, household, child
):
    settings.FUNDS_SCHOOLING_WINDOW = ALWAYS
    application = _schooling(staff, units, household, child, letter=False)
    with pytest.raises(services.Invalid) as refused:
        services.application_submit(by=staff.desk_a, application=application)
    assert list(refused.value.errors) == ["documents"]
    stranger = PersonFactory(org_unit=units.a)
    with pytest.raises(services.Invalid) as not_a_member:
        services.application_update(
            by=staff.desk_a, application=application, data={"child": stranger}
        )
    assert list(not_a_member.value.errors) == ["child"]


def test_one_schooling_grant_per_child_per_year(settings, staff, units, household, child):
    settings.FUNDS_SCHOOLING_WINDOW = ALWAYS
    first = services.application_submit(
        by=staff.desk_a, application=_schooling(staff, units, household, child)
    )
    assert first.school_year == services._today().year
    second = _schooling(staff, units, household, child)
    with pytest.raises(services.DomainError) as twice:
        services.application_submit(by=staff.desk_a, application=second)
    assert twice.value.code == "duplicate_grant"
    assert AidApplication.objects.get(pk=second.pk).status == "draft"
    # A rejected grant frees the child for another application.
    services.application_reject(by=staff.approver, application=first, opinion="材料不全")
    assert services.application_submit(by=staff.desk_a, application=second).status == "submitted"


def test_same_child_in_another_unit_is_flagged(settings, staff, units, household, child):
    settings.FUNDS_SCHOOLING_WINDOW = ALWAYS
    services.application_submit(
        by=staff.desk_a, application=_schooling(staff, units, household, child)
    )
    other = WorkerFactory(org_unit=units.b)
    twin = PersonFactory(org_unit=units.b, name=child.name, birth_date=child.birth_date)
    HouseholdMember.objects.create(org_unit=units.b, worker=other, person=twin, relation="child")
    flagged = services.application_submit(
        by=staff.desk_b,
        application=_schooling(staff, units, other, twin, by=staff.desk_b, unit=units.b),
    )
    assert flagged.duplicate_elsewhere is True


def test_public_recipients_list_masks_names(settings, api, staff, units, household, child):
    settings.FUNDS_SCHOOLING_WINDOW = ALWAYS
    application = services.application_submit(
        by=staff.desk_a, application=_schooling(staff, units, household, child)
    )
    services.application_approve(by=staff.approver, application=application)
    fund = services.fund_create(
        by=staff.admin, org_unit=units.pt, code="PT-ONEDAY", name="一日捐", source_kind="one_day"
    )
    services.income_record(
        by=staff.manager, fund=fund, amount="5000", received_on=services._today(), source="捐款"
    )
    services.application_pay(by=staff.manager, application=application, fund=fund)
    year = services._today().year
    response = api(staff.officer).get(f"/api/v1/aid-applications/schooling-recipients/?year={year}")
    assert response.status_code == 200
    rows = list(load_workbook(filename=__import__("io").BytesIO(response.content)).active.values)
    assert rows[2:] == [("甲街道", "张*明", "华东师范大学", "大一", 2000)]
    empty = api(staff.desk_qx).get(f"/api/v1/aid-applications/schooling-recipients/?year={year}")
    assert list(load_workbook(__import__("io").BytesIO(empty.content)).active.values)[2:] == []


@pytest.mark.parametrize(
    ("name", "masked"), [("张小明", "张*明"), ("李雷", "李*"), ("司马相如", "司**如"), ("王", "王")]
)
def test_names_are_masked_as_a_notice_requires(name, masked):
    assert services.mask_name(name) == masked


# --- Medical aid ----------------------------------------------------------------------------
def _medical(staff, units, household, **invoices):
    return services.application_create(
        by=staff.desk_a,
        org_unit=units.a,
        person=household.person,
        worker=household,
        data={"aid_type": "medical", "payment_method": "cash", **invoices},
    )


def test_out_of_pocket_is_total_less_insurance_and_civil_affairs(staff, units, household):
    application = _medical(
        staff,
        units,
        household,
        amount="5000.00",
        invoice_total="32000.50",
        insurance_paid="20000.00",
        civil_affairs_paid="6000.25",
    )
    assert application.out_of_pocket == Decimal("6000.25")
    assert services.application_submit(by=staff.desk_a, application=application).status == (
        "submitted"
    )
    too_much = _medical(
        staff,
        units,
        household,
        amount="6000.26",
        invoice_total="32000.50",
        insurance_paid="20000.00",
        civil_affairs_paid="6000.25",
    )
    with pytest.raises(services.Invalid) as capped:
        services.application_submit(by=staff.desk_a, application=too_much)
    assert list(capped.value.errors) == ["amount"]
    overpaid = _medical(
        staff, units, household, amount="1.00", invoice_total="100", insurance_paid="101"
    )
    with pytest.raises(services.Invalid) as wrong:
        services.application_submit(by=staff.desk_a, application=overpaid)
    assert list(wrong.value.errors) == ["insurance_paid"]


def test_a_fund_paying_half_caps_medical_aid_at_half_the_out_of_pocket(
    make_fund, staff, approved, english
):
    fund = make_fund(balance="10000", medical_share=50, max_per_payment="5000.00")
    invoices = {"invoice_total": "10000.00", "insurance_paid": "4000.00"}  # 6000 out of pocket
    over_half = approved("3000.01", "medical", **invoices)
    with pytest.raises(services.DomainError) as refused:
        services.application_pay(by=staff.manager, application=over_half, fund=fund)
    assert (refused.value.code, refused.value.message) == (
        "earmark",
        "The fund 基金PT-AID covers 50% of the out-of-pocket costs: at most ¥3,000.00.",
    )
    no_invoice = approved("100.00", "medical")
    with pytest.raises(services.DomainError) as missing:
        services.application_pay(by=staff.manager, application=no_invoice, fund=fund)
    assert missing.value.code == "earmark"
    half = approved("3000.00", "medical", **invoices)
    assert services.application_pay(by=staff.manager, application=half, fund=fund).amount == (
        Decimal("3000.00")
    )
