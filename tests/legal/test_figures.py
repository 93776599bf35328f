"""The figures the dashboards read (API.md "Stats summary", legal), on a known data set:
cases by opening date, closed by closing date, money by recovery date, migrant cases."""

import datetime
from decimal import Decimal

from django.utils import timezone

from aidcenter.scope import subtree_ids
from legal import services
from tests.factories import PersonFactory

D = datetime.date
Y2025 = {"date_from": D(2025, 1, 1), "date_to": D(2025, 12, 31)}


def _known_set(open_case, staff, units):
    by = staff.case_a
    migrants = [PersonFactory(org_unit=units.a, is_migrant=True) for _ in range(3)]
    local = PersonFactory(org_unit=units.a)
    # 1. Opened 2025 in PT-A, three migrants: recovered 6000 in 2025, 1000 in 2026; closed 2026.
    big = open_case(*migrants, amounts=["5000", "3000", "2000"], opened_on=D(2025, 3, 1))
    services.recovery_record(by=by, case=big, person=migrants[0], amount="5000", on=D(2025, 6, 1))
    services.recovery_record(by=by, case=big, person=migrants[1], amount="1000", on=D(2025, 12, 31))
    services.recovery_record(by=by, case=big, person=migrants[2], amount="1000", on=D(2026, 1, 2))
    services.stage_move(by=by, case=big, to="closed", on=D(2026, 1, 3), outcome="recovered_in_part")
    # 2. Opened 2024, closed 2025, local claimant; a correction in 2025 counts negative.
    old = open_case(local, amounts=["800"], case_type="dismissal", opened_on=D(2024, 11, 1))
    services.recovery_record(by=by, case=old, person=local, amount="800", on=D(2024, 12, 1))
    services.recovery_record(by=by, case=old, person=local, amount="-100", on=D(2025, 1, 5))
    services.stage_move(by=by, case=old, to="closed", on=D(2025, 2, 1), outcome="mediated")
    # 3. Opened 2025 with a local claimant only: counted, not migrant.
    open_case(PersonFactory(org_unit=units.a), case_type="contract", opened_on=D(2025, 7, 1))
    # 4. Opened 2025 in PT-B: a migrant case in the district, not in PT-A.
    b_case = open_case(
        PersonFactory(org_unit=units.b, is_migrant=True),
        by=staff.case_b,
        unit=units.b,
        opened_on=D(2025, 8, 1),
    )
    services.recovery_record(
        by=staff.case_b,
        case=b_case,
        person=b_case.claimants.get().person,
        amount="250.50",
        on=D(2025, 9, 1),
    )
    # 5. Opened 2025 in PT-A, then deleted: not counted anywhere.
    gone = open_case(PersonFactory(org_unit=units.a, is_migrant=True), opened_on=D(2025, 5, 5))
    services.legal_case_delete(by=by, case=gone)
    # 6. Another district.
    open_case(
        PersonFactory(org_unit=units.qxa, is_migrant=True),
        by=staff.admin,
        unit=units.qxa,
        opened_on=D(2025, 4, 4),
    )


def test_figures_of_a_sub_center_for_a_year(open_case, staff, units):
    _known_set(open_case, staff, units)
    assert services.figures(units=subtree_ids(units.a.pk), **Y2025) == {
        "cases": 2,
        "closed": 1,
        "amount_recovered": Decimal("5900.00"),
        "migrant_cases": 1,
    }


def test_figures_of_the_district_and_the_city(open_case, staff, units):
    _known_set(open_case, staff, units)
    assert services.figures(units=subtree_ids(units.pt.pk), **Y2025) == {
        "cases": 3,
        "closed": 1,
        "amount_recovered": Decimal("6150.50"),
        "migrant_cases": 2,
    }
    city = services.figures(units=None, **Y2025)
    assert (city["cases"], city["migrant_cases"]) == (4, 3)


def test_figures_of_another_period_and_of_nothing(open_case, staff, units):
    _known_set(open_case, staff, units)
    assert services.figures(
        units=subtree_ids(units.a.pk), date_from=D(2026, 1, 1), date_to=D(2026, 1, 31)
    ) == {"cases": 0, "closed": 1, "amount_recovered": Decimal("1000.00"), "migrant_cases": 0}
    today = timezone.localdate()
    assert services.figures(units=frozenset(), date_from=today, date_to=today) == {
        "cases": 0,
        "closed": 0,
        "amount_recovered": Decimal("0.00"),
        "migrant_cases": 0,
    }
