"""Aid funds (帮扶资金), the double-entry ledger, aid applications and payments.

What must never happen is refused by the database, whatever path the write takes:

* a ledger entry is never updated or deleted (`append_only` triggers); a mistake is fixed by a
  reversing transaction linked to the original;
* every ledger transaction sums to zero (a deferred constraint trigger checks it at commit);
* a fund's own account never goes below zero: its balance row is moved by a trigger in the
  same transaction as each entry, and a CHECK constraint refuses a negative balance. Writers
  lock that row first, so concurrent payments queue and each sees the last one's result;
* one live payment per application (a partial unique index).

Python (funds/services.py) only explains these rules to the clerk before the database has to.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aidcenter.sync import SyncedRecord, Versioned

MONEY = {"max_digits": 14, "decimal_places": 2}
CENT = Decimal("0.01")


class AidType(models.TextChoices):
    LIVING = "living", _("living aid")
    SCHOOLING = "schooling", _("autumn schooling aid")
    MEDICAL = "medical", _("medical aid")
    HOLIDAY = "holiday", _("holiday condolence visit")
    EMERGENCY = "emergency", _("emergency relief")
    VOUCHER = "voucher", _("supermarket voucher")
    LOAN = "loan", _("interest-free loan")


class PaymentMethod(models.TextChoices):
    BANK = "bank", _("bank transfer")
    CASH = "cash", _("cash")
    VOUCHER = "voucher", _("voucher")


FILE_LEVELS = [
    ("national", _("national")),
    ("provincial", _("provincial")),
    ("city", _("city")),
    ("district", _("district")),
    ("grassroots", _("grassroots")),
]


@pghistory.track()
class Fund(Versioned):
    """An earmarked fund (专款专用) managed by one unit."""

    class SourceKind(models.TextChoices):
        CENTRAL = "central", _("central special fund")
        LOCAL = "local", _("local finance subsidy")
        DONATION = "donation", _("donation")
        ONE_DAY = "one_day", _("one-day donation")
        MUTUAL_AID = "mutual_aid", _("medical mutual-aid surplus")
        UNION_FUNDS = "union_funds", _("union funds allocation")
        REEMPLOYMENT = "reemployment", _("re-employment fund")
        OTHER = "other", _("other")

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        help_text=_("Stable code used by the API, e.g. PT-CENTRAL."),
    )
    name = models.CharField(_("name"), max_length=100)
    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("managing unit"),
    )
    source_kind = models.CharField(_("source"), max_length=16, choices=SourceKind.choices)
    aid_types = ArrayField(
        models.CharField(max_length=12, choices=AidType.choices),
        default=list,
        blank=True,
        verbose_name=_("aid types it may pay"),
        help_text=_("Empty means any aid type."),
    )
    file_levels = ArrayField(
        models.CharField(max_length=12, choices=FILE_LEVELS),
        default=list,
        blank=True,
        verbose_name=_("file levels it may pay"),
        help_text=_("Empty means any level."),
    )
    requires_file = models.BooleanField(
        _("requires a registered household file"),
        default=False,
        help_text=_("Central funds pay only households with a registered file."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta(Versioned.Meta):
        verbose_name = _("fund")
        verbose_name_plural = _("funds")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[A-Z0-9]+(-[A-Z0-9]+)*$"), name="fund_code_form"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def earmark_refusal(self, application: AidApplication, *, fund_unit_ids) -> str | None:
        """Why this fund may not pay this application, in a clerk's words; None if it may."""
        if not self.is_active:
            return _("The fund %(fund)s is closed.") % {"fund": self.name}
        if application.org_unit_id not in fund_unit_ids:
            return _("The fund %(fund)s pays only applications of its own unit and below.") % {
                "fund": self.name
            }
        if self.aid_types and application.aid_type not in self.aid_types:
            return _("The fund %(fund)s may not pay %(type)s.") % {
                "fund": self.name,
                "type": application.get_aid_type_display(),
            }
        worker = application.worker
        if self.requires_file and (worker is None or worker.status != "registered"):
            return _("The fund %(fund)s pays only households with a registered file.") % {
                "fund": self.name
            }
        if self.file_levels and (worker is None or worker.file_level not in self.file_levels):
            labels = dict(FILE_LEVELS)
            return _("The fund %(fund)s pays only files of level %(levels)s.") % {
                "fund": self.name,
                "levels": "、".join(str(labels[level]) for level in self.file_levels),
            }
        return None


