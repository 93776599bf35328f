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
    # Not in API.md's first list: the fee subsidy of a completed training class (issue 7),
    # paid like any aid, through an application, its approvals and the ledger.
    TRAINING = "training", _("skills training subsidy")


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
    # The fund's own rules (Funds II): who its campaigns reach, how much one payment may be,
    # what share of medical out-of-pocket costs it covers, and what it lends on what terms.
    campaign_migrants = models.BooleanField(
        _("campaigns include migrant workers"),
        default=False,
        help_text=_("Holiday visits also reach registered households headed by migrant workers."),
    )
    campaign_model_workers = models.BooleanField(
        _("campaigns include model workers"),
        default=False,
        help_text=_("Holiday visits also reach registered households of model workers."),
    )
    max_per_payment = models.DecimalField(
        _("most per payment"), null=True, blank=True, max_digits=12, decimal_places=2
    )
    medical_share = models.PositiveSmallIntegerField(
        _("share of out-of-pocket medical costs covered (%)"),
        null=True,
        blank=True,
        help_text=_("Empty means the whole out-of-pocket amount."),
    )
    loan_min = models.DecimalField(
        _("smallest loan"), null=True, blank=True, max_digits=12, decimal_places=2
    )
    loan_max = models.DecimalField(
        _("largest loan"), null=True, blank=True, max_digits=12, decimal_places=2
    )
    loan_max_hiring = models.DecimalField(
        _("largest loan to a leader hiring laid-off workers"),
        null=True,
        blank=True,
        max_digits=12,
        decimal_places=2,
    )
    loan_min_months = models.PositiveSmallIntegerField(_("shortest loan term (months)"), default=12)
    loan_max_months = models.PositiveSmallIntegerField(_("longest loan term (months)"), default=36)
    loan_instalment_months = models.PositiveSmallIntegerField(
        _("months between loan instalments"), default=3
    )

    class Meta(Versioned.Meta):
        verbose_name = _("fund")
        verbose_name_plural = _("funds")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[A-Z0-9]+(-[A-Z0-9]+)*$"), name="fund_code_form"
            ),
            models.CheckConstraint(
                condition=models.Q(medical_share__isnull=True)
                | models.Q(medical_share__gte=1, medical_share__lte=100),
                name="fund_medical_share_percent",
            ),
            models.CheckConstraint(
                condition=models.Q(loan_min_months__gte=1)
                & models.Q(loan_max_months__gte=models.F("loan_min_months"))
                & models.Q(loan_instalment_months__gte=1),
                name="fund_loan_terms_sane",
            ),
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
        return self.rule_refusal(application)

    def rule_refusal(self, application: AidApplication) -> str | None:
        """The fund's own rules on the amount: per payment, medical share, loan terms."""
        amount = application.amount
        if self.max_per_payment is not None and amount > self.max_per_payment:
            return _("The fund %(fund)s pays at most %(max)s at a time.") % {
                "fund": self.name,
                "max": f"¥{self.max_per_payment:,.2f}",
            }
        if application.aid_type == AidType.MEDICAL and self.medical_share is not None:
            pocket = application.out_of_pocket
            if pocket is None:
                return _("Medical aid needs the invoices' total.")
            most = (pocket * self.medical_share / 100).quantize(CENT)
            if amount > most:
                return _(
                    "The fund %(fund)s covers %(share)s%% of the out-of-pocket costs: at most "
                    "%(most)s."
                ) % {"fund": self.name, "share": self.medical_share, "most": f"¥{most:,.2f}"}
        if application.aid_type == AidType.LOAN:
            months = application.term_months or 0
            if not self.loan_min_months <= months <= self.loan_max_months:
                return _("The fund %(fund)s lends for %(min)s to %(max)s months.") % {
                    "fund": self.name,
                    "min": self.loan_min_months,
                    "max": self.loan_max_months,
                }
            most = self.loan_max_hiring if application.hires_laid_off else self.loan_max
            most = most if most is not None else self.loan_max
            if (self.loan_min is not None and amount < self.loan_min) or (
                most is not None and amount > most
            ):
                return _("The fund %(fund)s lends between %(min)s and %(max)s.") % {
                    "fund": self.name,
                    "min": f"¥{self.loan_min or 0:,.2f}",
                    "max": f"¥{most:,.2f}" if most is not None else "—",
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
        REPAYMENT = "repayment", _("loan repayment")

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
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
            # 决算: a closed year's books are final; corrections are booked in a later year.
            pgtrigger.Trigger(
                name="refuse_closed_year",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert,
                func="""
                    IF EXISTS (SELECT 1 FROM funds_closedyear c
                                WHERE c.fund_id = NEW.fund_id
                                  AND c.year = extract(year FROM NEW.booked_on)) THEN
                        RAISE EXCEPTION 'the year % of this fund is closed',
                            extract(year FROM NEW.booked_on)
                            USING ERRCODE = 'integrity_constraint_violation';
                    END IF;
                    RETURN NEW;
                """,
            ),
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
    aid_type = models.CharField(
        _("aid type"),
        max_length=12,
        choices=AidType.choices,
        blank=True,
        default="",
        help_text=_("Empty: the fund's whole budget for the year."),
    )
    amount = models.DecimalField(_("budget"), **MONEY)

    class Meta:
        verbose_name = _("fund budget")
        verbose_name_plural = _("fund budgets")
        ordering = ["fund", "-year", "aid_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["fund", "year", "aid_type"], name="one_budget_per_fund_year_type"
            ),
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
    # Autumn schooling aid (金秋助学) is per child, one grant per child per year.
    child = models.ForeignKey(
        "cases.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schooling_applications",
        verbose_name=_("child"),
    )
    grade = models.CharField(_("grade"), max_length=40, blank=True)
    school_year = models.PositiveSmallIntegerField(_("campaign year"), null=True, blank=True)
    duplicate_elsewhere = models.BooleanField(
        _("possible duplicate in another unit"),
        default=False,
        help_text=_("A child of the same name and birth date applied in another unit this year."),
    )
    # Interest-free loans: the term asked for and whether the leader hires laid-off workers.
    term_months = models.PositiveSmallIntegerField(_("loan term (months)"), null=True, blank=True)
    hires_laid_off = models.BooleanField(_("hires laid-off workers"), default=False)
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
            # Two clerks (or two units) submitting the same child at once: one grant stands.
            models.UniqueConstraint(
                fields=["child", "school_year"],
                condition=models.Q(
                    aid_type="schooling",
                    status__in=["submitted", "approved", "paid"],
                    deleted_at__isnull=True,
                ),
                name="one_schooling_grant_per_child_year",
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


# --- Funds II: documents, campaign batches, bank files, loans, the closed year ---------------
def aid_document_path(instance, filename: str) -> str:
    # Random names: the stored path reveals neither the person nor the original file name.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"aid-documents/{instance.application_id}/{uuid.uuid4().hex}.{suffix}"


@pghistory.track()
class AidDocument(models.Model):
    """A document behind an application (an admission letter, a medical invoice), kept under
    PRIVATE_ROOT and listed in the audit pack."""

    class Kind(models.TextChoices):
        ADMISSION_LETTER = "admission", _("admission letter")
        INVOICE = "invoice", _("medical invoice")
        OTHER = "other", _("other aid document")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    application = models.ForeignKey(
        AidApplication,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("application"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=aid_document_path)
    original_name = models.CharField(_("original file name"), max_length=200)
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("aid document")
        verbose_name_plural = _("aid documents")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name}"


@pghistory.track()
class AidBatch(models.Model):
    """A campaign (送温暖 before the Spring Festival, a month's supermarket vouchers): built from
    a rule over the registry, reviewed, frozen when approved, paid in one go."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("holiday condolence visit")
        VOUCHER = "voucher", _("supermarket voucher")

    class Status(models.TextChoices):
        DRAFT = "draft", _("under review")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        QUEUED = "queued", _("queued for payment")
        PAID = "paid", _("paid")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unit covered"),
        help_text=_("Files kept by this unit and every unit below it."),
    )
    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="batches", verbose_name=_("fund")
    )
    kind = models.CharField(_("campaign"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    amount = models.DecimalField(_("amount per household"), max_digits=12, decimal_places=2)
    month = models.DateField(
        _("for the month of"), help_text=_("The campaign's month (its first day).")
    )
    method = models.CharField(
        _("payment method"), max_length=8, choices=PaymentMethod.choices, default="cash"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    built_at = models.DateTimeField(_("built at"), default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    opinion = models.TextField(_("opinion"), blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("paid by"),
    )
    last_error = models.TextField(_("last payment error"), blank=True)

    class Meta:
        verbose_name = _("campaign batch")
        verbose_name_plural = _("campaign batches")
        ordering = ["-built_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="batch_amount_positive"),
            models.CheckConstraint(
                condition=~models.Q(method="bank"), name="batch_paid_in_cash_or_vouchers"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_status_display()}）"


@pghistory.track()
class BatchLine(models.Model):
    """One household in a batch, frozen when the batch is approved: the amount and payee are
    the line's, whatever happens to the file later."""

    class Reason(models.TextChoices):
        DEEP = "deep", _("deep hardship")
        MIGRANT = "migrant", _("migrant worker")
        MODEL = "model", _("model worker")

    batch = models.ForeignKey(
        AidBatch, on_delete=models.PROTECT, related_name="lines", verbose_name=_("batch")
    )
    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    worker = models.ForeignKey(
        "cases.Worker", on_delete=models.PROTECT, related_name="+", verbose_name=_("household file")
    )
    person = models.ForeignKey(
        "cases.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("beneficiary")
    )
    payee_name = models.CharField(_("payee"), max_length=50)
    reason = models.CharField(_("why included"), max_length=8, choices=Reason.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    application = models.OneToOneField(
        AidApplication,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="batch_line",
        verbose_name=_("application"),
    )

    class Meta:
        verbose_name = _("batch line")
        verbose_name_plural = _("batch lines")
        ordering = ["batch", "id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "worker"], name="one_line_per_file_in_batch"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="line_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.payee_name} {self.amount}"


class BatchRun(models.Model):
    """One attempt to pay a batch, written outside the paying transaction so that its progress
    shows while the payments are made and its failure survives their roll-back."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("all paid")
        FAILED = "failed", _("failed")

    scope_path = "batch__fund__org_unit"

    batch = models.ForeignKey(
        AidBatch, on_delete=models.PROTECT, related_name="runs", verbose_name=_("batch")
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("lines"), default=0)
    done = models.PositiveIntegerField(_("lines paid"), default=0)
    error = models.TextField(_("error"), blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("batch payment run")
        verbose_name_plural = _("batch payment runs")
        ordering = ["-queued_at"]

    def __str__(self) -> str:
        return f"{self.batch} {self.done}/{self.total}"


@pghistory.track()
class BankFile(models.Model):
    """Bank transfers sent to the bank as one file, and the results it sent back."""

    class Status(models.TextChoices):
        SENT = "sent", _("sent to the bank")
        SETTLED = "settled", _("results received")

    scope_path = "fund__org_unit"

    id = models.BigAutoField(primary_key=True)
    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="bank_files", verbose_name=_("fund")
    )
    layout = models.CharField(_("layout"), max_length=40)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default="sent")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    settled_at = models.DateTimeField(_("results received at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bank file")
        verbose_name_plural = _("bank files")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.fund.code}-{self.pk:06d}"


@pghistory.track()
class BankFileLine(models.Model):
    """One transfer in a bank file. A payment leaves in one file only."""

    class Result(models.TextChoices):
        PENDING = "pending", _("waiting for the bank")
        DONE = "done", _("transfer done")
        FAILED = "failed", _("transfer failed")

    scope_path = "bank_file__fund__org_unit"

    bank_file = models.ForeignKey(
        BankFile, on_delete=models.PROTECT, related_name="lines", verbose_name=_("bank file")
    )
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, related_name="bank_line", verbose_name=_("payment")
    )
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    result = models.CharField(
        _("transfer result"), max_length=8, choices=Result.choices, default="pending"
    )
    message = models.CharField(_("bank's message"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("bank file line")
        verbose_name_plural = _("bank file lines")
        ordering = ["bank_file", "id"]

    def __str__(self) -> str:
        return self.reference


@pghistory.track()
class Loan(models.Model):
    """An interest-free loan paid out through an application, repaid on a schedule back into
    the fund that lent it."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("being repaid")
        REPAID = "repaid", _("repaid")
        CANCELLED = "cancelled", _("cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, related_name="loan", verbose_name=_("payment")
    )
    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="loans", verbose_name=_("fund")
    )
    person = models.ForeignKey(
        "cases.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("borrower")
    )
    principal = models.DecimalField(_("principal"), **MONEY)
    repaid = models.DecimalField(_("repaid"), default=Decimal("0.00"), **MONEY)
    term_months = models.PositiveSmallIntegerField(_("term (months)"))
    starts_on = models.DateField(_("lent on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="active")

    class Meta:
        verbose_name = _("interest-free loan")
        verbose_name_plural = _("interest-free loans")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(repaid__gte=0, repaid__lte=models.F("principal")),
                name="loan_repaid_within_principal",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.principal}"

    @property
    def outstanding(self) -> Decimal:
        return self.principal - self.repaid


@pghistory.track()
class LoanInstalment(models.Model):
    scope_path = "loan__org_unit"

    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="instalments", verbose_name=_("loan")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    due_on = models.DateField(_("due on"))
    amount = models.DecimalField(_("amount due"), **MONEY)
    paid = models.DecimalField(_("paid"), default=Decimal("0.00"), **MONEY)

    class Meta:
        verbose_name = _("loan instalment")
        verbose_name_plural = _("loan instalments")
        ordering = ["loan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "number"], name="one_instalment_number"),
            models.CheckConstraint(
                condition=models.Q(paid__gte=0, paid__lte=models.F("amount")),
                name="instalment_paid_within_due",
            ),
        ]
        indexes = [models.Index(fields=["due_on"], name="instalment_due")]

    def __str__(self) -> str:
        return f"{self.number}: {self.due_on} {self.amount}"


class LoanRepayment(models.Model):
    """Money a borrower paid back: one ledger transaction into the fund."""

    scope_path = "loan__org_unit"

    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="repayments", verbose_name=_("loan")
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    paid_on = models.DateField(_("paid on"))
    transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, related_name="repayment"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )

    class Meta:
        verbose_name = _("loan repayment")
        verbose_name_plural = _("loan repayments")
        ordering = ["paid_on", "id"]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.paid_on} {self.amount}"


class ClosedYear(models.Model):
    """A fund's closed year (决算). The ledger refuses any transaction booked in it."""

    scope_path = "fund__org_unit"

    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="closed_years", verbose_name=_("fund")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    closing_balance = models.DecimalField(_("closing balance"), **MONEY)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    closed_at = models.DateTimeField(_("closed at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("closed year")
        verbose_name_plural = _("closed years")
        ordering = ["fund", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "year"], name="one_close_per_fund_year")
        ]
        triggers = [
            pgtrigger.Protect(name="never_reopened", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.fund.code} {self.year}"
