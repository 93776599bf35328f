"""A known data set over every section, built with the apps' own test helpers and services."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from cases.models import Case, FileEvent, Worker
from funds import services as funds_services
from tests.factories import PersonFactory
from tests.funds.conftest import approved, household, make_fund  # noqa: F401 (fixtures)
from tests.jobs.test_figures import _known_set as jobs_set
from tests.legal.conftest import employer, open_case  # noqa: F401 (fixtures)
from tests.legal.test_figures import _known_set as legal_set
from tests.training.test_figures import _known_set as training_set

D = datetime.date


def make_file(unit, *, status="registered", registered_on=None, ended_on=None, **kwargs):
    person = PersonFactory(org_unit=unit, is_migrant=kwargs.pop("migrant", False))
    return Worker.objects.create(
        org_unit=unit,
        person=person,
        status=status,
        registered_on=registered_on,
        ended_on=ended_on,
        end_reason="income_above_line" if ended_on else "",
        hardship_level=kwargs.pop("level", "deep"),
        main_cause=kwargs.pop("cause", "illness"),
        **kwargs,
    )


def event(worker, kind, on, by):
    FileEvent.objects.create(org_unit=worker.org_unit, worker=worker, kind=kind, on=on, by=by)


_refs = iter(range(1, 10**6))


def make_case(unit, by, received_at, **kwargs):
    return Case.objects.create(
        org_unit=unit,
        reference=f"T-{next(_refs):06d}",
        channel=kwargs.pop("channel", "walk_in"),
        received_at=received_at,
        received_by=by,
        category=kwargs.pop("category", "other"),
        summary="测试",
        **kwargs,
    )


def at(*args) -> datetime.datetime:
    """A time in Asia/Shanghai."""
    from stats.figures import TZ

    return datetime.datetime(*args, tzinfo=TZ)


@pytest.fixture
def known(units, staff, open_case, make_fund, approved):  # noqa: F811
    """Records of every section in PT-A, PT-B and (outside PT) QX-A, in 2025 and 2026."""
    by = staff.officer
    # Registry, with history: approved 2025, lifted 2026 (registered at the end of 2025 only).
    lifted = make_file(
        units.a, status="lifted", registered_on=D(2025, 3, 1), ended_on=D(2026, 2, 1)
    )
    event(lifted, "approved", D(2025, 3, 1), by)
    event(lifted, "lifted", D(2026, 2, 1), by)
    # Approved 2026 in PT-B, a migrant's file, relative hardship.
    b_new = make_file(units.b, registered_on=D(2026, 4, 1), migrant=True, level="relative")
    event(b_new, "approved", D(2026, 4, 1), by)
    # Without history (loaded): registered 2024, still registered.
    loaded = make_file(units.a1, registered_on=D(2024, 5, 5), cause="disability")
    # Without history: registered 2025, closed 2026.
    make_file(units.a, status="closed", registered_on=D(2025, 1, 9), ended_on=D(2026, 3, 3))
    # A draft, a deleted registered file, and a file of another district.
    make_file(units.a, status="draft")
    gone = make_file(units.a, registered_on=D(2025, 1, 1))
    Worker.objects.filter(pk=gone.pk).update(deleted_at=datetime.datetime.now(datetime.UTC))
    make_file(units.qxa, registered_on=D(2025, 1, 1))
    # Front desk: received on either side of the new year in Shanghai.
    make_case(units.a, by, at(2025, 12, 31, 23, 59), channel="hotline", due_on=D(2026, 1, 10))
    make_case(
        units.a,
        by,
        at(2026, 1, 1, 0, 0),
        due_on=D(2026, 1, 5),
        status="resolved",
        resolved_at=at(2026, 1, 9, 10),
        satisfaction=4,
    )
    make_case(
        units.b,
        by,
        at(2026, 3, 1, 9),
        channel="letter",
        due_on=D(2026, 4, 1),
        status="resolved",
        resolved_at=at(2026, 3, 5, 9),
        satisfaction=5,
    )
    make_case(units.qxa, staff.desk_qx, at(2026, 3, 1, 9))
    jobs_set(units)
    training_set(units)
    legal_set(open_case, staff, units)
    # Funds: a district fund; three payments in 2026 to two people, one reversed.
    fund = make_fund(code="PT-AID", balance="10000.00")
    first = approved("500.00")
    pay1 = funds_services.application_pay(
        by=staff.manager, application=first, fund=fund, paid_on=D(2026, 2, 1)
    )
    funds_services.application_pay(
        by=staff.manager, application=approved("300.00"), fund=fund, paid_on=D(2026, 3, 1)
    )
    other = PersonFactory(org_unit=units.b)
    third = funds_services.application_create(
        by=staff.desk_b,
        org_unit=units.b,
        person=other,
        data={"aid_type": "emergency", "amount": "200.00", "payment_method": "cash"},
    )
    third = funds_services.application_submit(by=staff.desk_b, application=third)
    third = funds_services.application_approve(by=staff.approver, application=third)
    funds_services.application_pay(
        by=staff.manager, application=third, fund=fund, paid_on=D(2026, 4, 1)
    )
    reversed_one = funds_services.application_pay(
        by=staff.manager, application=approved("50.00", aid_type="holiday"), fund=fund
    )
    funds_services.payment_reverse(by=staff.manager, payment=reversed_one, reason="错付")
    return SimpleNamespace(lifted=lifted, b_new=b_new, loaded=loaded, fund=fund, pay1=pay1)


@pytest.fixture
def cents():
    return lambda v: Decimal(v).quantize(Decimal("0.01"))
