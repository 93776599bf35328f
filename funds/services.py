"""Operations on funds, the ledger, aid applications and payments: keyword-only, atomic,
raising domain errors that the API, the admin and the pages each translate.

Locks are always taken in one order, so two operations never wait on each other in a circle:
application row → payment row → (loan row) → the household's cap lock → the fund's own account
row. A campaign batch takes every lock of one kind for all its lines before the next kind.
The database refuses what must never happen (funds/models.py); these functions explain it.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aidcenter import uploads
from aidcenter.errors import DomainError, Invalid, Refused
from aidcenter.models import OrgUnit
from aidcenter.roles import Action, can
from aidcenter.scope import in_scope, scoped, subtree_ids
from funds.models import (
    CENT,
    Account,
    AidApplication,
    AidCap,
    AidType,
    Approval,
    BatchLine,
    ClosedYear,
    Fund,
    FundBudget,
    FundIncome,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    PaymentMethod,
)

Status = AidApplication.Status
# Above this amount an application needs a second approver (DESIGN.md "funds/").
DEFAULT_SECOND_APPROVAL_ABOVE = Decimal("5000.00")
MAX_AMOUNT = Decimal("9999999999.99")


class InsufficientFunds(DomainError):
    code = "insufficient_funds"


def _require(user, action: str) -> None:
    if not can(user, action):
        raise Refused(_("Your role may not do this."))


def _today() -> datetime.date:
    return timezone.localdate()  # Asia/Shanghai


def yuan(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


def money(value, *, field_name: str = "amount", allow_zero: bool = False) -> Decimal:
    """A positive amount of yuan with at most two decimals, or Invalid with a clear message."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise Invalid({field_name: [_("Enter an amount in yuan, e.g. 1500.00.")]}) from None
    if not amount.is_finite():
        raise Invalid({field_name: [_("Enter an amount in yuan, e.g. 1500.00.")]})
    if amount != amount.quantize(CENT):
        raise Invalid({field_name: [_("An amount has at most two decimals (fen).")]})
    if amount < 0 and allow_zero:
        raise Invalid({field_name: [_("An amount cannot be negative.")]})
    if amount <= 0 and not allow_zero:
        raise Invalid({field_name: [_("The amount must be more than zero.")]})
    if amount > MAX_AMOUNT:
        raise Invalid({field_name: [_("The amount is too large.")]})
    return amount.quantize(CENT)


def second_approval_above() -> Decimal:
    return Decimal(
        str(getattr(settings, "AID_SECOND_APPROVAL_ABOVE", DEFAULT_SECOND_APPROVAL_ABOVE))
    )


def schooling_window() -> tuple[tuple[int, int], tuple[int, int]]:
    """The autumn schooling campaign's (month, day) from and to, July–September by default."""
    start, end = getattr(settings, "FUNDS_SCHOOLING_WINDOW", ((7, 1), (9, 30)))
    return tuple(start), tuple(end)


def schooling_open(day: datetime.date) -> bool:
    start, end = schooling_window()
    return start <= (day.month, day.day) <= end


def year_closed(fund_id: int, year: int) -> bool:
    return ClosedYear.objects.filter(fund_id=fund_id, year=year).exists()


def _check_open_year(fund: Fund, day: datetime.date, field_name: str) -> None:
    if year_closed(fund.pk, day.year):
        raise Invalid(
            {
                field_name: [
                    _("The year %(year)s of the fund %(fund)s is closed; book it in an open year.")
                    % {"year": day.year, "fund": fund.name}
                ]
            }
        )


# --- Funds ----------------------------------------------------------------------------------
def _check_earmark_lists(aid_types, file_levels) -> None:
    unknown = [t for t in aid_types if t not in AidType.values]
    if unknown:
        raise Invalid({"aid_types": [_("Unknown aid type: %(t)s") % {"t": unknown[0]}]})
    levels = {"national", "provincial", "city", "district", "grassroots"}
    unknown = [t for t in file_levels if t not in levels]
    if unknown:
        raise Invalid({"file_levels": [_("Unknown file level: %(t)s") % {"t": unknown[0]}]})


FUND_FIELDS = ("name", "source_kind", "aid_types", "file_levels", "requires_file", "is_active")
FUND_RULES = (
    "campaign_migrants",
    "campaign_model_workers",
    "max_per_payment",
    "medical_share",
    "loan_min",
    "loan_max",
    "loan_max_hiring",
    "loan_min_months",
    "loan_max_months",
    "loan_instalment_months",
)


MONEY_RULES = ("max_per_payment", "loan_min", "loan_max", "loan_max_hiring")


def _clean_rules(rules: dict) -> dict:
    return {
        name: (
            money(value, field_name=name)
            if name in MONEY_RULES and value not in (None, "")
            else (None if name in MONEY_RULES else value)
        )
        for name, value in rules.items()
    }


