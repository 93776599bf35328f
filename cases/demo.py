"""Demo registry: realistic household files across the demo district's sub-centers, in every
status, built through the services (so history, capture and rules all apply). Deterministic
and safe to run twice: it does nothing once the demo files exist."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from faker import Faker

from aidcenter.models import OrgUnit
from cases import services
from cases.models import MinimumLivingLine, Person, Worker

FILES = 1500
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


@transaction.atomic  # all or nothing: a second run after a failure starts clean
def seed() -> int:
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
    for n in range(FILES):
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
    if rng.random() < 0.5 and registered < today - datetime.timedelta(days=60):
        reviewed = min(today, registered + datetime.timedelta(days=rng.randint(30, 360)))
        services.worker_review(by=by, worker=worker, on=reviewed)
    if status in {"lifted", "closed"}:
        worker.refresh_from_db()
        if status == "lifted":
            services.worker_lift(by=officer, worker=worker, reason="income_above_line", on=today)
        else:
            reason = rng.choice(["moved_away", "retired", "died"])
            services.worker_close(by=officer, worker=worker, reason=reason, on=today)
