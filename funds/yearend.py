"""The year's accounts (决算): budget against actual per fund and aid type, closing a fund's
year (the ledger then refuses any transaction booked in it; later corrections are booked in
the following year), and the auditors' pack."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from aidcenter.errors import DomainError, Invalid, Refused
from aidcenter.roles import Action
from aidcenter.scope import in_scope
from funds import services
from funds.models import AidType, ClosedYear, Fund, FundBudget

ZERO = Decimal("0.00")


@dataclass
class BudgetLine:
    aid_type: str  # "" for the fund as a whole
    budget: Decimal | None
    paid: Decimal
    returned: Decimal
    spent: Decimal

    @property
    def left(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.spent


def budget_report(*, fund: Fund, year: int) -> list[BudgetLine]:
    """One line per aid type budgeted or paid in the year, then the fund's total."""
    start, end = services.year_range(year)
    statement = services.fund_statement(fund=fund, date_from=start, date_to=end)
    budgets = dict(
        FundBudget.objects.filter(fund=fund, year=year).values_list("aid_type", "amount")
    )
    types = sorted(
        ({t for t in budgets if t} | set(statement.paid_by_type) | set(statement.returned_by_type)),
        key=AidType.values.index,
    )
    lines = []
    for aid_type in types:
        paid = statement.paid_by_type.get(aid_type, ZERO)
        returned = statement.returned_by_type.get(aid_type, ZERO)
        if aid_type == AidType.LOAN:
            returned += statement.repaid
        lines.append(BudgetLine(aid_type, budgets.get(aid_type), paid, returned, paid - returned))
    lines.append(
        BudgetLine(
            "",
            budgets.get(""),
            statement.paid,
            statement.returned + statement.repaid,
            statement.spent,
        )
    )
    return lines


@transaction.atomic
def year_close(*, by, fund: Fund, year: int) -> ClosedYear:
    """Close a finished year of a fund. Takes the fund's account locks first, so a payment
    being booked into that year either commits before the close or is refused after it."""
    services._require(by, Action.MANAGE_FUNDS)
    if not in_scope(by, fund.org_unit_id):
        raise Refused(_("This fund is outside your scope."))
    if year >= services._today().year:
        raise Invalid({"year": [_("Only a year that has ended can be closed.")]})
    services._lock_accounts(fund)
    if services.year_closed(fund.pk, year):
        raise DomainError(_("This year is closed already."), code="year_closed")
    start, end = services.year_range(year)
    statement = services.fund_statement(fund=fund, date_from=start, date_to=end)
    return ClosedYear.objects.create(
        fund=fund, year=year, closing_balance=statement.closing, closed_by=by
    )


def closed_years(fund: Fund) -> list[int]:
    return list(fund.closed_years.values_list("year", flat=True))


def audit_pack(*, user, year: int) -> bytes:
    """The auditors' .xlsx for the funds in the user's scope: its totals are the ledger's."""
    from django.db.models import Prefetch

    from aidcenter.scope import scoped
    from funds import exports
    from funds.models import Approval, Payment

    start, end = services.year_range(year)
    funds = list(scoped(user, Fund).order_by("code"))
    closed = set(
        ClosedYear.objects.filter(fund__in=funds, year=year).values_list("fund_id", flat=True)
    )
    statements = [
        (services.fund_statement(fund=f, date_from=start, date_to=end), f.pk in closed)
        for f in funds
    ]
    budgets = [(f, budget_report(fund=f, year=year)) for f in funds]
    base = Payment.objects.filter(fund__in=funds).select_related(
        "fund", "org_unit", "person", "reversal"
    )
    payments = (
        base.filter(paid_on__range=(start, end))
        .prefetch_related(
            Prefetch("application__approvals", queryset=Approval.objects.select_related("by")),
            "application__documents",
        )
        .select_related("application")
        .order_by("paid_on", "paid_at")
    )
    reversals = base.filter(reversal__booked_on__range=(start, end)).order_by(
        "reversal__booked_on", "reversed_at"
    )
    return exports.audit_pack_xlsx(
        statements=statements, budgets=budgets, payments=payments, reversals=reversals, year=year
    )