@transaction.atomic
def fund_create(
    *,
    by,
    org_unit: OrgUnit,
    code: str,
    name: str,
    source_kind: str,
    aid_types: list[str] | tuple = (),
    file_levels: list[str] | tuple = (),
    requires_file: bool = False,
    **rules,
) -> Fund:
    """A new fund with its three ledger accounts (its money, income received, aid paid), and
    optionally its own rules (FUND_RULES: campaigns, medical share, loan terms)."""
    _require(by, Action.ADMINISTER)
    if not in_scope(by, org_unit.pk):
        raise Refused(_("This unit is outside your scope."))
    if source_kind not in Fund.SourceKind.values:
        raise Invalid({"source_kind": [_("Choose one of the listed sources.")]})
    _check_earmark_lists(aid_types, file_levels)
    code = (code or "").strip().upper()
    if Fund.objects.filter(code=code).exists():
        raise DomainError(_("A fund with this code exists already."), code="duplicate_code")
    fund = Fund(
        org_unit=org_unit,
        code=code,
        name=name,
        source_kind=source_kind,
        aid_types=sorted(set(aid_types)),
        file_levels=sorted(set(file_levels)),
        requires_file=requires_file,
    )
    unknown = set(rules) - set(FUND_RULES)
    if unknown:
        raise TypeError(f"unknown fund rules: {sorted(unknown)}")
    for name, value in _clean_rules(rules).items():
        setattr(fund, name, value)
    try:
        with transaction.atomic():
            fund.save()
    except IntegrityError as exc:
        if "fund_code_form" in str(exc):
            raise Invalid({"code": [_("Use A–Z, 0–9 and hyphens.")]}) from None
        raise Invalid({"loan_max_months": [_("Check the fund's loan terms and shares.")]}) from None
    Account.objects.bulk_create([Account(fund=fund, kind=kind) for kind in Account.Kind.values])
    return fund


@transaction.atomic
def fund_update(*, by, fund: Fund, data: dict) -> Fund:
    """Change a fund's name or earmark. Only fund managers and admins, in scope."""
    if not (can(by, Action.MANAGE_FUNDS) or can(by, Action.ADMINISTER)):
        raise Refused(_("Your role may not do this."))
    if not in_scope(by, fund.org_unit_id):
        raise Refused(_("This fund is outside your scope."))
    _check_earmark_lists(data.get("aid_types", ()), data.get("file_levels", ()))
    data = {**data, **_clean_rules({k: v for k, v in data.items() if k in FUND_RULES})}
    for name in (*FUND_FIELDS, *FUND_RULES):
        if name in data:
            setattr(fund, name, data[name])
    try:
        with transaction.atomic():
            fund.save()
    except IntegrityError:
        raise Invalid({"loan_max_months": [_("Check the fund's loan terms and shares.")]}) from None
    return fund


def fund_balances(funds) -> dict[int, Decimal]:
    """Fund id → balance of its own account, in one query."""
    ids = [f.pk for f in funds]
    return dict(
        Account.objects.filter(fund_id__in=ids, kind=Account.Kind.FUND).values_list(
            "fund_id", "balance"
        )
    )


@transaction.atomic
def budget_set(*, by, fund: Fund, year: int, amount, aid_type: str = "") -> FundBudget:
    """The fund's budget for a year, as a whole (no aid type) or for one aid type."""
    _require(by, Action.MANAGE_FUNDS)
    if not in_scope(by, fund.org_unit_id):
        raise Refused(_("This fund is outside your scope."))
    if aid_type and aid_type not in AidType.values:
        raise Invalid({"aid_type": [_("Choose one of the listed aid types.")]})
    budget, _created = FundBudget.objects.update_or_create(
        fund=fund, year=year, aid_type=aid_type or "", defaults={"amount": money(amount)}
    )
    return budget


# --- The ledger -----------------------------------------------------------------------------
def _lock_accounts(fund: Fund) -> dict[str, Account]:
    # Every writer of a fund locks its accounts (in id order) before reading the balance, so
    # concurrent payments queue here and each sees the balance the previous one left.
    return {a.kind: a for a in Account.objects.select_for_update().filter(fund=fund).order_by("id")}


