"""Services of the front desk: logging cases, their deadlines and workflow, notes, referrals
and the follow-up call. Keyword-only, atomic, raising domain errors (as cases/services.py)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case as SqlCase
from django.db.models import F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from aidcenter.errors import DomainError, Invalid, Refused
from aidcenter.models import OrgUnit
from aidcenter.roles import Action, Role, can, role_of
from aidcenter.scope import in_scope, scoped
from cases import referrals, services
from cases.models import (
    Case,
    CaseMove,
    CaseNote,
    Category,
    Channel,
    Person,
    Referral,
    ServiceDeadline,
)

# 信访工作条例 (2022): art. 22 — decide within 15 days whether to accept and tell the
# petitioner; art. 32 — handle within 60 days of acceptance; art. 33 — one extension of at
# most 30 days, with a notice to the petitioner.
PETITION_ACCEPT_DAYS = 15
PETITION_HANDLE_DAYS = 60
PETITION_MAX_EXTENSION_DAYS = 30
DEFAULT_SERVICE_DAYS = getattr(settings, "CASE_DEFAULT_SERVICE_DAYS", 10)
DUE_SOON_DAYS = 3
REFERRAL_STUCK_DAYS = 3


def _require(user, action: str) -> None:
    if not can(user, action):
        raise Refused(_("Your role may not do this."))


def _today() -> datetime.date:
    return timezone.localdate()


def _event(case: Case, action: str, by, *, before: str = "", note: str = "") -> None:
    CaseMove.objects.create(
        org_unit_id=case.org_unit_id,
        case=case,
        action=action,
        from_status=before,
        to_status=case.status,
        by=by,
        note=note,
    )


def next_reference(*, org_unit: OrgUnit, year: int) -> str:
    """PT-CS-2026-000123: unit, year, sequence. One atomic upsert per number, so two clerks
    saving at the same moment get different numbers, and a number is never reused."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO cases_referencecounter (org_unit_id, year, last) VALUES (%s, %s, 1)
            ON CONFLICT (org_unit_id, year)
            DO UPDATE SET last = cases_referencecounter.last + 1
            RETURNING last
            """,
            [org_unit.pk, year],
        )
        number = cursor.fetchone()[0]
    return f"{org_unit.code}-{year}-{number:06d}"


def service_days(*, org_unit: OrgUnit, category: str) -> int:
    """The unit's own service deadline for the category, else the nearest ancestor's."""
    days = dict(
        ServiceDeadline.objects.filter(category=category).values_list("org_unit_id", "days")
    )
    parents = dict(OrgUnit.objects.values_list("id", "parent_id"))
    unit_id = org_unit.pk
    while unit_id is not None:
        if unit_id in days:
            return days[unit_id]
        unit_id = parents.get(unit_id)
    return DEFAULT_SERVICE_DAYS


CASE_FIELDS = ("channel", "work_order_no", "category", "urgency", "summary")


def _check_fields(data: dict) -> dict:
    clean = {k: data[k] for k in CASE_FIELDS if k in data and data[k] is not None}
    if clean.get("channel") not in Channel.values:
        raise Invalid({"channel": [_("Choose one of the listed channels.")]})
    if clean.get("category") not in Category.values:
        raise Invalid({"category": [_("Choose one of the listed categories.")]})
    if clean.get("urgency", "normal") not in Case.Urgency.values:
        raise Invalid({"urgency": [_("Choose normal or urgent.")]})
    if not (clean.get("summary") or "").strip():
        raise Invalid({"summary": [_("Say in a sentence what the person needs.")]})
    return clean


@transaction.atomic
def case_log(
    *,
    by,
    org_unit: OrgUnit,
    data: dict,
    person: Person | None = None,
    new_person: dict | None = None,
    received_at: datetime.datetime | None = None,
    assignee=None,
    id=None,
    create_digest: str = "",
) -> Case:
    """Log a walk-in, call, letter, message or referral. A new visitor becomes a Person on the
    spot; an anonymous caller may stay without one."""
    _require(by, Action.ENTER)
    clean = _check_fields(data)
    if person is not None and not in_scope(by, person.org_unit_id):
        raise Invalid({"person": [_("Unknown person.")]})
    if person is None and new_person:
        person = services.person_create(by=by, org_unit=org_unit, data=new_person)
    if assignee is not None:
        _check_assignee(assignee, org_unit.pk)
    received_at = received_at or timezone.now()
    if received_at > timezone.now() + datetime.timedelta(minutes=5):
        raise Invalid({"received_at": [_("A case cannot be received in the future.")]})
    received_on = timezone.localdate(received_at)
    case = Case(
        org_unit=org_unit,
        person=person,
        received_by=by,
        received_at=received_at,
        assignee=assignee,
        create_digest=create_digest,
        **clean,
    )
    if id is not None:
        case.id = id
    if case.category == Category.PETITION:
        case.accept_due_on = received_on + datetime.timedelta(days=PETITION_ACCEPT_DAYS)
    else:
        case.due_on = received_on + datetime.timedelta(
            days=service_days(org_unit=org_unit, category=case.category)
        )
    case.reference = next_reference(org_unit=org_unit, year=received_on.year)
    case.save()
    _event(case, "logged", by)
    return case


def _check_assignee(user, org_unit_id: int) -> None:
    if role_of(user) not in {Role.CASEWORKER, Role.FRONT_DESK} or not in_scope(user, org_unit_id):
        raise Invalid(
            {"assignee": [_("Assign to a caseworker or front-desk clerk who sees this case.")]}
        )


def _locked(case: Case) -> Case:
    # The case row is locked first by every move: concurrent moves are serialised.
    return Case.objects.select_for_update().get(pk=case.pk)


@transaction.atomic
def case_update(*, by, case: Case, data: dict) -> Case:
    _require(by, Action.ENTER)
    case = _locked(case)
    merged = {k: getattr(case, k) for k in CASE_FIELDS} | {
        k: v for k, v in data.items() if k in CASE_FIELDS
    }
    clean = _check_fields(merged)
    if clean["category"] != case.category and (
        case.category == Category.PETITION or clean["category"] == Category.PETITION
    ):
        raise Invalid(
            {"category": [_("A petition's deadlines cannot be switched on or off later.")]}
        )
    for name, value in clean.items():
        setattr(case, name, value)
    if "assignee" in data:
        if data["assignee"] is not None:
            _check_assignee(data["assignee"], case.org_unit_id)
        case.assignee = data["assignee"]
    case.save()
    return case


@transaction.atomic
def case_move(*, by, case: Case, action: str, note: str = "") -> Case:
    """start, resolve, close or reopen; referring goes through case_refer."""
    _require(by, Action.ENTER)
    if action not in Case.TRANSITIONS or action == "refer":
        raise Invalid({"action": [_("Unknown step.")]})
    case = _locked(case)
    target = case.next_status(action)
    if target is None:
        raise DomainError(
            _("This step is not possible for a case that is %(status)s.")
            % {"status": case.get_status_display()},
            code="invalid_transition",
        )
    if case.category == Category.PETITION and action == "resolve" and not case.acceptance:
        raise DomainError(
            _("Decide first whether the petition is accepted."), code="acceptance_pending"
        )
    before, case.status = case.status, target
    now = timezone.now()
    if action == "resolve":
        case.resolved_at = now
    elif action == "close":
        case.closed_at = now
    elif action == "reopen":
        case.resolved_at = case.closed_at = None
    case.save()
    _event(case, action, by, before=before, note=note)
    return case


@transaction.atomic
def petition_decide(
    *, by, case: Case, accept: bool, on: datetime.date | None = None, note: str = ""
) -> Case:
    """Decide whether a petition is accepted, and record that the petitioner was told."""
    _require(by, Action.ENTER)
    case = _locked(case)
    if case.category != Category.PETITION:
        raise DomainError(_("Only petitions are accepted or declined."), code="not_a_petition")
    if case.acceptance:
        raise DomainError(_("The acceptance was decided already."), code="already_decided")
    on = on or _today()
    if on > _today() or on < timezone.localdate(case.received_at):
        raise Invalid({"on": [_("Give the date it happened, not a future one.")]})
    case.acceptance = Case.Acceptance.ACCEPTED if accept else Case.Acceptance.NOT_ACCEPTED
    case.accepted_on = on
    before = case.status
    if accept:
        case.due_on = on + datetime.timedelta(days=PETITION_HANDLE_DAYS)
        if case.status == Case.Status.OPEN:
            case.status = Case.Status.IN_PROGRESS
    else:
        case.status, case.resolved_at = Case.Status.RESOLVED, timezone.now()
    case.save()
    _event(
        case,
        "accepted" if accept else "not_accepted",
        by,
        before=before,
        note=note or _("The petitioner was notified."),
    )
    return case


@transaction.atomic
def petition_extend(*, by, case: Case, days: int, reason: str) -> Case:
    """One extension of at most 30 days, with a notice to the petitioner."""
    _require(by, Action.ENTER)
    case = _locked(case)
    if case.category != Category.PETITION or case.acceptance != Case.Acceptance.ACCEPTED:
        raise DomainError(_("Only an accepted petition can be extended."), code="not_extendable")
    if case.extended_to is not None:
        raise DomainError(_("A petition can be extended only once."), code="already_extended")
    if not 1 <= days <= PETITION_MAX_EXTENSION_DAYS:
        raise Invalid({"days": [_("An extension is 1 to 30 days.")]})
    if not reason.strip():
        raise Invalid({"reason": [_("Say why more time is needed.")]})
    if not case.is_open():
        raise DomainError(_("The case is no longer open."), code="not_extendable")
    case.extended_to = case.due_on + datetime.timedelta(days=days)
    case.extension_reason = reason
    case.save()
    _event(
        case,
        "extended",
        by,
        before=case.status,
        note=_("Extended to %(date)s; the petitioner was notified.") % {"date": case.extended_to},
    )
    return case


@transaction.atomic
def case_assign(*, by, case: Case, assignee) -> Case:
    _require(by, Action.ENTER)
    case = _locked(case)
    _check_assignee(assignee, case.org_unit_id)
    case.assignee = assignee
    case.save()
    _event(case, "assigned", by, before=case.status, note=assignee.get_username())
    return case


@transaction.atomic
def note_add(*, by, case: Case, body: str, id=None, create_digest: str = "") -> CaseNote:
    _require(by, Action.ENTER)
    if not body.strip():
        raise Invalid({"body": [_("A note cannot be empty.")]})
    case = Case.objects.get(pk=case.pk)  # the assignee as stored now
    if not notes_readable_by(by, case):
        raise Refused(_("Only the assigned counsellor writes notes on a psychological-aid case."))
    note = CaseNote(
        org_unit_id=case.org_unit_id,
        case=case,
        body=body,
        created_by=by,
        create_digest=create_digest,
    )
    if id is not None:
        note.id = id
    note.save()
    return note


def notes_readable_by(user, case: Case) -> bool:
    """Psychological-aid notes: only the assigned counsellor and auditors read them."""
    if case.category != Category.PSYCHOLOGICAL:
        return True
    return (case.assignee_id is not None and case.assignee_id == user.pk) or role_of(
        user
    ) == Role.AUDITOR


def visible_notes(user, queryset: QuerySet) -> QuerySet:
    """The notes of `queryset` this user may read (the rule above, as a query)."""
    if role_of(user) == Role.AUDITOR:
        return queryset
    return queryset.filter(~Q(case__category=Category.PSYCHOLOGICAL) | Q(case__assignee=user))


@transaction.atomic
def follow_up_record(*, by, case: Case, satisfaction: int | None, remarks: str = "") -> Case:
    """The follow-up call (回访) after resolution, with the person's satisfaction."""
    _require(by, Action.ENTER)
    case = _locked(case)
    if case.status not in {Case.Status.RESOLVED, Case.Status.CLOSED}:
        raise DomainError(
            _("The follow-up call comes after the case is resolved."), code="invalid_transition"
        )
    if satisfaction is not None and not 1 <= int(satisfaction) <= 5:
        raise Invalid({"satisfaction": [_("Satisfaction is 1 to 5.")]})
    case.followed_up_at = timezone.now()
    case.satisfaction = satisfaction
    case.follow_up_remarks = remarks
    case.save()
    _event(case, "followed_up", by, before=case.status, note=remarks)
    return case


