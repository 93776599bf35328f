"""Demo job placement at a twentieth of Putuo's year (seeds: 143 fairs, 12,013 positions, 26,362
guidance person-times, 12,917 intents of which 79.87 % from migrant workers, 3,618
placements). Deterministic, and safe to run twice: it does nothing once the demo fairs exist.
Catalogues and placements go through the services; the many guidance rows are inserted in
bulk (the database triggers still count, version and capture them)."""

from __future__ import annotations

import datetime
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from faker import Faker
from stdnum.cn import uscc

from aidcenter.models import OrgUnit
from cases import services as cases
from jobs import services
from jobs.models import Guidance, Intent, JobFair, JobSeeker, three_months_after

SCALE = 20
FAIRS, POSITIONS, GUIDANCE, INTENTS, PLACEMENTS = 143, 12013, 26362, 12917, 3618
MIGRANT_SHARE = 10317 / 12917
KINDS = ["tuesday"] * 5 + ["spring_breeze", "spring_festival", "assistance", "graduates"]
JOBS = [
    ("操作工", ""),
    ("维修电工", "低压电工作业"),
    ("焊工", "焊接与热切割作业"),
    ("保安员", ""),
    ("保洁员", ""),
    ("快递分拣员", ""),
    ("仓库管理员", ""),
    ("中式烹调师", ""),
    ("营业员", ""),
    ("网店客服", ""),
    ("物流配送员", ""),
    ("制冷工", "制冷与空调设备运行操作作业"),
    ("会计", ""),
    ("叉车司机", "叉车司机"),
]
INDUSTRIES = ["制造业", "物流", "餐饮", "零售", "物业服务", "建筑", "信息技术"]


def _credit_code(n: int) -> str:
    body = f"91310107{n + 500000000:09d}"
    return body + uscc.calc_check_digit(body)


@transaction.atomic  # all or nothing: a second run after a failure starts clean
def seed(*, scale: int = SCALE) -> int:
    """Load the demo; answers how many placements it made (0 when already loaded)."""
    if JobFair.objects.filter(name__startswith="【演示】").exists():
        return 0
    rng = random.Random(143)
    fake = Faker("zh_CN")
    fake.seed_instance(143)
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["admin"])}
    admin = users["admin"]
    district = OrgUnit.objects.get(code="PT")
    sub_centers = list(OrgUnit.objects.filter(parent=district).order_by("code"))
    today = timezone.localdate()
    start = today - datetime.timedelta(days=364)

    employers = [
        services.employer_create(
            by=admin,
            data={
                "credit_code": _credit_code(n),
                "name": fake.company(),
                "industry": rng.choice(INDUSTRIES),
                "contact_name": fake.name(),
                "contact_phone": f"021{rng.randint(0, 99999999):08d}",
            },
        )
        for n in range(40)
    ]
    fairs = []
    for n in range(FAIRS // scale + 1):
        kind = KINDS[n % len(KINDS)]
        unit = district if n % 3 == 0 else sub_centers[n % len(sub_centers)]
        fairs.append(
            services.fair_create(
                by=admin,
                org_unit=unit,
                employers=rng.sample(employers, 6),
                data={
                    "name": f"【演示】{dict(JobFair.Kind.choices)[kind]}",
                    "kind": kind,
                    "location": rng.choice(["hall", "hall", "community", "enterprise", "online"]),
                    "held_on": start + datetime.timedelta(days=7 * (n * 6 + 1)),
                    "venue": "普陀区职工援助服务中心大厅",
                },
            )
        )
    vacancies, positions = [], POSITIONS // scale
    per_vacancy = positions // (len(fairs) * 6)
    for fair in fairs:
        for employer in fair.employers.all():
            title, certificate = rng.choice(JOBS)
            count = max(1, per_vacancy + rng.randint(-3, 3))
            vacancies.append(
                services.vacancy_create(
                    by=admin,
                    org_unit=fair.org_unit,
                    employer=employer,
                    job_fair=fair,
                    data={
                        "title": title,
                        "positions": count,
                        "salary_min": rng.choice([4000, 4500, 5000, 6000]),
                        "salary_max": rng.choice([6500, 7000, 8000, 9000]),
                        "required_certificate": certificate,
                    },
                )
            )

    # Job seekers off the street: about four in five are migrant workers.
    seekers = []
    for n in range(INTENTS // scale * 2 // 3):
        unit = sub_centers[n % len(sub_centers)]
        person = cases.person_create(
            by=admin,
            org_unit=unit,
            data={
                "name": fake.name(),
                "phone": f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
                "is_migrant": rng.random() < MIGRANT_SHARE,
                "hukou": "rural" if rng.random() < 0.7 else "urban",
            },
        )
        seekers.append(
            services.seeker_register(
                by=admin,
                person=person,
                org_unit=unit,
                desired_job=rng.choice(JOBS)[0],
                registered_on=start + datetime.timedelta(days=rng.randint(0, 300)),
            )
        )
    Guidance.objects.bulk_create(
        Guidance(
            org_unit=seeker.org_unit,
            seeker=seeker,
            held_on=min(today, seeker.registered_on + datetime.timedelta(days=rng.randint(0, 60))),
            notes="职业指导：求职意向与岗位推荐。",
        )
        for seeker in (rng.choice(seekers) for _ in range(GUIDANCE // scale))
    )
    pairs = set()
    while len(pairs) < INTENTS // scale:
        pairs.add((rng.randrange(len(seekers)), rng.randrange(len(vacancies))))
    intents = [
        Intent(
            org_unit=seekers[s].org_unit,
            seeker=seekers[s],
            vacancy=vacancies[v],
            reached_on=vacancies[v].job_fair.held_on,
        )
        for s, v in sorted(pairs)
    ]
    Intent.objects.bulk_create(intents)
    placed = 0
    for intent in rng.sample(intents, len(intents)):
        if placed >= PLACEMENTS // scale:
            break
        vacancy = intent.vacancy
        vacancy.refresh_from_db(fields=["placed", "positions"])
        if (
            vacancy.placed >= vacancy.positions
            or JobSeeker.objects.filter(pk=intent.seeker_id, placements__isnull=False).exists()
        ):
            continue
        started = min(today, intent.reached_on + datetime.timedelta(days=rng.randint(3, 20)))
        placement = services.placement_create(
            by=admin, seeker=intent.seeker, vacancy=vacancy, started_on=started
        )
        if three_months_after(started) <= today and rng.random() < 0.8:
            services.placement_follow_up(
                by=admin,
                placement=placement,
                followed_up_on=three_months_after(started),
                employed=rng.random() < 0.85,
            )
        placed += 1
    return placed