def _post(
    *,
    by,
    fund: Fund,
    kind: str,
    booked_on: datetime.date,
    lines: list[tuple[Account, Decimal]],
    memo: str = "",
    aid_type: str = "",
    reverses: LedgerTransaction | None = None,
) -> LedgerTransaction:
    """Book one transaction. The database checks it sums to zero at commit and that the
    fund's account stays at or above zero."""
    try:
        tx = LedgerTransaction.objects.create(
            fund=fund,
            kind=kind,
            aid_type=aid_type,
            booked_on=booked_on,
            memo=memo[:200],
            reverses=reverses,
            created_by=by,
        )
    except IntegrityError as exc:  # refuse_closed_year: the year was closed meanwhile
        if "is closed" in str(exc):
            raise DomainError(
                _("The year %(year)s of the fund %(fund)s is closed.")
                % {"year": booked_on.year, "fund": fund.name},
                code="year_closed",
            ) from None
        raise
    # Accounts in id order: two transactions never take balance-row locks in opposite orders.
    entries = [
        LedgerEntry(transaction=tx, account=account, amount=amount)
        for account, amount in sorted(lines, key=lambda line: line[0].pk)
    ]
    # No savepoint: on a refusal the caller's atomic block rolls the whole operation back.
    try:
        LedgerEntry.objects.bulk_create(entries)
    except IntegrityError as exc:
        if "fund_account_never_negative" in str(exc):
            raise InsufficientFunds(
                _("The fund %(fund)s does not hold enough money for this.") % {"fund": fund.name}
            ) from None
        raise
    return tx


@transaction.atomic
def income_record(
    *,
    by,
    fund: Fund,
    amount,
    received_on: datetime.date,
    source: str,
    reference: str = "",
) -> FundIncome:
    """Money received into a fund: + on the fund's account, − on its income account."""
    _require(by, Action.MANAGE_FUNDS)
    if not in_scope(by, fund.org_unit_id):
        raise Refused(_("This fund is outside your scope."))
    amount = money(amount)
    if not (source or "").strip():
        raise Invalid({"source": [_("Say where the money came from.")]})
    if received_on is None or received_on > _today():
        raise Invalid({"received_on": [_("Give the date it happened, not a future one.")]})
    if not fund.is_active:
        raise DomainError(_("The fund %(fund)s is closed.") % {"fund": fund.name}, code="closed")
    _check_open_year(fund, received_on, "received_on")
    accounts = _lock_accounts(fund)
    own = accounts[Account.Kind.FUND]
    tx = _post(
        by=by,
        fund=fund,
        kind=LedgerTransaction.Kind.INCOME,
        booked_on=received_on,
        memo=source.strip(),
        lines=[(own, amount), (accounts[Account.Kind.INCOME], -amount)],
    )
    return FundIncome.objects.create(
        fund=fund,
        source=source.strip(),
        received_on=received_on,
        amount=amount,
        reference=reference,
        transaction=tx,
        recorded_by=by,
    )


def _reverse(*, by, original: LedgerTransaction, on: datetime.date, memo: str) -> LedgerTransaction:
    if LedgerTransaction.objects.filter(reverses=original).exists():
        raise DomainError(_("This was reversed already."), code="already_reversed")
    lines = [(e.account, -e.amount) for e in original.entries.select_related("account")]
    return _post(
        by=by,
        fund=original.fund,
        kind=LedgerTransaction.Kind.REVERSAL,
        booked_on=on,
        memo=memo,
        aid_type=original.aid_type,
        reverses=original,
        lines=lines,
    )


@transaction.atomic
def income_reverse(*, by, income: FundIncome, reason: str) -> LedgerTransaction:
    """A mistaken income record is corrected by a reversing transaction (refused if the money
    was spent meanwhile: the fund may not go below zero)."""
    _require(by, Action.MANAGE_FUNDS)
    if not in_scope(by, income.fund.org_unit_id):
        raise Refused(_("This fund is outside your scope."))
    if not (reason or "").strip():
        raise Invalid({"reason": [_("Say why it is reversed.")]})
    _lock_accounts(income.fund)
    return _reverse(by=by, original=income.transaction, on=_today(), memo=reason.strip())


# --- Aid applications -----------------------------------------------------------------------
APPLICATION_FIELDS = (
    "aid_type",
    "amount",
    "reason",
    "applied_on",
    "payment_method",
    "payee_name",
    "bank_name",
    "bank_account",
    "school",
    "grade",
    "invoice_total",
    "insurance_paid",
    "civil_affairs_paid",
    "term_months",
    "hires_laid_off",
)


def _belongs_to(person, worker) -> bool:
    return (
        worker.person_id == person.pk
        or worker.members.filter(person=person, deleted_at__isnull=True).exists()
    )


