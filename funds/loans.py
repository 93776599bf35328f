"""Interest-free loans to re-employment leaders, under the lending fund's own rules (amounts
and terms: funds/models.py `Fund.rule_refusal`). A loan is an aid application of type `loan`
paid by `services.application_pay`; paying it opens the loan and its schedule here, and
repayments come back into the fund through the ledger (`services._post`)."""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from aidcenter.errors import DomainError, Invalid, Refused
from aidcenter.roles import Action
from aidcenter.scope import in_scope, scoped
from funds import services
from funds.models import (
    CENT,
    Account,
    AidApplication,
    LedgerTransaction,
    Loan,
    LoanInstalment,
    LoanRepayment,
    Payment,
)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the month's last day when it is shorter."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def schedule(*, principal: Decimal, starts_on: datetime.date, term_months: int, every: int):
    """[(number, due_on, amount)]: equal instalments every `every` months to the term's end,
    the cents left over on the last one."""
    count = max(1, -(-term_months // every))  # ceiling: a short last period still pays
    share = (principal / count).quantize(CENT, rounding="ROUND_DOWN")
    rows = []
    for n in range(1, count + 1):
        due = add_months(starts_on, min(n * every, term_months))
        amount = share if n < count else principal - share * (count - 1)
        rows.append((n, due, amount))
    return rows


def loan_open(*, payment: Payment, application: AidApplication) -> Loan:
    """Called by `application_pay` inside its transaction, once the money has left."""
    fund = payment.fund
    loan = Loan.objects.create(
        org_unit_id=payment.org_unit_id,
        payment=payment,
        fund=fund,
        person_id=payment.person_id,
        principal=payment.amount,
        term_months=application.term_months,
        starts_on=payment.paid_on,
    )
    LoanInstalment.objects.bulk_create(
        LoanInstalment(loan=loan, number=n, due_on=due, amount=amount)
        for n, due, amount in schedule(
            principal=loan.principal,
            starts_on=loan.starts_on,
            term_months=loan.term_months,
            every=fund.loan_instalment_months,
        )
    )
    return loan


def loan_cancel(*, payment: Payment) -> None:
    """A loan payment reversed (the transfer failed, or a mistake): the loan is cancelled —
    refused once anything was repaid, since that money is in the fund already."""
    loan = Loan.objects.select_for_update().filter(payment=payment).first()
    if loan is None:
        return
    if loan.repaid:
        raise DomainError(
            _("Part of this loan was repaid; record the rest as repayments instead."),
            code="loan_repaid",
        )
    loan.status = Loan.Status.CANCELLED
    loan.save(update_fields=["status"])


@transaction.atomic
def loan_repay(*, by, loan: Loan, amount, paid_on: datetime.date | None = None) -> LoanRepayment:
    """Money paid back: + on the fund's account, − on its aid account (the aid lent comes
    back), applied to the oldest instalments first."""
    services._require(by, Action.MANAGE_FUNDS)
    if not in_scope(by, loan.fund.org_unit_id):
        raise Refused(_("This fund is outside your scope."))
    amount = services.money(amount)
    paid_on = paid_on or services._today()
    if paid_on > services._today():
        raise Invalid({"paid_on": [_("Give the date it happened, not a future one.")]})
    services._check_open_year(loan.fund, paid_on, "paid_on")
    # The loan row first, then the fund's accounts (services' lock order): two repayments of
    # one loan queue here and the second sees what the first left outstanding.
    loan = Loan.objects.select_for_update().select_related("fund").get(pk=loan.pk)
    if loan.status != Loan.Status.ACTIVE:
        raise DomainError(
            _("This loan is %(status)s.") % {"status": loan.get_status_display()},
            code="loan_not_active",
        )
    if amount > loan.outstanding:
        raise Invalid(
            {
                "amount": [
                    _("Only %(left)s is still owed.") % {"left": services.yuan(loan.outstanding)}
                ]
            }
        )
    accounts = services._lock_accounts(loan.fund)
    tx = services._post(
        by=by,
        fund=loan.fund,
        kind=LedgerTransaction.Kind.REPAYMENT,
        booked_on=paid_on,
        aid_type="loan",
        memo=str(loan.pk),
        lines=[(accounts[Account.Kind.FUND], amount), (accounts[Account.Kind.AID], -amount)],
    )
    repayment = LoanRepayment.objects.create(
        loan=loan, amount=amount, paid_on=paid_on, transaction=tx, recorded_by=by
    )
    left = amount
    for instalment in loan.instalments.filter(paid__lt=F("amount")).order_by("number"):
        part = min(left, instalment.amount - instalment.paid)
        instalment.paid += part
        instalment.save(update_fields=["paid"])
        left -= part
        if not left:
            break
    loan.repaid += amount
    if loan.repaid == loan.principal:
        loan.status = Loan.Status.REPAID
    loan.save(update_fields=["repaid", "status"])
    return repayment


def overdue_instalments(*, user, on: datetime.date | None = None) -> QuerySet:
    """Instalments of active loans in scope due before `on` (today) and not fully paid."""
    on = on or services._today()
    return (
        scoped(user, LoanInstalment)
        .filter(loan__status=Loan.Status.ACTIVE, due_on__lt=on, paid__lt=F("amount"))
        .select_related("loan__person", "loan__fund", "loan__org_unit")
        .order_by("due_on", "loan_id", "number")
    )
