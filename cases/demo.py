"""Demo registry: realistic household files across the demo district's sub-centers, in every
status, built through the services (so history, capture and rules all apply). Deterministic
and safe to run twice: it does nothing once the demo files exist."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pgtrigger
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from faker import Faker

from aidcenter.models import OrgUnit
from cases import services
from cases.models import FileEvent, MinimumLivingLine, Person, Worker

FILES = 1500
CASES = 600
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
REGIONS = ("310107", "310104", "310105", "310110", "342401", "410102", "510104", "430102")
CAUSES = list(Worker.Cause.values)
# Shares seen in the seeds: illness and laid-off workers dominate; about one file in ten is
# a migrant worker's.
STATUS_MIX = [
    ("registered", 70),
    ("draft", 8),
    ("submitted", 7),
    ("rejected", 3),
    ("lifted", 9),
    ("closed", 3),
]


def national_id(rng: random.Random, born: datetime.date, used: set[str]) -> str:
    while True:
        body = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randint(0, 999):03d}"
        number = (
            body + "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]
        )
        if number not in used:
            used.add(number)
            return number


def seed(*, files: int = FILES, cases: int = CASES) -> int:
    return seed_registry(files=files) + seed_cases(cases=cases)


@transaction.atomic  # all or nothing: a second run after a failure starts clean
def seed_registry(*, files: int = FILES) -> int:
    if Worker.objects.filter(create_digest="demo").exists():
        return 0
    rng = random.Random(2010)
    fake = Faker("zh_CN")
    fake.seed_instance(2010)
    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=["officer", "desk_cs", "case_cs"])
    }  # noqa: E501
    sub_centers = list(OrgUnit.objects.filter(parent__code="PT").order_by("code"))
    city = OrgUnit.objects.get(code="SH")
    today = timezone.localdate()
    for year, amount in ((today.year - 1, "1420.00"), (today.year, "1510.00")):
        MinimumLivingLine.objects.get_or_create(
            org_unit=city, year=year, defaults={"monthly_amount": Decimal(amount)}
        )
    used = set(Person.objects.exclude(national_id=None).values_list("national_id", flat=True))
    statuses = [s for s, w in STATUS_MIX for _ in range(w)]
    made = 0
    for n in range(files):
        unit = sub_centers[n % len(sub_centers)]
        _one_file(n, rng, fake, unit, users, rng.choice(statuses), today, used)
        made += 1
    return made


def _one_file(n, rng, fake, unit, users, status, today, used) -> None:
    by = users["case_cs"]
    sex_female = rng.random() < 0.55
    born = datetime.date(rng.randint(1962, 1995), rng.randint(1, 12), rng.randint(1, 28))
    name = fake.name_female() if sex_female else fake.name_male()
    income = Decimal(rng.randint(300, 2900))
    level = "deep" if income < 1510 else "relative"
    if rng.random() < 0.06:
        level = "accidental"
    started = today - datetime.timedelta(days=rng.randint(30, 900))
    head = {
        "national_id": national_id(rng, born, used),
        "name": name,
        "phone": f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
        "is_migrant": rng.random() < 0.12,
        "hukou": rng.choice(["urban", "urban", "rural"]),
    }
    fields = {
        "address": fake.street_address(),
        "employer_name": fake.company(),
        "union_member_no": f"{unit.code}-{n:06d}",
        "income_per_head": income,
        "employment_status": rng.choice(
            ["laid_off", "unemployed", "flexible", "employed", "retired"]
        ),
        "household_income_year": income * 12 * rng.randint(2, 4),
        "hardship_level": level,
        "main_cause": rng.choice(CAUSES[:7]),
        "secondary_causes": rng.sample(CAUSES, k=rng.randint(0, 2)),
        "file_level": rng.choice(["district", "district", "city", "grassroots", "national"]),
        "is_model_worker": rng.random() < 0.02,
        "consent_signed_on": started,
        "home_visit_on": started + datetime.timedelta(days=3),
        "home_visit_note": "入户核实家庭收入与支出情况。",
        "notice_starts_on": started + datetime.timedelta(days=5),
        "notice_ends_on": started + datetime.timedelta(days=12),
    }
    worker = services.worker_create(by=by, org_unit=unit, head=head, fields=fields)
    Worker.objects.filter(pk=worker.pk).update(create_digest="demo")
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
        child_born = datetime.date(rng.randint(2006, 2020), rng.randint(1, 12), rng.randint(1, 28))
        services.member_add(
            by=by,
            worker=worker,
            relation="child",
            person_data={
                "national_id": national_id(rng, child_born, used),
                "name": head["name"][0] + fake.first_name(),
            },
            school=rng.choice(["普陀区长寿路小学", "曹杨二中", "宜川中学", ""]),
        )
    if status == "draft":
        return
    if status == "submitted" and worker.notice_ends_on >= today:
        return
    services.worker_submit(by=by, worker=worker)
    if status == "submitted":
        return
    officer = users["officer"]
    if status == "rejected":
        services.worker_reject(by=officer, worker=worker, opinion="家庭人均收入超过相对困难标准。")
        return
    services.worker_approve(by=officer, worker=worker, opinion="经审核，符合建档条件。")
    registered = min(today, worker.notice_ends_on + datetime.timedelta(days=rng.randint(1, 20)))
    Worker.objects.filter(pk=worker.pk).update(registered_on=registered)
    # The demo's history happened over the past year, not on the day it was loaded: the
    # approval event carries the registration day (the dashboards' stocks read the events).
    with pgtrigger.ignore("cases.FileEvent:append_only"):
        FileEvent.objects.filter(worker=worker, kind="approved").update(on=registered)
    last = registered
    if rng.random() < 0.5 and registered < today - datetime.timedelta(days=60):
        reviewed = min(today, registered + datetime.timedelta(days=rng.randint(30, 360)))
        services.worker_review(by=by, worker=worker, on=reviewed)
        last = reviewed
    if status in {"lifted", "closed"}:
        worker.refresh_from_db()
        span = max((today - last).days, 0)
        ended = last + datetime.timedelta(days=rng.randint(min(30, span), span))
        if status == "lifted":
            services.worker_lift(by=officer, worker=worker, reason="income_above_line", on=ended)
        else:
            reason = rng.choice(["moved_away", "retired", "died"])
            services.worker_close(by=officer, worker=worker, reason=reason, on=ended)


# --- Front-desk cases -------------------------------------------------------------------------
SUMMARIES = {
    "job_seeking": ["想找一份保安或保洁工作", "下岗后希望再就业，会开车", "求职：仓库管理员"],
    "training": ["想参加电工培训，取得上岗证", "咨询中式烹调师培训补贴"],
    "labour_dispute": ["单位未签劳动合同即辞退", "加班费计算有争议"],
    "wage_arrears": ["工地拖欠三个月工资", "春节前工资未发，共 12 人"],
    "living_hardship": ["丈夫患病，家庭生活困难", "单亲家庭，孩子上学开支大"],
    "medical": ["住院自付费用约三万元", "慢性病长期用药负担重"],
    "schooling": ["孩子考上大学，学费有困难", "咨询金秋助学申请条件"],
    "psychological": ["失业后情绪低落，希望心理疏导"],
    "petition": ["反映企业改制中的职工安置问题", "来信反映社保缴费基数问题"],
    "other": ["咨询工会会员证办理", "咨询困难职工建档政策"],
}
CHANNEL_MIX = ["walk_in"] * 5 + ["hotline"] * 3 + ["letter", "online", "referral"]


@transaction.atomic
def seed_cases(*, cases: int = CASES) -> int:
    from cases import desk
    from cases.models import Case

    if Case.objects.filter(create_digest="demo").exists():
        return 0
    rng = random.Random(12351)
    users = {
        u.username: u
        for u in get_user_model().objects.filter(
            username__in=["desk_cs", "case_cs", "desk_cy", "case_cy"]
        )
    }
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=["PT-CS", "PT-CY"])}
    people = {
        code: list(Person.objects.filter(org_unit=unit, deleted_at=None).order_by("id")[:300])
        for code, unit in units.items()
    }
    now = timezone.now()
    for n in range(cases):
        code = "PT-CS" if n % 3 else "PT-CY"
        desk_user, caseworker = users[f"desk_{code[3:].lower()}"], users[f"case_{code[3:].lower()}"]
        category = rng.choice(list(SUMMARIES))
        channel = "letter" if category == "petition" else rng.choice(CHANNEL_MIX)
        person = rng.choice(people[code]) if channel != "hotline" or rng.random() < 0.7 else None
        received = now - datetime.timedelta(days=rng.randint(0, 120), minutes=rng.randint(0, 600))
        case = desk.case_log(
            by=desk_user,
            org_unit=units[code],
            person=person,
            received_at=received,
            data={
                "channel": channel,
                "category": category,
                "summary": rng.choice(SUMMARIES[category]),
                "urgency": "urgent" if rng.random() < 0.1 else "normal",
                "work_order_no": f"12351-{received:%Y%m%d}-{n:04d}" if channel == "hotline" else "",
            },
            assignee=caseworker if rng.random() < 0.6 else None,
            create_digest="demo",
        )
        age = (timezone.localdate() - timezone.localdate(received)).days
        if category == "petition":
            if age > 5:
                accepted = rng.random() < 0.85
                on = timezone.localdate(received) + datetime.timedelta(
                    days=min(age, rng.randint(2, 12))
                )
                case = desk.petition_decide(by=caseworker, case=case, accept=accepted, on=on)
            continue
        if age > 3 and rng.random() < (0.95 if age > 12 else 0.5):
            if category != "psychological" or case.assignee_id == caseworker.pk:
                desk.note_add(by=caseworker, case=case, body="已电话联系本人，了解具体情况。")
            case = desk.case_move(by=caseworker, case=case, action="resolve")
            if rng.random() < 0.6:
                desk.follow_up_record(
                    by=desk_user,
                    case=case,
                    satisfaction=rng.choice([5, 5, 4, 4, 3]),
                    remarks="对办理结果表示满意",
                )
            if rng.random() < 0.5:
                desk.case_move(by=caseworker, case=case, action="close")
        elif rng.random() < 0.5:
            desk.case_move(by=caseworker, case=case, action="start")
    return cases
