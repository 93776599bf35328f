import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from cases import services
from tests.factories import make_national_id

TODAY = timezone.localdate


def worker_payload(n: int, **extra) -> dict:
    """A complete, valid new file as a sub-center would post it."""
    notice_start = timezone.localdate() - datetime.timedelta(days=12)
    return {
        "national_id": make_national_id(n),
        "name": f"张{n}",
        "phone": f"1380000{n:04d}",
        "is_migrant": False,
        "hukou": "urban",
        "address": "上海市普陀区长寿路1号",
        "employment_status": "laid_off",
        "income_per_head": "800.00",
        "hardship_level": "deep",
        "main_cause": "illness",
        "secondary_causes": ["laid_off"],
        "file_level": "district",
        "consent_signed_on": str(notice_start),
        "home_visit_on": str(notice_start),
        "notice_starts_on": str(notice_start),
        "notice_ends_on": str(notice_start + datetime.timedelta(days=7)),
        **extra,
    }


@pytest.fixture
def new_file(staff):
    """make(n, by=user, unit=unit, **fields) -> a draft file created through the service."""

    def make(n: int, *, by=None, unit=None, **extra):
        by = by or staff.case_a
        payload = worker_payload(n, **extra)
        head = {k: payload.pop(k) for k in ("national_id", "name", "phone", "is_migrant", "hukou")}
        for key in ("consent_signed_on", "home_visit_on", "notice_starts_on", "notice_ends_on"):
            if payload[key] is not None:
                payload[key] = datetime.date.fromisoformat(payload[key])
        payload["income_per_head"] = Decimal(payload["income_per_head"])
        return services.worker_create(
            by=by, org_unit=unit or by.staff.org_unit, head=head, fields=payload
        )

    return make


@pytest.fixture
def registered_file(new_file, staff):
    def make(n: int, **kwargs):
        worker = new_file(n, **kwargs)
        services.worker_submit(
            by=staff.case_a if worker.org_unit.code.startswith("PT-A") else staff.case_b,
            worker=worker,
        )
        return services.worker_approve(by=staff.officer, worker=worker)

    return make