class Account(models.Model):
    """One side of the ledger. Each fund has three: its own money, the income it received and
    the aid it paid out. Balances are written by the ledger trigger only."""

    class Kind(models.TextChoices):
        FUND = "fund", _("fund balance")
        INCOME = "income", _("income received")
        AID = "aid", _("aid paid out")

    scope_path = "fund__org_unit"

    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("fund")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    balance = models.DecimalField(_("balance"), default=Decimal("0.00"), editable=False, **MONEY)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            models.UniqueConstraint(fields=["fund", "kind"], name="one_account_per_fund_kind"),
            # 专款专用: an earmarked fund can never go below zero, even when payments race.
            models.CheckConstraint(
                condition=~models.Q(kind="fund") | models.Q(balance__gte=0),
                name="fund_account_never_negative",
            ),
        ]
        triggers = [
            # Only the ledger moves a balance (the trigger below runs one level down).
            pgtrigger.Trigger(
                name="balance_moved_by_ledger_only",
                when=pgtrigger.Before,
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange("balance"),
                func="""
                    IF pg_trigger_depth() < 2 THEN
                        RAISE EXCEPTION 'a balance is moved by ledger entries only'
                            USING ERRCODE = 'integrity_constraint_violation';
                    END IF;
                    RETURN NEW;
                """,
            ),
            pgtrigger.Protect(name="never_deleted", operation=pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.fund.code} · {self.get_kind_display()}"


class LedgerTransaction(models.Model):
    """A movement of money: entries summing to zero, booked on one day, never changed."""

    class Kind(models.TextChoices):
        INCOME = "income", _("income")
        PAYMENT = "payment", _("aid payment")
        REVERSAL = "reversal", _("reversal")

    scope_path = "fund__org_unit"

    id = models.BigAutoField(primary_key=True)
    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="transactions", verbose_name=_("fund")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    aid_type = models.CharField(_("aid type"), max_length=12, choices=AidType.choices, blank=True)
    booked_on = models.DateField(_("booked on"))
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="reversal", reverses__isnull=False)
                | (~models.Q(kind="reversal") & models.Q(reverses__isnull=True)),
                name="reversal_names_its_original",
            )
        ]
        indexes = [models.Index(fields=["fund", "booked_on"], name="ledgertx_fund_day")]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.booked_on}"


