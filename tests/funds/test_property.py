"""A property: after any sequence of income, payments, reversals and refused overdrafts, every
account's balance equals the sum of its entries, the fund never goes below zero, and the
balance is what a simple model of the operations predicts."""

from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funds import services
from funds.models import Account, Payment

amounts = st.decimals(min_value="0.01", max_value="5000.00", places=2)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("income"), amounts),
        st.tuples(st.just("pay"), amounts),
        st.tuples(st.just("reverse_payment"), st.integers(0, 20)),
        st.tuples(st.just("reverse_income"), st.integers(0, 20)),
    ),
    max_size=12,
)


class Rollback(Exception):
    pass


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_balance_equals_the_sum_of_entries_after_any_operations(make_fund, staff, approved, ops):
    try:
        with transaction.atomic():
            _run(make_fund, staff, approved, ops)
            raise Rollback
    except Rollback:
        pass


def _run(make_fund, staff, approved, ops):
    fund = make_fund(code="PROP")
    expected = Decimal("0.00")
    payments, incomes = [], []
    for op, arg in ops:
        try:
            if op == "income":
                incomes.append(
                    services.income_record(
                        by=staff.manager,
                        fund=fund,
                        amount=arg,
                        received_on=services._today(),
                        source="捐赠",
                    )
                )
                expected += arg
            elif op == "pay":
                payment = services.application_pay(
                    by=staff.manager, application=approved(str(arg)), fund=fund
                )
                payments.append(payment)
                expected -= arg
            elif op == "reverse_payment" and payments:
                payment = payments[arg % len(payments)]
                payment = Payment.objects.get(pk=payment.pk)
                services.payment_reverse(by=staff.manager, payment=payment, reason="更正")
                expected += payment.amount
            elif op == "reverse_income" and incomes:
                income = incomes[arg % len(incomes)]
                services.income_reverse(by=staff.manager, income=income, reason="更正")
                expected -= income.amount
        except services.DomainError as refused:
            assert refused.code in {"insufficient_funds", "already_reversed"}
        own = Account.objects.get(fund=fund, kind="fund")
        assert own.balance == expected >= 0
        assert services.reconcile() == []