@transaction.atomic
def case_refer(*, by, case: Case, target: str, data: dict | None = None) -> Referral:
    """Refer the case to a service app, which creates or links its own record."""
    _require(by, Action.ENTER)
    plug = referrals.TARGETS.get(target)
    if plug is None:
        raise Invalid({"target": [_("Choose one of the listed services.")]})
    case = _locked(case)
    if case.next_status("refer") is None:
        raise DomainError(
            _("This step is not possible for a case that is %(status)s.")
            % {"status": case.get_status_display()},
            code="invalid_transition",
        )
    if case.person_id is None:
        raise Invalid({"person": [_("Record who the person is before referring the case.")]})
    record_id = plug.create(by=by, case=case, data=data or {})
    referral = Referral.objects.create(
        org_unit_id=case.org_unit_id,
        case=case,
        target=target,
        record_label=plug.record_label,
        record_id=str(record_id),
        created_by=by,
    )
    before, case.status = case.status, Case.Status.REFERRED
    case.save()
    _event(case, "referred", by, before=before, note=str(plug.label))
    return referral


def refresh_referrals(queryset: QuerySet) -> list[Referral]:
    """Ask each service app how far its records got (one call per app, not per record) and
    store the answer; returns the referrals with `progress_text` set."""
    rows = list(queryset)
    by_target: dict[str, list[Referral]] = {}
    for referral in rows:
        by_target.setdefault(referral.target, []).append(referral)
    now = timezone.now()
    for key, group in by_target.items():
        plug = referrals.TARGETS.get(key)
        answers = plug.progress([r.record_id for r in group]) if plug else {}
        for referral in group:
            status, text = answers.get(referral.record_id, (referral.status, ""))
            referral.progress_text = text
            if status != referral.status:
                Referral.objects.filter(pk=referral.pk).update(
                    status=status, picked_up_at=referral.picked_up_at or now
                )
                referral.status = status
    return rows


