import datetime

import pytest

from legal import services
from tests.factories import PersonFactory
from tests.jobs.factories import EmployerFactory


@pytest.fixture
def employer(db):
    return EmployerFactory(name="上海欠薪建筑劳务有限公司")


@pytest.fixture
def open_case(staff, units, employer):
    """open_case(n_claimants, ...) -> a wage-arrears case in PT-A opened by its caseworker."""

    def make(*people, by=None, unit=None, case_type="wage_arrears", amounts=None, **kwargs):
        unit = unit or units.a
        if not people:
            people = [PersonFactory(org_unit=unit, is_migrant=True)]
        amounts = amounts or ["1000.00"] * len(people)
        kwargs.setdefault("employer", employer)
        kwargs.setdefault("opened_on", datetime.date(2026, 1, 5))
        return services.legal_case_open(
            by=by or staff.case_a,
            org_unit=unit,
            case_type=case_type,
            claimants=[
                {"person": p, "amount_claimed": a} for p, a in zip(people, amounts, strict=True)
            ],
            **kwargs,
        )

    return make