def _clean_application(data: dict, *, person, worker) -> dict:
    clean = {k: data[k] for k in APPLICATION_FIELDS if k in data}
    if "aid_type" in clean and clean["aid_type"] not in AidType.values:
        raise Invalid({"aid_type": [_("Choose one of the listed aid types.")]})
    if "payment_method" in clean and clean["payment_method"] not in PaymentMethod.values:
        raise Invalid({"payment_method": [_("Choose one of the listed payment methods.")]})
    if "amount" in clean:
        clean["amount"] = money(clean["amount"])
    for name in ("invoice_total", "insurance_paid", "civil_affairs_paid"):
        if clean.get(name) not in (None, ""):
            clean[name] = money(clean[name], field_name=name, allow_zero=True)
        elif name in clean:
            clean[name] = None
    if "bank_account" in clean:
        account = (clean["bank_account"] or "").replace(" ", "")
        if _is_masked_account(account):
            del clean["bank_account"]  # a masked value sent back is never stored
        elif account and not account.isdigit():
            raise Invalid({"bank_account": [_("A bank account number has digits only.")]})
        else:
            clean["bank_account"] = account
    if worker is not None and not _belongs_to(person, worker):
        raise Invalid({"worker": [_("The person is not in this household file.")]})
    if clean.get("term_months") in ("", None):
        clean.pop("term_months", None)
    elif "term_months" in clean:
        try:
            clean["term_months"] = int(clean["term_months"])
        except (TypeError, ValueError):
            clean["term_months"] = 0
        if not 1 <= clean["term_months"] <= 600:
            raise Invalid({"term_months": [_("Give the loan term in months.")]})
    if "child" in data:
        child = data["child"]
        if child is not None and (worker is None or not _belongs_to(child, worker)):
            raise Invalid({"child": [_("The child must be a member of the household file.")]})
        clean["child"] = child
    return clean


def mask_account(account: str) -> str:
    return "*" * max(len(account) - 4, 0) + account[-4:] if account else account


def _is_masked_account(value: str) -> bool:
    return "*" in (value or "")


def sees_bank_data(user) -> bool:
    """Bank accounts are shown only to the roles that pay or approve (PIPL art. 28)."""
    return can(user, Action.MANAGE_FUNDS) or can(user, Action.APPROVE_AID)


@transaction.atomic
def application_create(
    *,
    by,
    org_unit: OrgUnit,
    person,
    worker=None,
    data: dict,
    id=None,
    create_digest: str = "",
) -> AidApplication:
    _require(by, Action.ENTER)
    if not in_scope(by, org_unit.pk):
        raise Refused(_("This unit is outside your scope."))
    if not in_scope(by, person.org_unit_id):
        raise Invalid({"person": [_("Unknown person.")]})
    if worker is not None and not in_scope(by, worker.org_unit_id):
        raise Invalid({"worker": [_("Unknown household file.")]})
    clean = _clean_application(data, person=person, worker=worker)
    for name in ("aid_type", "amount"):
        if name not in clean:
            raise Invalid({name: [_("This field is required.")]})
    application = AidApplication(
        org_unit=org_unit,
        person=person,
        worker=worker,
        entered_by=by,
        create_digest=create_digest,
        **clean,
    )
    if id is not None:
        application.id = id
    application.save()
    return application


def _locked(application: AidApplication) -> AidApplication:
    # The application row is the first lock of every workflow action: two clerks acting at
    # once are serialised here, and the second sees the first one's result.
    return (
        AidApplication.objects.select_for_update(of=("self",))
        .select_related("person", "worker")
        .get(pk=application.pk)
    )


@transaction.atomic
def application_update(*, by, application: AidApplication, data: dict) -> AidApplication:
    _require(by, Action.ENTER)
    if application.status != Status.DRAFT:
        raise DomainError(_("Only a draft application can be edited."), code="not_editable")
    person = data.get("person", application.person)
    worker = data.get("worker", application.worker)
    clean = _clean_application(data, person=person, worker=worker)
    application.person, application.worker = person, worker
    if data.get("org_unit") is not None:
        application.org_unit = data["org_unit"]
    for name, value in clean.items():
        setattr(application, name, value)
    application.save()
    return application


def _period(application: AidApplication) -> tuple[datetime.date, datetime.date]:
    """Vouchers are monthly; every other aid type counts per calendar year."""
    day = application.applied_on
    if application.aid_type == AidType.VOUCHER:
        start = day.replace(day=1)
        following = (start + datetime.timedelta(days=32)).replace(day=1)
        return start, following - datetime.timedelta(days=1)
    return datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31)


def _same_household(application: AidApplication) -> Q:
    if application.worker_id:
        return Q(worker_id=application.worker_id)
    return Q(person_id=application.person_id)


