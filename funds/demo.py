"""Demo funds for the Putuo district: the sources the Putuo report names (central special fund,
local finance subsidy, one-day donation, medical mutual-aid surplus, union funds), a year of
income into them, and a year of aid applications — paid, approved, pending and rejected —
for registered household files, all through the services. Deterministic and safe to run twice:
it does nothing once the demo funds exist."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from aidcenter.errors import DomainError
from aidcenter.models import OrgUnit
from cases.models import Worker
from funds import batches, loans, services
from funds.models import AidCap, Fund

# code, name, source kind, aid types, file levels, requires a registered file,
# (income source, yearly amount)
FUNDS = [
    (
        "PT-CENTRAL",
        "中央财政专项帮扶资金",
        "central",
        ["living", "medical", "schooling", "emergency"],
        [],
        True,
        ("中央财政专项资金（经市总下拨）", Decimal("1200000.00")),
    ),
    (
        "PT-LOCAL",
        "区财政帮扶补贴",
        "local",
        ["living", "medical", "emergency", "holiday"],
        [],
        True,
        ("区财政局", Decimal("900000.00")),
    ),
    (
        "PT-ONEDAY",
        "“一日捐”帮扶资金",
        "one_day",
        ["holiday", "schooling", "emergency"],
        [],
        False,
        ("全区职工“一日捐”", Decimal("420000.00")),
    ),
    (
        "PT-MUTUAL",
        "职工医疗互助保障结余",
        "mutual_aid",
        ["medical"],
        [],
        False,
        ("市职工保障互助会结余返还", Decimal("360000.00")),
    ),
    (
        "PT-UNION",
        "工会经费帮扶专项",
        "union_funds",
        ["living", "holiday", "voucher", "emergency"],
        [],
        False,
        ("区总工会经费", Decimal("500000.00")),
    ),
]
CAPS = {"living": "6000.00", "medical": "20000.00", "schooling": "5000.00", "holiday": "2000.00"}
# aid type, weight, typical amounts
AID_MIX = [
    ("living", 40, ["500.00", "800.00", "1000.00", "1500.00", "2000.00"]),
    ("holiday", 25, ["500.00", "800.00", "1000.00"]),
    ("medical", 15, ["2000.00", "3000.00", "5000.00", "8000.00"]),
    # Autumn schooling aid runs in its July–September window, per child with an admission
    # letter (funds/services.py); the demo's year-round applications leave it out.
    ("emergency", 5, ["1000.00", "3000.00", "6000.00"]),
    ("voucher", 10, ["50.00"]),
]
APPLICATIONS = 400


def _user(username: str):
    return get_user_model().objects.get(username=username)


@transaction.atomic
def seed(*, applications: int = APPLICATIONS) -> int:
    """Returns the number of payments made (0 when the demo funds existed already)."""
    if Fund.objects.filter(code="PT-CENTRAL").exists():
        return 0
    district = OrgUnit.objects.get(code="PT")
    admin, manager = _user("admin"), _user("manager")
    desk, approvers = _user("desk"), [_user("approver"), _user("approver2")]
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    today = timezone.localdate()
    start = today - datetime.timedelta(days=364)

    funds = []
    for code, name, kind, aid_types, levels, requires_file, (source, yearly) in FUNDS:
        fund = services.fund_create(
            by=admin,
            org_unit=district,
            code=code,
            name=name,
            source_kind=kind,
            aid_types=aid_types,
            file_levels=levels,
            requires_file=requires_file,
        )
        for year in sorted({start.year, today.year}):
            services.budget_set(by=manager, fund=fund, year=year, amount=yearly)
        # Quarterly allocations received over the year.
        for quarter in range(4):
            services.income_record(
                by=manager,
                fund=fund,
                amount=(yearly / 4).quantize(Decimal("0.01")),
                received_on=start + datetime.timedelta(days=91 * quarter),
                source=source,
                reference=f"{code}-{start.year}-Q{quarter + 1}",
            )
        funds.append(fund)
    for year in sorted({start.year, today.year}):
        for aid_type, amount in CAPS.items():
            AidCap.objects.get_or_create(
                org_unit=district, year=year, aid_type=aid_type, defaults={"amount": amount}
            )

    files = list(
        Worker.objects.filter(status="registered", deleted_at__isnull=True)
        .select_related("person")
        .order_by("created_at", "id")[:300]
    )
    if not files:
        return 0
    types = [t for t, weight, _amounts in AID_MIX for _ in range(weight)]
    amounts = {t: a for t, _w, a in AID_MIX}
    paid = 0
    for n in range(applications):
        worker = rng.choice(files)
        aid_type = rng.choice(types)
        applied_on = start + datetime.timedelta(days=rng.randint(0, 350))
        bank = rng.random() < 0.7
        application = services.application_create(
            by=desk,
            org_unit=worker.org_unit,
            person=worker.person,
            worker=worker,
            data={
                "aid_type": aid_type,
                "amount": rng.choice(amounts[aid_type]),
                "reason": "演示数据",
                "applied_on": applied_on,
                "payment_method": "bank" if bank else "cash",
                "payee_name": worker.person.name if bank else "",
                "bank_name": "中国工商银行上海普陀支行" if bank else "",
                "bank_account": f"62220210{n:011d}" if bank else "",
            },
        )
        application = services.application_submit(by=desk, application=application)
        fate = rng.random()
        if fate < 0.05:
            continue  # still waiting for a decision
        if fate < 0.10:
            services.application_reject(
                by=approvers[0], application=application, opinion="家庭收入超过帮扶标准"
            )
            continue
        for approver in approvers[: application.required_approvals]:
            application = services.application_approve(
                by=approver, application=application, opinion="经审核，符合帮扶条件"
            )
        if fate < 0.15:
            continue  # approved, not yet paid
        paid_on = min(applied_on + datetime.timedelta(days=rng.randint(3, 14)), today)
        for fund in rng.sample(funds, len(funds)):
            try:
                payment = services.application_pay(
                    by=manager, application=application, fund=fund, paid_on=paid_on
                )
            except DomainError:
                continue  # earmark or cap: try the next source
            paid += 1
            if bank and rng.random() < 0.02:
                services.payment_reverse(
                    by=manager, payment=payment, reason="银行退票：账户已销户", failed_transfer=True
                )
            break
    return paid + _seed_funds_two(
        district=district, admin=admin, manager=manager, desk=desk, approver=approvers[0]
    )


def _seed_funds_two(*, district, admin, manager, desk, approver) -> int:
    """This month's supermarket vouchers (approved, queued for the worker), budgets per
    aid type, and a re-employment fund's interest-free loan with its first repayment."""
    today = timezone.localdate()
    union = Fund.objects.get(code="PT-UNION")
    for aid_type, amount in (("living", "200000.00"), ("holiday", "150000.00")):
        services.budget_set(
            by=manager, fund=union, year=today.year, amount=amount, aid_type=aid_type
        )
    try:
        batch = batches.batch_build(
            by=manager,
            fund=union,
            org_unit=district,
            kind="voucher",
            name=f"{today:%Y年%m月}爱心超市救助券",
            month=today,
            method="voucher",
        )
    except DomainError:
        return 0  # no deep-hardship file in the demo registry
    batch = batches.batch_approve(by=approver, batch=batch, opinion="同意按月发放")
    # Queued for the background worker (`manage.py db_worker`), which pays it all or nothing.
    batches.batch_pay(by=manager, batch=batch)

    lending = services.fund_create(
        by=admin,
        org_unit=district,
        code="PT-LOAN",
        name="再就业带头人无息借款",
        source_kind="reemployment",
        aid_types=["loan"],
        loan_min="10000.00",
        loan_max="20000.00",
        loan_max_hiring="50000.00",
        loan_min_months=12,
        loan_max_months=36,
        loan_instalment_months=6,
    )
    services.income_record(
        by=manager, fund=lending, amount="300000.00", received_on=today, source="区再就业专项资金"
    )
    worker = batch.lines.select_related("worker__person", "worker__org_unit").first().worker
    application = services.application_create(
        by=desk,
        org_unit=worker.org_unit,
        person=worker.person,
        worker=worker,
        data={
            "aid_type": "loan",
            "amount": "20000.00",
            "term_months": 24,
            "payment_method": "cash",
            "reason": "开办社区便民超市，吸纳下岗人员",
            "hires_laid_off": True,
        },
    )
    application = services.application_submit(by=desk, application=application)
    for user in get_user_model().objects.filter(username__in=["approver", "approver2"]):
        if application.status == "submitted":
            application = services.application_approve(by=user, application=application)
    payment = services.application_pay(by=manager, application=application, fund=lending)
    loans.loan_repay(by=manager, loan=payment.loan, amount="2000.00")
    return 1