class LedgerEntry(models.Model):
    """One line of a transaction: a signed amount on one account (+ in, − out).

    `booked_on`, `kind` and `aid_type` are copied from the transaction by the database on
    insert, so statements read entries alone and the copies can never disagree."""

    scope_path = "transaction__fund__org_unit"

    id = models.BigAutoField(primary_key=True)
    transaction = models.ForeignKey(
        LedgerTransaction,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("transaction"),
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries", verbose_name=_("account")
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    booked_on = models.DateField(_("booked on"), null=True, editable=False)
    kind = models.CharField(_("kind"), max_length=10, blank=True, editable=False)
    aid_type = models.CharField(_("aid type"), max_length=12, blank=True, editable=False)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="entry_not_zero"),
        ]
        indexes = [
            models.Index(
                fields=["account", "booked_on"],
                name="entry_account_day",
                include=["amount", "kind", "aid_type"],
            ),
            models.Index(fields=["transaction"], name="entry_transaction"),
        ]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
            pgtrigger.Trigger(
                name="copy_from_transaction",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert,
                func="""
                    SELECT t.booked_on, t.kind, t.aid_type
                      INTO NEW.booked_on, NEW.kind, NEW.aid_type
                      FROM funds_ledgertransaction t WHERE t.id = NEW.transaction_id;
                    IF NOT EXISTS (
                        SELECT 1 FROM funds_account a JOIN funds_ledgertransaction t
                          ON t.fund_id = a.fund_id
                        WHERE a.id = NEW.account_id AND t.id = NEW.transaction_id) THEN
                        RAISE EXCEPTION 'entry on an account of another fund'
                            USING ERRCODE = 'integrity_constraint_violation';
                    END IF;
                    RETURN NEW;
                """,
            ),
            # The balance row moves in the same transaction; its CHECK refuses an overdraft.
            pgtrigger.Trigger(
                name="move_balance",
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                func="""
                    UPDATE funds_account SET balance = balance + NEW.amount
                     WHERE id = NEW.account_id;
                    RETURN NULL;
                """,
            ),
            # Double entry: checked at commit, when all of a transaction's entries are in.
            pgtrigger.Trigger(
                name="transaction_balances",
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                timing=pgtrigger.Deferred,
                func="""
                    IF (SELECT sum(amount) FROM funds_ledgerentry
                         WHERE transaction_id = NEW.transaction_id) <> 0 THEN
                        RAISE EXCEPTION 'ledger transaction % does not sum to zero',
                            NEW.transaction_id USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NULL;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount}"


@pghistory.track()
class FundIncome(models.Model):
    """Money received into a fund: who gave it, when, how much, the voucher's reference."""

    scope_path = "fund__org_unit"

    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="income", verbose_name=_("fund")
    )
    source = models.CharField(_("source"), max_length=200)
    received_on = models.DateField(_("received on"))
    amount = models.DecimalField(_("amount"), **MONEY)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, related_name="income_record"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("fund income")
        verbose_name_plural = _("fund income")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="income_positive")
        ]

    def __str__(self) -> str:
        return f"{self.fund.code} {self.received_on} {self.amount}"


@pghistory.track()
class FundBudget(models.Model):
    """What a fund plans to spend in a year, compared with actual spending in its statement."""

    scope_path = "fund__org_unit"

    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="budgets", verbose_name=_("fund")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("budget"), **MONEY)

    class Meta:
        verbose_name = _("fund budget")
        verbose_name_plural = _("fund budgets")
        ordering = ["fund", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "year"], name="one_budget_per_fund_year"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="budget_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.fund.code} {self.year}: {self.amount}"