@transaction.atomic
def application_submit(*, by, application: AidApplication) -> AidApplication:
    _require(by, Action.ENTER)
    application = _locked(application)
    if application.status != Status.DRAFT:
        raise DomainError(
            _("Only a draft application can be submitted."), code="invalid_transition"
        )
    gaps = {}
    if application.payment_method == PaymentMethod.BANK:
        if not application.bank_account:
            gaps["bank_account"] = [_("A bank transfer needs the payee's account.")]
        if not application.payee_name:
            gaps["payee_name"] = [_("A bank transfer needs the payee's name.")]
    if application.aid_type == AidType.MEDICAL:
        gaps.update(_medical_gaps(application))
    if application.aid_type == AidType.SCHOOLING:
        gaps.update(_schooling_gaps(application))
    if application.aid_type == AidType.LOAN and not application.term_months:
        gaps["term_months"] = [_("Give the loan term in months.")]
    if gaps:
        raise Invalid(gaps)
    if application.aid_type == AidType.SCHOOLING:
        application.school_year = application.applied_on.year
        application.duplicate_elsewhere = _schooling_duplicate_elsewhere(application)
    start, end = _period(application)
    application.repeat_in_period = (
        AidApplication.objects.filter(
            _same_household(application),
            aid_type=application.aid_type,
            applied_on__range=(start, end),
            deleted_at__isnull=True,
            status__in=[Status.SUBMITTED, Status.APPROVED, Status.PAID],
        )
        .exclude(pk=application.pk)
        .exists()
    )
    application.required_approvals = 2 if application.amount > second_approval_above() else 1
    application.status, application.submitted_at = Status.SUBMITTED, timezone.now()
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError as exc:
        if "one_schooling_grant_per_child_year" in str(exc):
            raise DomainError(
                _("This child has a schooling grant for %(year)s already.")
                % {"year": application.school_year},
                code="duplicate_grant",
            ) from None
        raise
    return application


def _medical_gaps(application: AidApplication) -> dict:
    """Second-round aid: the invoices' total less what insurance and civil affairs paid."""
    if application.invoice_total is None:
        return {}  # entered without invoices; a fund that pays a share refuses it at payment
    pocket = application.out_of_pocket
    if pocket < 0:
        return {
            "insurance_paid": [
                _("Insurance and civil-affairs aid cannot have paid more than the invoices.")
            ]
        }
    if application.amount > pocket:
        return {
            "amount": [
                _("Medical aid covers at most the out-of-pocket %(sum)s.") % {"sum": yuan(pocket)}
            ]
        }
    return {}


def _schooling_gaps(application: AidApplication) -> dict:
    gaps = {}
    if not schooling_open(_today()):
        (sm, sd), (em, ed) = schooling_window()
        gaps["applied_on"] = [
            _("Autumn schooling aid is open from %(start)s to %(end)s only.")
            % {"start": f"{sm}-{sd}", "end": f"{em}-{ed}"}
        ]
    if application.child_id is None:
        gaps["child"] = [_("Name the child this grant is for.")]
    if not application.school:
        gaps["school"] = [_("Give the child's school.")]
    if not application.grade:
        gaps["grade"] = [_("Give the child's grade.")]
    if not application.documents.filter(kind="admission").exists():
        gaps["documents"] = [_("Attach the child's admission letter.")]
    return gaps


def _schooling_duplicate_elsewhere(application: AidApplication) -> bool:
    """The same child may stand in files of two units as two Person records: same name and
    birth date, applied for this year in another unit, is flagged to the reviewer."""
    child = application.child
    same = Q(child__name=child.name)
    same &= Q(child__birth_date=child.birth_date) if child.birth_date else Q()
    return (
        AidApplication.objects.filter(
            same,
            aid_type=AidType.SCHOOLING,
            school_year=application.school_year,
            deleted_at__isnull=True,
            status__in=[Status.SUBMITTED, Status.APPROVED, Status.PAID],
        )
        .exclude(org_unit_id=application.org_unit_id)
        .exclude(pk=application.pk)
        .exists()
    )


def _check_approver(by, application: AidApplication) -> None:
    _require(by, Action.APPROVE_AID)
    if application.entered_by_id == by.pk:
        raise Refused(_("The person who entered an application may not decide it."))
    if application.status != Status.SUBMITTED:
        raise DomainError(
            _("Only a submitted application can be decided."), code="invalid_transition"
        )
    if application.approvals.filter(by=by).exists():
        raise DomainError(_("You have decided this application already."), code="already_decided")


@transaction.atomic
def application_approve(*, by, application: AidApplication, opinion: str = "") -> AidApplication:
    """One approval; the application is approved once the approvals its amount needs are in
    (two different approvers above the configured amount)."""
    application = _locked(application)
    _check_approver(by, application)
    Approval.objects.create(
        application=application, by=by, decision=Approval.Decision.APPROVE, opinion=opinion
    )
    given = application.approvals.filter(decision=Approval.Decision.APPROVE).count()
    if given >= application.required_approvals:
        application.status, application.decided_at = Status.APPROVED, timezone.now()
    application.save()  # the approvals list changed: a new version either way
    return application


