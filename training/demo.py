"""Demo skills training at a twentieth of Putuo's year (seeds: 371 classes, 14,813 trainees of
whom 5,373 migrant workers). Deterministic, and safe to run twice: it does nothing once the
demo courses exist. Courses and classes go through the services; the enrolments and
certificates of classes already held are inserted in bulk (the database triggers still count
places, version and capture them, and the capacity CHECK still holds)."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from faker import Faker

from aidcenter.models import OrgUnit
from cases import services as cases
from training import services
from training.models import Certificate, Course, Enrolment

SCALE = 20
CLASSES, TRAINEES, MIGRANT_SHARE = 371, 14813, 5373 / 14813
COURSES = [
    ("低压电工", "beginner", "skill", "低压电工作业", "special_operation"),
    ("焊工", "beginner", "skill", "焊接与热切割作业", "special_operation"),
    (
        "制冷与空调设备运行",
        "intermediate",
        "upgrade",
        "制冷与空调设备运行操作作业",
        "special_operation",
    ),
    ("中式烹调师", "intermediate", "skill", "中式烹调师", "level"),
    ("会计实务", "beginner", "reserve", "会计实务培训合格证", "qualification"),
    ("网店运营与网页设计", "beginner", "skill", "网页设计", "qualification"),
    ("营销员", "beginner", "skill", "营销员", "level"),
    ("物流服务师", "intermediate", "targeted", "物流服务师", "level"),
    ("叉车司机", "beginner", "targeted", "叉车司机", "special_operation"),
]


@transaction.atomic  # all or nothing: a second run after a failure starts clean
def seed(*, scale: int = SCALE) -> int:
    """Load the demo; answers how many enrolments it made (0 when already loaded)."""
    if Course.objects.filter(provider="普陀区职工技能培训中心（演示）").exists():
        return 0
    rng = random.Random(371)
    fake = Faker("zh_CN")
    fake.seed_instance(371)
    admin = get_user_model().objects.get(username="admin")
    district = OrgUnit.objects.get(code="PT")
    sub_centers = list(OrgUnit.objects.filter(parent=district).order_by("code"))
    today = timezone.localdate()
    courses = [
        (
            services.course_create(
                by=admin,
                data={
                    "name": name,
                    "level": level,
                    "kind": kind,
                    "provider": "普陀区职工技能培训中心（演示）",
                    "certificate_name": certificate,
                },
            ),
            cert_kind,
        )
        for name, level, kind, certificate, cert_kind in COURSES
    ]
    trainees_per_class = TRAINEES // CLASSES
    people = []
    for n in range(TRAINEES // scale):
        unit = sub_centers[n % len(sub_centers)]
        people.append(
            cases.person_create(
                by=admin,
                org_unit=unit,
                data={
                    "name": fake.name(),
                    "phone": f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
                    "is_migrant": rng.random() < MIGRANT_SHARE,
                },
            )
        )
    made, number = 0, 0
    for n in range(CLASSES // scale + 1):
        course, cert_kind = courses[n % len(courses)]
        starts = today - datetime.timedelta(days=350 - n * 19)
        ends = starts + datetime.timedelta(days=rng.choice([14, 21, 30, 45]))
        klass = services.class_create(
            by=admin,
            org_unit=district if n % 2 else sub_centers[n % len(sub_centers)],
            course=course,
            data={
                "starts_on": starts,
                "ends_on": ends,
                "capacity": trainees_per_class + 5,
                "venue": rng.choice(["区中心培训教室", "街道社区学校", "企业实训基地"]),
                "fee": Decimal("1200.00"),
                "subsidy": Decimal(rng.choice(["600.00", "800.00", "1200.00"])),
            },
        )
        held = ends < today
        chosen = rng.sample(people, trainees_per_class)
        rows = Enrolment.objects.bulk_create(
            Enrolment(
                org_unit=person.org_unit,
                training_class=klass,
                person=person,
                status="completed" if held else "enrolled",
                sessions_attended=rng.randint(8, 12) if held else 0,
                exam_passed=(rng.random() < 0.82) if held else None,
                subsidy_amount=klass.subsidy if held else None,
            )
            for person in chosen
        )
        made += len(rows)
        if not held:
            continue
        certificates = []
        for enrolment in rows:
            if not enrolment.exam_passed:
                continue
            number += 1
            licence = cert_kind == "special_operation"
            certificates.append(
                Certificate(
                    org_unit=klass.org_unit,
                    enrolment=enrolment,
                    person=enrolment.person,
                    kind=cert_kind,
                    name=course.certificate_name,
                    number=f"PT{ends:%Y}{number:06d}",
                    issued_on=ends,
                    # Licences are reviewed every six years; some demo ones are due soon.
                    expires_on=(
                        ends + datetime.timedelta(days=rng.choice([120, 400, 2190]))
                        if licence
                        else None
                    ),
                )
            )
        Certificate.objects.bulk_create(certificates)
    return made
