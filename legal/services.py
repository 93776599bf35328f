"""Operations of legal aid: opening a case at intake, moving it through its stages, assigning
a duty lawyer after the conflict check, restarting the limitation, recording recoveries, and
the figures the dashboards read. Keyword-only, atomic, raising aidcenter.errors; the API, the
admin and the front-desk plug-in all call these, so a rule holds on every path.

Roles (aidcenter/roles.py): the front desk may open a case at intake (ENTER); everything after
intake is running a legal case (RUN_SERVICES: caseworkers and sub-center clients)."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aidcenter.errors import DomainError, Invalid, Refused
from aidcenter.models import OrgUnit
from aidcenter.roles import Action, can
from aidcenter.scope import in_scope, scoped
from cases import services as cases_services
from jobs import services as jobs_services
from legal import deadlines
from legal.models import (
    CaseType,
    Claimant,
    Eligibility,
    LegalCase,
    PastClient,
    Recovery,
    RestartReason,
    Stage,
    StageRecord,
)

MAX_MONEY = Decimal("9999999999.99")
CENT = Decimal("0.01")
Employer = LegalCase._meta.get_field("employer").related_model  # jobs' catalogue, via the FK
Person = Claimant._meta.get_field("person").related_model

# Facts a PATCH may change directly; the stage and the lawyer go through their own rules.
FACT_FIELDS = {
    "knew_of_violation_on": "date",
    "employment_ended_on": "date",
    "mediation_applied_on": "date",
    "arbitration_accepted_on": "date",
    "award_received_on": "date",
    "next_hearing_on": "date",
    "follow_up_on": "date",
    "wages_during_employment": "bool",
    "award_extended": "bool",
    "summary": "text",
    "outcome_note": "text",
}


class LawyerConflict(DomainError):
    code = "lawyer_conflict"


def _require(user, action: str) -> None:
    if not can(user, action):
        raise Refused(_("Your role may not do this."))


def _require_unit(user, unit: OrgUnit) -> None:
    if not in_scope(user, unit.pk):
        raise Refused(_("This unit is outside your scope."))


def _today() -> datetime.date:
    return timezone.localdate()  # Asia/Shanghai


def money(value, field: str, *, allow_negative: bool = False) -> Decimal:
    """Yuan with at most two decimals; floats are refused (binary fractions are not money)."""
    message = _("Enter an amount in yuan with at most two decimals.")
    if isinstance(value, bool | float) or value is None:
        raise Invalid({field: [message]})
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise Invalid({field: [message]}) from None
    if not amount.is_finite() or amount != amount.quantize(CENT) or abs(amount) > MAX_MONEY:
        raise Invalid({field: [message]})
    if amount < 0 and not allow_negative:
        raise Invalid({field: [_("The amount may not be negative.")]})
    return amount.quantize(CENT)


def _not_future(day: datetime.date, field: str) -> datetime.date:
    if day > _today():
        raise Invalid({field: [_("The date may not lie in the future.")]})
    return day


# --- Eligibility ----------------------------------------------------------------------------
def eligibility_of(*, case_type: str, person) -> str:
    """Free legal aid for a person in a registered hardship file, and for a migrant worker
    owed wages; anyone else is recorded as a consultation."""
    worker = cases_services.active_file_of(person)
    if worker is not None and worker.status == "registered":
        return Eligibility.HARDSHIP_FILE
    if case_type == CaseType.WAGE_ARREARS and person.is_migrant:
        return Eligibility.MIGRANT_WAGE_ARREARS
    return Eligibility.CONSULTATION


# --- Deadlines ------------------------------------------------------------------------------
def facts_of(case: LegalCase) -> deadlines.Facts:
    return deadlines.Facts(
        stage=case.stage,
        knew_on=case.knew_of_violation_on,
        restarted_on=case.limitation_restarted_on,
        wages_during_employment=case.wages_during_employment,
        employment_ended_on=case.employment_ended_on,
        mediation_applied_on=case.mediation_applied_on,
        arbitration_accepted_on=case.arbitration_accepted_on,
        award_extended=case.award_extended,
        award_received_on=case.award_received_on,
        next_hearing_on=case.next_hearing_on,
        follow_up_on=case.follow_up_on,
    )


def _refresh(case: LegalCase) -> LegalCase:
    """Recompute what is kept from the facts (limitation, next deadline, legal aid) and save."""
    facts = facts_of(case)
    case.limitation_ends_on = deadlines.limitation_ends_on(
        knew_on=facts.knew_on,
        restarted_on=facts.restarted_on,
        wages_during_employment=facts.wages_during_employment,
        employment_ended_on=facts.employment_ended_on,
    )
    case.next_deadline_kind, case.next_deadline_on = deadlines.next_deadline(facts)
    case.is_legal_aid = case.claimants.exclude(eligibility=Eligibility.CONSULTATION).exists()
    case.save()
    return case


def deadline_q(flag: str, *, today: datetime.date | None = None) -> Q:
    """Live cases whose next deadline is missed, or due within deadlines.DUE_SOON_DAYS."""
    today = today or _today()
    live = Q(deleted_at__isnull=True) & ~Q(stage=Stage.CLOSED)
    if flag == "missed":
        return live & Q(next_deadline_on__lt=today)
    soon = today + datetime.timedelta(days=deadlines.DUE_SOON_DAYS)
    return live & Q(next_deadline_on__gte=today, next_deadline_on__lte=soon)


def deadline_counts(*, user, today: datetime.date | None = None) -> dict[str, int]:
    return scoped(user, LegalCase).aggregate(
        missed=Count("id", filter=deadline_q("missed", today=today)),
        due_soon=Count("id", filter=deadline_q("due_soon", today=today)),
    )


# --- Employers and lawyers ------------------------------------------------------------------
def employer_exists(credit_code, *, check: bool = False) -> bool:
    """Whether the catalogue holds this credit code; a malformed code raises Invalid when
    `check` is set and answers False otherwise."""
    try:
        code = jobs_services.validate_credit_code(credit_code)
    except Invalid:
        if check:
            raise
        return False
    return Employer.objects.filter(credit_code=code).exists()


def employer_find_or_create(*, by, credit_code, name: str = ""):
    """The catalogue's employer with this credit code; created (by a role that runs services)
    when the catalogue lacks it."""
    code = jobs_services.validate_credit_code(credit_code)
    employer = Employer.objects.filter(credit_code=code).first()
    if employer is not None:
        return employer
    if not name:
        raise Invalid({"employer_name": [_("Name the employer: it is not in the catalogue yet.")]})
    try:
        return jobs_services.employer_create(by=by, data={"credit_code": code, "name": name})
    except DomainError as exc:
        if exc.code != "duplicate_credit_code":
            raise
        return Employer.objects.get(credit_code=code)  # another clerk added it just now


def conflicts_of(*, lawyer, employer) -> list[PastClient]:
    """Past clients showing that the lawyer, or their firm, acted for the opposing employer."""
    if lawyer is None or employer is None:
        return []
    same = Q(lawyer=lawyer)
    if lawyer.firm.strip():
        same |= Q(firm__iexact=lawyer.firm.strip()) | Q(lawyer__firm__iexact=lawyer.firm.strip())
    return list(
        PastClient.objects.filter(same, employer=employer)
        .select_related("lawyer", "employer")
        .order_by("id")
    )


def _check_conflict(*, by, case: LegalCase, lawyer, override_reason: str) -> None:
    found = conflicts_of(lawyer=lawyer, employer=case.employer)
    reason = (override_reason or "").strip()
    if found and not reason:
        raise LawyerConflict(
            _(
                "This lawyer or their firm has acted for the opposing employer. Choose another "
                "lawyer, or override with a recorded reason."
            ),
            extra={
                "conflicts": [
                    {
                        "lawyer": str(pc.lawyer) if pc.lawyer_id else None,
                        "firm": pc.firm or (pc.lawyer.firm if pc.lawyer_id else ""),
                        "employer": pc.employer.name,
                    }
                    for pc in found
                ]
            },
        )
    if found:
        case.conflict_override_reason = reason[:2000]
        case.conflict_overridden_by = by
    else:
        case.conflict_override_reason = ""
        case.conflict_overridden_by = None


def _assign(*, by, case: LegalCase, lawyer, override_reason: str = "") -> None:
    _require(by, Action.RUN_SERVICES)
    if lawyer is not None and not lawyer.is_active:
        raise Invalid({"lawyer": [_("This lawyer is no longer on the duty roster.")]})
    if case.stage == Stage.CLOSED:
        raise DomainError(_("The legal case is closed."), code="case_closed")
    _check_conflict(by=by, case=case, lawyer=lawyer, override_reason=override_reason)
    case.lawyer = lawyer


@transaction.atomic
def lawyer_assign(*, by, case: LegalCase, lawyer, override_reason: str = "") -> LegalCase:
    """Assign the duty lawyer; refused (409 lawyer_conflict) when the lawyer or their firm has
    acted for the opposing employer, unless overridden with a recorded reason."""
    case = _locked(case)
    _assign(by=by, case=case, lawyer=lawyer, override_reason=override_reason)
    return _refresh(case)


def lawyers_on_duty(*, on: datetime.date, unit_ids=None):
    from legal.models import Lawyer

    qs = Lawyer.objects.filter(is_active=True, duty_slots__weekday=on.weekday())
    if unit_ids is not None:
        qs = qs.filter(duty_slots__org_unit_id__in=list(unit_ids))
    return qs.distinct().order_by("name", "id")


# --- Claimants ------------------------------------------------------------------------------
def _clean_claimants(*, by, rows) -> list[dict]:
    if not isinstance(rows, list) or not rows:
        raise Invalid({"claimants": [_("Name at least one claimant.")]})
    clean, seen = [], set()
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or row.get("person") is None:
            raise Invalid({"claimants": [_("Claimant %(n)d: choose the person.") % {"n": i + 1}]})
        person = row["person"]
        if not isinstance(person, Person):
            person = scoped(by, Person).filter(pk=person).first()
        elif not scoped(by, Person).filter(pk=person.pk).exists():
            person = None
        if person is None:
            raise Invalid({"claimants": [_("Claimant %(n)d: no such person.") % {"n": i + 1}]})
        if person.pk in seen:
            raise Invalid(
                {"claimants": [_("Claimant %(n)d is named twice.") % {"n": i + 1}]},
            )
        seen.add(person.pk)
        entry = {
            "person": person,
            "amount_claimed": money(row.get("amount_claimed", 0) or 0, "amount_claimed"),
        }
        if "amount_recovered" in row and row["amount_recovered"] is not None:
            entry["amount_recovered"] = money(row["amount_recovered"], "amount_recovered")
        clean.append(entry)
    return clean


def _set_claimants(*, by, case: LegalCase, rows: list[dict]) -> None:
    """Make the case's claimants those listed: new people are added, amounts claimed updated,
    a changed amount recovered recorded as a recovery today, people left out removed (unless
    money was recovered for them: that stays on the record)."""
    existing = {c.person_id: c for c in case.claimants.select_for_update()}
    wanted = {row["person"].pk for row in rows}
    for person_id, claimant in existing.items():
        if person_id not in wanted:
            if claimant.recoveries.exists():
                raise DomainError(
                    _("Money was recovered for %(name)s: the claimant stays on the case.")
                    % {"name": claimant.person.name},
                    code="claimant_has_recoveries",
                )
            claimant.delete()
    for row in rows:
        person = row["person"]
        claimant = existing.get(person.pk)
        if claimant is None:
            claimant = Claimant.objects.create(
                legal_case=case,
                org_unit_id=case.org_unit_id,
                person=person,
                amount_claimed=row["amount_claimed"],
                eligibility=eligibility_of(case_type=case.case_type, person=person),
            )
        elif claimant.amount_claimed != row["amount_claimed"]:
            claimant.amount_claimed = row["amount_claimed"]
            claimant.save(update_fields=["amount_claimed"])
        target = row.get("amount_recovered")
        if target is not None and target != claimant.amount_recovered:
            _add_recovery(
                by=by,
                claimant=claimant,
                amount=target - claimant.amount_recovered,
                on=_today(),
                note=_("amount recovered corrected"),
            )


def _reassess(case: LegalCase) -> None:
    for claimant in case.claimants.select_related("person"):
        now = eligibility_of(case_type=case.case_type, person=claimant.person)
        if now != claimant.eligibility:
            claimant.eligibility = now
            claimant.save(update_fields=["eligibility"])


def _add_recovery(*, by, claimant: Claimant, amount: Decimal, on: datetime.date, note: str):
    if claimant.amount_recovered + amount < 0:
        raise Invalid({"amount": [_("More would be taken back than was recovered.")]})
    recovery = Recovery.objects.create(
        claimant=claimant,
        org_unit_id=claimant.org_unit_id,
        amount=amount,
        recovered_on=on,
        note=note[:200],
        recorded_by=by,
    )
    # One UPDATE under the row lock the caller holds: the kept total equals the rows' sum.
    Claimant.objects.filter(pk=claimant.pk).update(amount_recovered=F("amount_recovered") + amount)
    claimant.refresh_from_db(fields=["amount_recovered"])
    return recovery


@transaction.atomic
def recovery_record(
    *, by, case: LegalCase, person, amount, on: datetime.date | None = None, note: str = ""
) -> Recovery:
    """Money recovered for a claimant (negative to correct a mistake)."""
    _require(by, Action.RUN_SERVICES)
    amount = money(amount, "amount", allow_negative=True)
    if amount == 0:
        raise Invalid({"amount": [_("Enter an amount other than zero.")]})
    on = _not_future(on or _today(), "recovered_on")
    case = _locked(case)
    if on < case.opened_on:
        raise Invalid({"recovered_on": [_("The date lies before the case was opened.")]})
    person_id = getattr(person, "pk", person)
    claimant = case.claimants.select_for_update().filter(person_id=person_id).first()
    if claimant is None:
        raise Invalid({"person": [_("This person is not a claimant of the case.")]})
    recovery = _add_recovery(by=by, claimant=claimant, amount=amount, on=on, note=note)
    case.save()  # a new version: the record's recovered amounts changed
    return recovery


# --- Opening and editing --------------------------------------------------------------------
def _locked(case: LegalCase) -> LegalCase:
    # Two clerks moving or editing one case at once: the second waits and sees the first's
    # result, so moves are checked against the stage actually stored.
    return LegalCase.objects.select_for_update().get(pk=case.pk)


def _apply_facts(case: LegalCase, data: dict) -> None:
    for name, kind in FACT_FIELDS.items():
        if name not in data:
            continue
        value = data[name]
        if kind == "date":
            if value is not None and not isinstance(value, datetime.date):
                raise Invalid({name: [_("Enter a date as YYYY-MM-DD.")]})
        elif kind == "bool":
            value = bool(value)
        else:
            value = "" if value is None else str(value)
            if "\x00" in value:
                raise Invalid({name: [_("Remove the invalid characters.")]})
        setattr(case, name, value)
    if "case_type" in data:
        if data["case_type"] not in CaseType.values:
            raise Invalid({"case_type": [_("Choose one of the listed values.")]})
        case.case_type = data["case_type"]
    if "outcome" in data:
        case.outcome = data["outcome"] or ""
    today = _today()
    for name in ("knew_of_violation_on", "employment_ended_on", "mediation_applied_on",
                 "arbitration_accepted_on", "award_received_on"):  # fmt: skip
        day = getattr(case, name)
        if day is not None and day > today:
            raise Invalid({name: [_("The date may not lie in the future.")]})


@transaction.atomic
def legal_case_open(
    *,
    by,
    org_unit: OrgUnit,
    case_type: str,
    claimants: list[dict],
    employer=None,
    opened_on: datetime.date | None = None,
    lawyer=None,
    override_reason: str = "",
    data: dict | None = None,
    referred_from=None,
    id=None,
    create_digest: str = "",
) -> LegalCase:
    """Intake: open a legal case for its claimants against an employer. The front desk may do
    this; assigning a lawyer at intake needs a role that runs legal cases."""
    _require(by, Action.ENTER)
    _require_unit(by, org_unit)
    if case_type not in CaseType.values:
        raise Invalid({"case_type": [_("Choose one of the listed values.")]})
    opened_on = _not_future(opened_on or _today(), "opened_on")
    rows = _clean_claimants(by=by, rows=claimants)
    case = LegalCase(
        org_unit=org_unit,
        case_type=case_type,
        employer=employer,
        opened_on=opened_on,
        referred_from=referred_from,
        opened_by=by,
        create_digest=create_digest,
    )
    if id is not None:
        case.id = id
    _apply_facts(case, {k: v for k, v in (data or {}).items() if k != "case_type"})
    if case.outcome:
        raise Invalid({"outcome": [_("An outcome is recorded when the case closes.")]})
    if lawyer is not None:
        _assign(by=by, case=case, lawyer=lawyer, override_reason=override_reason)
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        raise DomainError(code="id_conflict") from None
    StageRecord.objects.create(
        legal_case=case,
        org_unit_id=case.org_unit_id,
        stage=Stage.INTAKE,
        started_on=opened_on,
        moved_by=by,
    )
    _set_claimants(by=by, case=case, rows=rows)
    return _refresh(case)


@transaction.atomic
def legal_case_update(
    *, by, case: LegalCase, data: dict, claimants: list[dict] | None = None
) -> LegalCase:
    """Edit the facts, the claimants, the employer; a changed `stage` or `lawyer` goes through
    the move and the conflict check as if posted to their actions."""
    _require(by, Action.RUN_SERVICES)
    case = _locked(case)
    if case.stage == Stage.CLOSED and set(data) - {"follow_up_on", "outcome_note", "version"}:
        raise DomainError(_("The legal case is closed."), code="case_closed")
    type_before = case.case_type
    _apply_facts(case, data)
    if "employer" in data and data["employer"] != case.employer:
        case.employer = data["employer"]
        if case.lawyer_id and "lawyer" not in data:
            # A new opposing employer: the assigned lawyer is checked again.
            _check_conflict(
                by=by,
                case=case,
                lawyer=case.lawyer,
                override_reason=data.get("conflict_override_reason", ""),
            )
    if "lawyer" in data and data["lawyer"] != case.lawyer:
        _assign(
            by=by,
            case=case,
            lawyer=data["lawyer"],
            override_reason=data.get("conflict_override_reason", ""),
        )
    case.save()
    if claimants is not None:
        _set_claimants(by=by, case=case, rows=_clean_claimants(by=by, rows=claimants))
    if case.case_type != type_before:
        _reassess(case)
    if "stage" in data and data["stage"] != case.stage:
        return stage_move(by=by, case=case, to=data["stage"], result=data.get("result", ""))
    return _refresh(case)


@transaction.atomic
def stage_move(
    *,
    by,
    case: LegalCase,
    to: str,
    on: datetime.date | None = None,
    result: str = "",
    outcome: str = "",
) -> LegalCase:
    """Close the current stage with its result and start the next; only the allowed moves."""
    _require(by, Action.RUN_SERVICES)
    case = _locked(case)
    if to not in Stage.values:
        raise Invalid({"stage": [_("Choose one of the listed values.")]})
    if not case.may_move_to(to):
        raise DomainError(
            _("A legal case at %(stage)s cannot move to %(to)s.")
            % {"stage": case.get_stage_display(), "to": Stage(to).label},
            code="invalid_move",
        )
    on = _not_future(on or _today(), "on")
    current = case.stages.select_for_update().filter(ended_on__isnull=True).first()
    if current is not None and on < current.started_on:
        raise Invalid({"on": [_("The date lies before the current stage began.")]})
    if outcome:
        if outcome not in {c for c, _label in LegalCase._meta.get_field("outcome").choices}:
            raise Invalid({"outcome": [_("Choose one of the listed values.")]})
        case.outcome = outcome
    if to == Stage.CLOSED:
        if not case.outcome:
            raise Invalid({"outcome": [_("Record the outcome before closing the case.")]})
        case.closed_on = on
        case.follow_up_on = None
        case.next_hearing_on = None
    if current is not None:
        current.ended_on = on
        current.result = (result or "")[:4000]
        current.save(update_fields=["ended_on", "result"])
    StageRecord.objects.create(
        legal_case=case,
        org_unit_id=case.org_unit_id,
        stage=to,
        started_on=on,
        ended_on=on if to == Stage.CLOSED else None,
        moved_by=by,
    )
    # The day the move is recorded starts the stage's statutory clock unless staff record the
    # actual date (acceptance by the committee may come a few days later: art. 29).
    if to == Stage.MEDIATION and case.mediation_applied_on is None:
        case.mediation_applied_on = on
    if to == Stage.ARBITRATION and case.arbitration_accepted_on is None:
        case.arbitration_accepted_on = on
    case.stage = to
    return _refresh(case)


@transaction.atomic
def limitation_restart(
    *, by, case: LegalCase, on: datetime.date, reason: str = RestartReason.CLAIM_PRESSED
) -> LegalCase:
    """Art. 27 para. 2: the worker pressed the claim (or sought relief), or the employer agreed
    to pay — the one-year period runs afresh from that day."""
    _require(by, Action.RUN_SERVICES)
    if reason not in RestartReason.values:
        raise Invalid({"reason": [_("Choose one of the listed values.")]})
    on = _not_future(on, "on")
    case = _locked(case)
    if case.knew_of_violation_on and on < case.knew_of_violation_on:
        raise Invalid({"on": [_("The date lies before the worker knew of the violation.")]})
    if case.limitation_restarted_on is None or on >= case.limitation_restarted_on:
        case.limitation_restarted_on = on
        case.limitation_restart_reason = reason
    return _refresh(case)


@transaction.atomic
def legal_case_delete(*, by, case: LegalCase) -> None:
    _require(by, Action.RUN_SERVICES)
    case = _locked(case)
    if Recovery.objects.filter(claimant__legal_case=case).exists():
        raise DomainError(
            _("Money was recovered in this case: it stays on the record."),
            code="case_has_recoveries",
        )
    case.deleted_at = timezone.now()
    case.save(update_fields=["deleted_at", "updated_at"])


# --- Reading --------------------------------------------------------------------------------
def cases_of(*, user, person) -> QuerySet:
    """The legal cases in the user's scope in which the person claims."""
    return (
        scoped(user, LegalCase)
        .filter(Exists(Claimant.objects.filter(legal_case=OuterRef("pk"), person=person)))
        .select_related("employer")
        .order_by("-opened_on", "id")
    )


def figures(*, units, date_from: datetime.date, date_to: datetime.date) -> dict:
    """API.md "Stats summary", `legal`: flows in the period over cases kept by `units` (ids;
    None means every unit): cases opened, cases closed, money recovered (by recovery date,
    corrections included) and cases opened with at least one migrant claimant."""
    period = (date_from, date_to)
    live = LegalCase.objects.filter(deleted_at__isnull=True)
    if units is not None:
        live = live.filter(org_unit_id__in=list(units))
    migrant = Exists(Claimant.objects.filter(legal_case=OuterRef("pk"), person__is_migrant=True))
    opened = live.filter(opened_on__range=period).aggregate(
        cases=Count("id"), migrant_cases=Count("id", filter=migrant)
    )
    recovered = Recovery.objects.filter(
        recovered_on__range=period, claimant__legal_case__in=live
    ).aggregate(total=Sum("amount"))["total"]
    return {
        "cases": opened["cases"],
        "closed": live.filter(closed_on__range=period).count(),
        "amount_recovered": (recovered or Decimal("0")).quantize(CENT),
        "migrant_cases": opened["migrant_cases"],
    }