@transaction.atomic
def application_reject(*, by, application: AidApplication, opinion: str) -> AidApplication:
    if not (opinion or "").strip():
        raise Invalid({"opinion": [_("A rejection needs a written opinion.")]})
    application = _locked(application)
    _check_approver(by, application)
    Approval.objects.create(
        application=application, by=by, decision=Approval.Decision.REJECT, opinion=opinion
    )
    application.status, application.decided_at = Status.REJECTED, timezone.now()
    application.save()
    return application


# --- Paying ---------------------------------------------------------------------------------
def cap_for(*, org_unit_id: int, year: int, aid_type: str) -> Decimal | None:
    """The yearly cap in force for a unit: its own, else its nearest ancestor's."""
    caps = dict(
        AidCap.objects.filter(year=year, aid_type=aid_type).values_list("org_unit_id", "amount")
    )
    if not caps:
        return None
    parents = dict(OrgUnit.objects.values_list("id", "parent_id"))
    unit_id = org_unit_id
    while unit_id is not None:
        if unit_id in caps:
            return caps[unit_id]
        unit_id = parents.get(unit_id)
    return None


def cap_lock_key(application: AidApplication, *, year: int) -> str:
    subject = f"w{application.worker_id}" if application.worker_id else f"p{application.person_id}"
    return f"funds.cap:{subject}:{application.aid_type}:{year}"


def advisory_locks(keys) -> None:
    """Transaction-scoped advisory locks (a household's yearly cap, a fund's bank file), sorted."""
    with connection.cursor() as cursor:
        for key in sorted(set(keys)):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


