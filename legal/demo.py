"""Demo legal aid for Putuo's sub-centers over the last year: duty lawyers sitting on fixed
weekdays, the clients their firms acted for, and legal cases — most of them wage arrears of
migrant workers, many workers against one labour subcontractor — moving through mediation
(some settled with the district court, as Wuhan Jianghan's center does), labour inspection,
arbitration and lawsuits, with wages recovered (Xianyang's center recovered 2.86 million yuan
in five years). Deterministic, and safe to run twice: it does nothing once the demo cases
exist. Everything goes through the services, so the rules and deadlines hold for the demo too.
"""

from __future__ import annotations

import datetime
import random
import uuid
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from faker import Faker
from stdnum.cn import uscc

from aidcenter.models import OrgUnit
from cases import services as people
from legal import services
from legal.models import DutySlot, Lawyer, LegalCase, PastClient

MARK = "【演示】"
NAMESPACE = uuid.UUID("5d0c1a6e-8f1e-4f7c-9a43-1e8c2b7d0a08")
LAWYERS = [
    ("周明", "上海申江律师事务所", [1, 3]),
    ("孙丽华", "上海申江律师事务所", [0]),
    ("钱志刚", "上海普法律师事务所", [2, 4]),
    ("吴婷", "上海明理律师事务所", [1]),
    ("郑海涛", "上海明理律师事务所", [3]),
]
EMPLOYERS = [
    ("上海宏建建筑劳务有限公司", "建筑"),
    ("上海顺达装饰工程有限公司", "建筑"),
    ("上海美味餐饮管理有限公司", "餐饮"),
    ("上海锦绣服装加工厂", "制造业"),
    ("上海速运物流有限公司", "物流"),
    ("上海安居物业服务有限公司", "物业服务"),
    ("上海新城市政工程有限公司", "建筑"),
    ("上海华亭电子元件有限公司", "制造业"),
]
# case type, weight: wage arrears of migrant workers dominate the center's legal work.
TYPES = [
    ("wage_arrears", 55),
    ("contract", 12),
    ("work_injury", 10),
    ("social_insurance", 8),
    ("dismissal", 10),
    ("consultation", 5),
]
ROADS = {
    "wage_arrears": [
        ["mediation", "closed"],
        ["labour_inspection", "closed"],
        ["mediation", "arbitration", "closed"],
        ["labour_inspection", "arbitration", "litigation", "closed"],
        ["mediation"],
        ["arbitration"],
        [],
    ],
    "other": [
        ["mediation", "closed"],
        ["arbitration", "closed"],
        ["arbitration", "litigation", "closed"],
        ["mediation", "arbitration"],
        [],
    ],
}
MEDIATION_RESULTS = ["经区法院诉调对接调解成功", "双方达成分期支付协议", "调解不成，转仲裁"]


def _credit_code(n: int) -> str:
    body = f"91310107{n + 800000000:09d}"
    return body + uscc.calc_check_digit(body)


def _lawyers(rng: random.Random, units: list[OrgUnit], employers: list) -> list[Lawyer]:
    lawyers = []
    for i, (name, firm, weekdays) in enumerate(LAWYERS):
        lawyer, _created = Lawyer.objects.get_or_create(
            licence_no=f"13101{2010 + i}{i:08d}",
            defaults={"name": name, "firm": firm, "phone": f"021-6{rng.randrange(10**6):06d}"},
        )
        for weekday in weekdays:
            DutySlot.objects.get_or_create(lawyer=lawyer, org_unit=units[i % 3], weekday=weekday)
        lawyers.append(lawyer)
    # 申江 acted for the first subcontractor: its lawyers are never assigned against it
    # without an override.
    PastClient.objects.get_or_create(
        lawyer=lawyers[0], employer=employers[0], defaults={"note": "2019–2021 常年法律顾问"}
    )
    PastClient.objects.get_or_create(
        lawyer=None, firm="上海明理律师事务所", employer=employers[3], defaults={"note": "合同审查"}
    )
    return lawyers


def _later(rng: random.Random, day: datetime.date, today: datetime.date, lo: int, hi: int):
    return min(today, day + datetime.timedelta(days=rng.randint(lo, hi)))


