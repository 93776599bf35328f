"""The ledger's guarantees hold in the database itself, whatever path a write takes."""

from decimal import Decimal

import pgtrigger
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, ProgrammingError, connection, transaction

from funds import services
from funds.models import Account, LedgerEntry, LedgerTransaction


def _balance(fund) -> Decimal:
    return Account.objects.get(fund=fund, kind="fund").balance


def test_income_books_a_balanced_transaction_and_moves_the_balance(fund, staff):
    income = services.income_record(
        by=staff.manager,
        fund=fund,
        amount="2500.50",
        received_on=services._today(),
        source="一日捐",
        reference="收据 0012",
    )
    entries = list(income.transaction.entries.order_by("account__kind"))
    assert [(e.account.kind, e.amount) for e in entries] == [
        ("fund", Decimal("2500.50")),
        ("income", Decimal("-2500.50")),
    ]
    assert entries[0].booked_on == income.received_on and entries[0].kind == "income"
    assert _balance(fund) == Decimal("12500.50")


def test_update_of_an_entry_is_refused_by_the_database(fund):
    entry = LedgerEntry.objects.filter(account__fund=fund).first()
    with pytest.raises(ProgrammingError, match="append_only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1.00"))
    assert LedgerEntry.objects.get(pk=entry.pk).amount == entry.amount


def test_delete_of_an_entry_or_a_transaction_is_refused_by_the_database(fund):
    entry = LedgerEntry.objects.filter(account__fund=fund).first()
    with (
        pytest.raises(ProgrammingError, match="append_only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM funds_ledgerentry WHERE id = %s", [entry.pk])
    with pytest.raises(ProgrammingError, match="append_only"), transaction.atomic():
        LedgerTransaction.objects.filter(pk=entry.transaction_id).update(memo="改")
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_a_balance_cannot_be_written_except_by_the_ledger(fund):
    with pytest.raises(IntegrityError, match="ledger entries only"), transaction.atomic():
        Account.objects.filter(fund=fund, kind="fund").update(balance=Decimal("99999.00"))
    assert _balance(fund) == Decimal("10000.00")


def test_an_entry_that_would_overdraw_the_fund_is_refused_by_the_check(fund, staff):
    accounts = {a.kind: a for a in Account.objects.filter(fund=fund)}
    tx = LedgerTransaction.objects.create(
        fund=fund,
        kind="payment",
        aid_type="living",
        booked_on=services._today(),
        created_by=staff.manager,
    )
    with pytest.raises(IntegrityError, match="fund_account_never_negative"), transaction.atomic():
        LedgerEntry.objects.create(
            transaction=tx, account=accounts["fund"], amount=Decimal("-10000.01")
        )
    assert _balance(fund) == Decimal("10000.00")


def test_an_entry_on_another_funds_account_is_refused(fund, make_fund, staff):
    other = make_fund(code="PT-OTHER")
    tx = LedgerTransaction.objects.create(
        fund=fund, kind="income", booked_on=services._today(), created_by=staff.manager
    )
    with pytest.raises(IntegrityError, match="another fund"), transaction.atomic():
        LedgerEntry.objects.create(
            transaction=tx, account=Account.objects.get(fund=other, kind="fund"), amount=1
        )


@pytest.mark.django_db(transaction=True)
def test_an_unbalanced_transaction_fails_at_commit(fund, staff):
    own = Account.objects.get(fund=fund, kind="fund")
    before = LedgerTransaction.objects.count()
    with pytest.raises(IntegrityError, match="does not sum to zero"), transaction.atomic():
        tx = LedgerTransaction.objects.create(
            fund=fund, kind="income", booked_on=services._today(), created_by=staff.manager
        )
        # Accepted inside the transaction: the check is deferred to commit.
        LedgerEntry.objects.create(transaction=tx, account=own, amount=Decimal("100.00"))
    assert LedgerTransaction.objects.count() == before
    assert _balance(fund) == Decimal("10000.00")


@pytest.mark.django_db(transaction=True)
def test_a_balanced_transaction_commits(fund, staff):
    accounts = {a.kind: a for a in Account.objects.filter(fund=fund)}
    with transaction.atomic():
        tx = LedgerTransaction.objects.create(
            fund=fund, kind="income", booked_on=services._today(), created_by=staff.manager
        )
        LedgerEntry.objects.create(transaction=tx, account=accounts["fund"], amount=Decimal("7.00"))
        LedgerEntry.objects.create(
            transaction=tx, account=accounts["income"], amount=Decimal("-7.00")
        )
    assert _balance(fund) == Decimal("10007.00")


def test_income_reversal_restores_and_is_linked_to_its_original(fund, staff):
    income = fund.income.get()
    reversal = services.income_reverse(by=staff.manager, income=income, reason="重复录入")
    assert reversal.reverses == income.transaction and reversal.kind == "reversal"
    assert _balance(fund) == Decimal("0.00")
    assert services.reconcile() == []
    with pytest.raises(services.DomainError) as refused:
        services.income_reverse(by=staff.manager, income=income, reason="再次")
    assert refused.value.code == "already_reversed"


def test_income_already_spent_cannot_be_reversed(fund, staff, approved):
    services.application_pay(by=staff.manager, application=approved("600.00"), fund=fund)
    with pytest.raises(services.InsufficientFunds):
        services.income_reverse(by=staff.manager, income=fund.income.get(), reason="错")
    assert _balance(fund) == Decimal("9400.00")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "more than zero"),
        ("-5", "more than zero"),
        ("1.005", "two decimals"),
        ("abc", "amount in yuan"),
        ("NaN", "amount in yuan"),
        ("1e20", "too large"),
    ],
)
def test_bad_income_amounts_are_refused_and_change_nothing(fund, staff, amount, message, english):
    with pytest.raises(services.Invalid, match=message):
        services.income_record(
            by=staff.manager, fund=fund, amount=amount, received_on=services._today(), source="x"
        )
    assert _balance(fund) == Decimal("10000.00")


def test_only_fund_managers_record_income(fund, staff):
    for user in (staff.approver, staff.desk_a, staff.officer, staff.auditor):
        with pytest.raises(services.Refused):
            services.income_record(
                by=user, fund=fund, amount="1", received_on=services._today(), source="x"
            )


def test_reconcile_passes_on_sound_books_and_fails_when_a_balance_drifts(fund, staff):
    call_command("reconcile")  # exits 0
    with pgtrigger.ignore("funds.Account:balance_moved_by_ledger_only"):
        Account.objects.filter(fund=fund, kind="fund").update(balance=Decimal("1.00"))
    assert services.reconcile() == ["PT-AID fund: balance 1.00 but entries sum to 10000.00"]
    with pytest.raises(CommandError):
        call_command("reconcile")
