"""Funds fixtures: a district fund, beneficiaries in sub-center PT-A, and a helper that takes
an application through entry, submission and approval by the services themselves."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from funds import services
from funds.models import Fund
from tests.funds.factories import PersonFactory, WorkerFactory


@pytest.fixture
def make_fund(units, staff):
    def make(code="PT-AID", balance="0.00", unit=None, **earmark) -> Fund:
        fund = services.fund_create(
            by=staff.admin,
            org_unit=unit or units.pt,
            code=code,
            name=f"基金{code}",
            source_kind=earmark.pop("source_kind", Fund.SourceKind.CENTRAL),
            **earmark,
        )
        if Decimal(balance) > 0:
            services.income_record(
                by=staff.manager,
                fund=fund,
                amount=balance,
                received_on=services._today(),
                source="区财政",
            )
        return fund

    return make


@pytest.fixture
def fund(make_fund):
    return make_fund(balance="10000.00")


@pytest.fixture
def household(units):
    return WorkerFactory(org_unit=units.a)


@pytest.fixture
def approved(units, staff, household):
    """approved(amount, ...) -> an approved application of the household's head."""

    def make(amount="500.00", aid_type="living", worker=household, method="cash", **data):
        application = services.application_create(
            by=staff.desk_a,
            org_unit=units.a,
            person=worker.person if worker else PersonFactory(org_unit=units.a),
            worker=worker,
            data={"aid_type": aid_type, "amount": amount, "payment_method": method, **data},
        )
        application = services.application_submit(by=staff.desk_a, application=application)
        application = services.application_approve(by=staff.approver, application=application)
        if application.status != "approved":
            application = services.application_approve(by=staff.approver2, application=application)
        return application

    return make


@pytest.fixture
def english():
    """Messages asserted in their English source text, whatever language a request left on."""
    with translation.override("en"):
        yield