@transaction.atomic  # all or nothing: a second run after a failure starts clean
def seed(*, cases: int = 60) -> int:
    """Load the demo; answers how many legal cases it opened (0 when already loaded)."""
    if LegalCase.objects.filter(summary__startswith=MARK).exists():
        return 0
    units = list(OrgUnit.objects.filter(parent__code="PT").order_by("code"))
    admin = get_user_model().objects.filter(username="admin").first()
    if not units or admin is None:
        return 0
    rng = random.Random(8)
    fake = Faker("zh_CN")
    fake.seed_instance(8)
    today = timezone.localdate()
    employers = [
        services.employer_find_or_create(by=admin, credit_code=_credit_code(i), name=name)
        for i, (name, _industry) in enumerate(EMPLOYERS)
    ]
    lawyers = _lawyers(rng, units, employers)
    kinds, weights = zip(*TYPES, strict=True)
    opened = 0
    for n in range(cases):
        unit = units[n % len(units)]
        case_type = rng.choices(kinds, weights)[0]
        employer = employers[rng.randrange(len(employers))]
        if n == 3:  # the case that shows a recorded conflict override (below)
            case_type, employer = "wage_arrears", employers[0]
        migrant = case_type == "wage_arrears" or rng.random() < 0.4
        size = rng.choice([1, 1, 2, 3, 5, 8, 12]) if case_type == "wage_arrears" else 1
        claimants = [
            people.person_create(
                by=admin,
                org_unit=unit,
                data={
                    "name": fake.name(),
                    "phone": f"13{rng.randrange(10**9):09d}",
                    "is_migrant": migrant,
                    "hukou": "rural" if migrant else "urban",
                },
            )
            for _ in range(size)
        ]
        opened_on = today - datetime.timedelta(days=rng.randint(5, 360))
        knew_on = opened_on - datetime.timedelta(days=rng.randint(10, 200))
        claimed = [Decimal(rng.randrange(3000, 25000, 100)) for _ in claimants]
        continuing = case_type == "wage_arrears" and rng.random() < 0.2
        case = services.legal_case_open(
            by=admin,
            org_unit=unit,
            id=uuid.uuid5(NAMESPACE, str(n)),
            case_type=case_type,
            employer=None if case_type == "consultation" else employer,
            opened_on=opened_on,
            claimants=[
                {"person": p, "amount_claimed": a} for p, a in zip(claimants, claimed, strict=True)
            ],
            data={
                "summary": f"{MARK}{employer.name if case_type != 'consultation' else ''}"
                f"{'拖欠工资' if case_type == 'wage_arrears' else ''}",
                "knew_of_violation_on": knew_on,
                "wages_during_employment": continuing,
            },
        )
        opened += 1
        if case_type == "consultation":
            services.stage_move(
                by=admin, case=case, to="closed", on=opened_on, outcome="advice_given"
            )
            continue
        free = [lw for lw in lawyers if not services.conflicts_of(lawyer=lw, employer=employer)]
        if n == 3:  # one recorded override: the only lawyer on duty that day
            services.lawyer_assign(
                by=admin,
                case=case,
                lawyer=lawyers[0],
                override_reason="当日仅该律师坐堂，代理关系已终止，当事人书面同意",
            )
        elif free:
            services.lawyer_assign(by=admin, case=case, lawyer=free[n % len(free)])
        day = opened_on
        road = ROADS["wage_arrears" if case_type == "wage_arrears" else "other"]
        for stage in road[rng.randrange(len(road))]:
            day = _later(rng, day, today, 3, 40)
            result = rng.choice(MEDIATION_RESULTS) if case.stage == "mediation" else ""
            if stage == "closed":
                share = rng.choice([Decimal("1"), Decimal("1"), Decimal("0.6"), Decimal("0")])
                for person, amount in zip(claimants, claimed, strict=True):
                    if share:
                        services.recovery_record(
                            by=admin,
                            case=case,
                            person=person,
                            amount=(amount * share).quantize(Decimal("0.01")),
                            on=day,
                        )
                outcome = {
                    Decimal("1"): "recovered_in_full",
                    Decimal("0.6"): "recovered_in_part",
                }.get(share, "lost")
                case = services.stage_move(
                    by=admin, case=case, to="closed", on=day, result=result, outcome=outcome
                )
            else:
                case = services.stage_move(by=admin, case=case, to=stage, on=day, result=result)
        if case.stage not in {"closed", "intake"} and rng.random() < 0.5:
            case = services.legal_case_update(
                by=admin,
                case=case,
                data={"next_hearing_on": today + datetime.timedelta(days=rng.randint(-3, 30))},
            )
    return opened