@pghistory.track()
class AidCap(models.Model):
    """The most a household (or a person without a file) may receive of one aid type in a
    year. Set by a unit for itself and every unit below it, like the minimum-living line."""

    scope_path = None  # published rules: every staff user may read them

    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    aid_type = models.CharField(_("aid type"), max_length=12, choices=AidType.choices)
    amount = models.DecimalField(_("yearly cap per household"), **MONEY)

    class Meta:
        verbose_name = _("yearly aid cap")
        verbose_name_plural = _("yearly aid caps")
        constraints = [
            models.UniqueConstraint(
                fields=["org_unit", "year", "aid_type"], name="one_cap_per_unit_year_type"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="cap_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.org_unit} {self.year} {self.get_aid_type_display()}: {self.amount}"


@pghistory.track()
class AidApplication(SyncedRecord):
    """An application for aid for one Person, with their household file when there is one."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        PAID = "paid", _("paid")

    person = models.ForeignKey(
        "cases.Person",
        on_delete=models.PROTECT,
        related_name="aid_applications",
        verbose_name=_("beneficiary"),
    )
    worker = models.ForeignKey(
        "cases.Worker",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="aid_applications",
        verbose_name=_("household file"),
    )
    aid_type = models.CharField(_("aid type"), max_length=12, choices=AidType.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reason = models.TextField(_("reason"), blank=True)
    applied_on = models.DateField(_("applied on"), default=timezone.localdate)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    payment_method = models.CharField(
        _("payment method"), max_length=8, choices=PaymentMethod.choices, default="bank"
    )
    payee_name = models.CharField(_("payee"), max_length=50, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=40, blank=True)
    school = models.CharField(_("school"), max_length=100, blank=True)
    # Medical aid is second-round aid: what insurance and civil affairs left to pay.
    invoice_total = models.DecimalField(
        _("medical invoices total"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    insurance_paid = models.DecimalField(
        _("paid by insurance"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    civil_affairs_paid = models.DecimalField(
        _("paid by civil-affairs aid"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    required_approvals = models.PositiveSmallIntegerField(_("approvals needed"), default=1)
    repeat_in_period = models.BooleanField(
        _("repeat in period"),
        default=False,
        help_text=_("Another application of this type for this household in the same period."),
    )

    class Meta(SyncedRecord.Meta):
        verbose_name = _("aid application")
        verbose_name_plural = _("aid applications")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="application_positive"),
            models.CheckConstraint(
                condition=models.Q(required_approvals__in=[1, 2]), name="one_or_two_approvals"
            ),
        ]
        indexes = [
            models.Index(fields=["org_unit", "status"], name="aidapp_unit_status"),
            models.Index(fields=["person", "aid_type"], name="aidapp_person_type"),
            models.Index(fields=["worker", "aid_type"], name="aidapp_worker_type"),
        ]

    def __str__(self) -> str:
        return f"{self.get_aid_type_display()} {self.amount}（{self.get_status_display()}）"

    @property
    def out_of_pocket(self) -> Decimal | None:
        """Medical aid covers at most what the invoices leave after insurance and civil aid."""
        if self.invoice_total is None:
            return None
        return (
            self.invoice_total - (self.insurance_paid or 0) - (self.civil_affairs_paid or 0)
        ).quantize(CENT)


class Approval(models.Model):
    """One approver's decision on an application, with their opinion. Never changed."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("approved")
        REJECT = "reject", _("rejected")

    scope_path = "application__org_unit"

    application = models.ForeignKey(
        AidApplication, on_delete=models.PROTECT, related_name="approvals"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    opinion = models.TextField(_("opinion"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "by"], name="one_decision_per_approver")
        ]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.by} {self.get_decision_display()}"


@pghistory.track()
class Payment(models.Model):
    """Aid paid out of a fund for one application. Payee data is frozen at payment time."""

    class Status(models.TextChoices):
        PAID = "paid", _("paid")
        REVERSED = "reversed", _("reversed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    application = models.ForeignKey(
        AidApplication,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("application"),
    )
    person = models.ForeignKey(
        "cases.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("beneficiary")
    )
    worker = models.ForeignKey(
        "cases.Worker",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("household file"),
    )
    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="payments", verbose_name=_("fund")
    )
    aid_type = models.CharField(_("aid type"), max_length=12, choices=AidType.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    method = models.CharField(_("payment method"), max_length=8, choices=PaymentMethod.choices)
    payee_name = models.CharField(_("payee"), max_length=50, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=40, blank=True)
    paid_on = models.DateField(_("paid on"))
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    paid_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, related_name="payment"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PAID
    )
    reversal = models.OneToOneField(
        LedgerTransaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_payment",
    )
    failed_transfer = models.BooleanField(_("bank transfer failed"), default=False)
    reversal_reason = models.TextField(_("reason for reversal"), blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reversed by"),
    )
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on", "-paid_at"]
        constraints = [
            # Two clerks clicking "pay" at once: the database lets one payment stand.
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(status="paid"),
                name="one_payment_per_application",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_positive"),
            models.CheckConstraint(
                condition=models.Q(status="paid", reversal__isnull=True)
                | models.Q(status="reversed", reversal__isnull=False),
                name="reversed_payment_has_reversal",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "paid_on"], name="payment_person_day"),
            models.Index(fields=["worker", "aid_type", "paid_on"], name="payment_worker_type"),
            models.Index(fields=["org_unit", "paid_on"], name="payment_unit_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_aid_type_display()} {self.amount} {self.paid_on}"