def _check_cap(application: AidApplication, *, year: int) -> None:
    cap = cap_for(org_unit_id=application.org_unit_id, year=year, aid_type=application.aid_type)
    if cap is None:
        return
    # Two payments to one household at once must not both fit under the cap: serialise on
    # (household, aid type, year) for the rest of the transaction.
    advisory_locks([cap_lock_key(application, year=year)])
    received = Payment.objects.filter(
        _same_household(application),
        aid_type=application.aid_type,
        status=Payment.Status.PAID,
        paid_on__year=year,
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    if received + application.amount > cap:
        raise DomainError(
            _(
                "This household has received %(received)s of %(type)s in %(year)s; the yearly "
                "cap is %(cap)s, so at most %(left)s more may be paid."
            )
            % {
                "received": yuan(received),
                "type": application.get_aid_type_display(),
                "year": year,
                "cap": yuan(cap),
                "left": yuan(max(cap - received, Decimal("0.00"))),
            },
            code="cap",
        )


@transaction.atomic
def application_pay(
    *,
    by,
    application: AidApplication,
    fund: Fund,
    method: str | None = None,
    paid_on: datetime.date | None = None,
    in_batch: bool = False,
) -> Payment:
    """Pay an approved application from a fund. Refusals in API.md's order: already_paid,
    not_approved, earmark, cap, insufficient_funds."""
    _require(by, Action.MANAGE_FUNDS)
    if not in_scope(by, fund.org_unit_id):
        raise Invalid({"fund": [_("Unknown fund.")]})
    paid_on = paid_on or _today()
    if paid_on > _today():
        raise Invalid({"paid_on": [_("Give the date it happened, not a future one.")]})
    method = method or None
    if method is not None and method not in PaymentMethod.values:
        raise Invalid({"method": [_("Choose one of the listed payment methods.")]})
    _check_open_year(fund, paid_on, "paid_on")
    application = _locked(application)
    if application.status == Status.PAID:
        raise DomainError(_("This application has been paid already."), code="already_paid")
    if application.status != Status.APPROVED:
        raise DomainError(
            _("Only an approved application can be paid; this one is %(status)s.")
            % {"status": application.get_status_display()},
            code="not_approved",
        )
    # A batch pays its lines together; once it is paid, a reversed line is paid on its own.
    if (
        not in_batch
        and BatchLine.objects.filter(application_id=application.pk)
        .exclude(batch__status="paid")
        .exists()
    ):
        raise DomainError(_("This application is paid with its campaign batch."), code="in_batch")
    refusal = fund.earmark_refusal(application, fund_unit_ids=subtree_ids(fund.org_unit_id))
    if refusal:
        raise DomainError(refusal, code="earmark")
    method = method or application.payment_method
    if method == PaymentMethod.BANK and not application.bank_account:
        raise Invalid({"method": [_("A bank transfer needs the payee's account.")]})
    _check_cap(application, year=paid_on.year)
    accounts = _lock_accounts(fund)
    own = accounts[Account.Kind.FUND]
    if own.balance < application.amount:
        raise InsufficientFunds(
            _(
                "The fund %(fund)s holds %(balance)s, less than the %(amount)s this payment "
                "needs. Pay it from another fund, or record income first."
            )
            % {"fund": fund.name, "balance": yuan(own.balance), "amount": yuan(application.amount)}
        )
    tx = _post(
        by=by,
        fund=fund,
        kind=LedgerTransaction.Kind.PAYMENT,
        booked_on=paid_on,
        aid_type=application.aid_type,
        memo=str(application.pk),
        lines=[(own, -application.amount), (accounts[Account.Kind.AID], application.amount)],
    )
    bank = method == PaymentMethod.BANK
    try:
        payment = Payment.objects.create(
            org_unit_id=application.org_unit_id,
            application=application,
            person_id=application.person_id,
            worker_id=application.worker_id,
            fund=fund,
            aid_type=application.aid_type,
            amount=application.amount,
            method=method,
            payee_name=application.payee_name or application.person.name,
            bank_name=application.bank_name if bank else "",
            bank_account=application.bank_account if bank else "",
            paid_on=paid_on,
            paid_by=by,
            transaction=tx,
        )
    except IntegrityError as exc:  # the row lock above makes this unreachable; the index holds
        if "one_payment_per_application" in str(exc):
            raise DomainError(
                _("This application has been paid already."), code="already_paid"
            ) from None
        raise
    # One UPDATE (the trigger bumps the version); the caller reads the application afresh.
    AidApplication.objects.filter(pk=application.pk).update(status=Status.PAID)
    if application.aid_type == AidType.LOAN:
        from funds import loans

        loans.loan_open(payment=payment, application=application)
    return payment


@transaction.atomic
def payment_reverse(*, by, payment: Payment, reason: str, failed_transfer: bool = False) -> Payment:
    """Undo a payment by a reversing transaction that restores the fund (a bank transfer that
    came back, or a mistake). The application returns to `approved`, to be paid again."""
    _require(by, Action.MANAGE_FUNDS)
    if not (reason or "").strip():
        raise Invalid({"reason": [_("Say why it is reversed.")]})
    if not in_scope(by, payment.fund.org_unit_id):
        raise Refused(_("This fund is outside your scope."))
    application = _locked(payment.application)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != Payment.Status.PAID:
        raise DomainError(_("This payment was reversed already."), code="already_reversed")
    if failed_transfer and payment.method != PaymentMethod.BANK:
        raise Invalid({"failed_transfer": [_("Only a bank transfer can fail.")]})
    if payment.aid_type == AidType.LOAN:
        from funds import loans

        loans.loan_cancel(payment=payment)
    _lock_accounts(payment.fund)
    tx = _reverse(by=by, original=payment.transaction, on=_today(), memo=reason.strip())
    payment.status, payment.reversal = Payment.Status.REVERSED, tx
    payment.failed_transfer, payment.reversal_reason = failed_transfer, reason.strip()
    payment.reversed_by, payment.reversed_at = by, timezone.now()
    payment.save()
    application.status = Status.APPROVED
    application.save()
    return payment


# --- Statements -----------------------------------------------------------------------------
@dataclass
class FundStatement:
    fund: Fund
    date_from: datetime.date
    date_to: datetime.date
    opening: Decimal = Decimal("0.00")
    income: Decimal = Decimal("0.00")
    income_reversed: Decimal = Decimal("0.00")
    paid_by_type: dict[str, Decimal] = field(default_factory=dict)
    returned_by_type: dict[str, Decimal] = field(default_factory=dict)
    repaid: Decimal = Decimal("0.00")
    closing: Decimal = Decimal("0.00")
    budget: Decimal | None = None

    @property
    def paid(self) -> Decimal:
        return sum(self.paid_by_type.values(), Decimal("0.00"))

    @property
    def returned(self) -> Decimal:
        return sum(self.returned_by_type.values(), Decimal("0.00"))

    @property
    def spent(self) -> Decimal:
        """Aid paid net of reversals and loan repayments: what the budget is compared with."""
        return self.paid - self.returned - self.repaid

    def as_dict(self) -> dict:
        def m(value: Decimal | None) -> str | None:
            return None if value is None else f"{value:.2f}"

        return {
            "fund": self.fund.code,
            "period": {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()},
            "opening_balance": m(self.opening),
            "income": m(self.income),
            "income_reversed": m(self.income_reversed),
            "payments": {t: m(v) for t, v in sorted(self.paid_by_type.items())},
            "reversed_payments": {t: m(v) for t, v in sorted(self.returned_by_type.items())},
            "spent": m(self.spent),
            "closing_balance": m(self.closing),
            "budget": m(self.budget),
            # Only a fund that lends has repayments: other funds' statements keep Funds I's shape.
            **({"loan_repayments": m(self.repaid)} if self.repaid else {}),
        }


def fund_statement(
    *, fund: Fund, date_from: datetime.date, date_to: datetime.date
) -> FundStatement:
    """Opening balance, income, payments by aid type, reversals and closing balance, from the
    fund account's entries alone (two index-only aggregate queries)."""
    if date_to < date_from:
        raise Invalid({"date_to": [_("The period cannot end before it starts.")]})
    own = Account.objects.get(fund=fund, kind=Account.Kind.FUND)
    statement = FundStatement(fund=fund, date_from=date_from, date_to=date_to)
    statement.opening = LedgerEntry.objects.filter(account=own, booked_on__lt=date_from).aggregate(
        total=Sum("amount")
    )["total"] or Decimal("0.00")
    rows = (
        LedgerEntry.objects.filter(account=own, booked_on__range=(date_from, date_to))
        .values_list("kind", "aid_type")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    moved = Decimal("0.00")
    paid, returned = defaultdict(Decimal), defaultdict(Decimal)
    for kind, aid_type, total in rows:
        moved += total
        if kind == LedgerTransaction.Kind.INCOME:
            statement.income += total
        elif kind == LedgerTransaction.Kind.PAYMENT:
            paid[aid_type] += -total
        elif kind == LedgerTransaction.Kind.REPAYMENT:
            statement.repaid += total
        elif aid_type:  # a reversed payment comes back into the fund
            returned[aid_type] += total
        else:  # a reversed income leaves it
            statement.income_reversed += -total
    statement.paid_by_type, statement.returned_by_type = dict(paid), dict(returned)
    statement.closing = statement.opening + moved
    if date_from.year == date_to.year:
        statement.budget = (
            FundBudget.objects.filter(fund=fund, year=date_from.year, aid_type="")
            .values_list("amount", flat=True)
            .first()
        )
    return statement


def year_range(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def aid_received(*, user, person) -> dict:
    """Everything a person, and the household whose file they stand in, received: for the
    person's card. Payments in the user's scope only."""
    payments = scoped(user, Payment).select_related("fund", "person").order_by("-paid_on")
    own = list(payments.filter(person=person))
    worker_ids = set(
        person.memberships.filter(deleted_at__isnull=True).values_list("worker_id", flat=True)
    )
    household = list(payments.filter(worker_id__in=worker_ids)) if worker_ids else []

    def total(rows):
        return sum((p.amount for p in rows if p.status == Payment.Status.PAID), Decimal("0.00"))

    return {
        "person": own,
        "person_total": total(own),
        "household": household,
        "household_total": total(household),
    }


def payments_of(*, user, person=None, worker=None) -> QuerySet:
    qs = scoped(user, Payment).select_related("fund", "person")
    if person is not None:
        qs = qs.filter(person=person)
    if worker is not None:
        qs = qs.filter(worker=worker)
    return qs


# --- Reconciliation -------------------------------------------------------------------------
def reconcile() -> list[str]:
    """Every account's balance equals the sum of its entries, and every transaction sums to
    zero. Returns the problems found (empty when the books are right)."""
    problems = []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT f.code, a.kind, a.balance, COALESCE(s.total, 0)
              FROM funds_account a
              JOIN funds_fund f ON f.id = a.fund_id
              LEFT JOIN (SELECT account_id, sum(amount) AS total FROM funds_ledgerentry
                          GROUP BY account_id) s ON s.account_id = a.id
             WHERE a.balance <> COALESCE(s.total, 0)
             ORDER BY f.code, a.kind
            """
        )
        for code, kind, balance, total in cursor.fetchall():
            problems.append(f"{code} {kind}: balance {balance} but entries sum to {total}")
        cursor.execute(
            """
            SELECT transaction_id, sum(amount) FROM funds_ledgerentry
             GROUP BY transaction_id HAVING sum(amount) <> 0 ORDER BY transaction_id
            """
        )
        for tx_id, total in cursor.fetchall():
            problems.append(f"transaction #{tx_id} sums to {total}, not 0")
    return problems


# --- Documents ------------------------------------------------------------------------------


@transaction.atomic
def document_add(*, by, application: AidApplication, kind: str, upload):
    """An admission letter or invoice behind an application (kept under PRIVATE_ROOT)."""
    from funds.models import AidDocument

    _require(by, Action.ENTER)
    if application.status != Status.DRAFT:
        raise DomainError(_("Only a draft application can be edited."), code="not_editable")
    if kind not in AidDocument.Kind.values:
        raise Invalid({"kind": [_("Choose one of the listed document kinds.")]})
    # Recognised by their first bytes, never by the browser's word (aidcenter/uploads.py).
    checked = uploads.check(upload)
    document = AidDocument(
        org_unit_id=application.org_unit_id,
        application=application,
        kind=kind,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        uploaded_by=by,
    )
    uploads.store(document.file, upload, checked)
    document.save()
    return document


def mask_name(name: str) -> str:
    """A name as a public notice shows it: 张*明, 李*, 司马*如."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