def stuck_referrals(*, user) -> list[Referral]:
    """Referrals in the user's scope never picked up by the service they went to."""
    cutoff = timezone.now() - datetime.timedelta(days=REFERRAL_STUCK_DAYS)
    candidates = scoped(user, Referral).filter(status=Referral.Status.SENT, created_at__lt=cutoff)
    rows = refresh_referrals(candidates.select_related("case"))
    return [r for r in rows if r.status == Referral.Status.SENT]


def deadline_expression():
    """The case's current deadline as SQL (as Case.deadline does in Python)."""
    return SqlCase(
        When(category=Category.PETITION, acceptance="", then=F("accept_due_on")),
        default=Coalesce(F("extended_to"), F("due_on")),
    )


OPEN_STATUSES = ("open", "in_progress", "referred")


def overdue_q(today: datetime.date | None = None) -> Q:
    return Q(status__in=OPEN_STATUSES, current_deadline__lt=today or _today())


def due_soon_q(today: datetime.date | None = None) -> Q:
    today = today or _today()
    return Q(
        status__in=OPEN_STATUSES,
        current_deadline__gte=today,
        current_deadline__lte=today + datetime.timedelta(days=DUE_SOON_DAYS),
    )


def with_deadline(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(current_deadline=deadline_expression())


def queue(*, user) -> QuerySet:
    """My queue: open cases assigned to me or unassigned in my unit's scope, overdue first,
    then by deadline."""
    today = _today()
    cases = with_deadline(scoped(user, Case).filter(status__in=OPEN_STATUSES))
    cases = cases.filter(Q(assignee=user) | Q(assignee__isnull=True))
    return (
        cases.annotate(
            overdue=SqlCase(When(current_deadline__lt=today, then=Value(0)), default=Value(1))
        )
        .select_related("person", "assignee", "org_unit")
        .order_by("overdue", F("current_deadline").asc(nulls_last=True), "received_at")
    )


def deadline_counts(*, user) -> dict:
    """For the home page: open cases in scope that are overdue or due soon."""
    cases = with_deadline(scoped(user, Case))
    return {
        "overdue": cases.filter(overdue_q()).count(),
        "due_soon": cases.filter(due_soon_q()).count(),
    }
