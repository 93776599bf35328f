"""Operations on people and household files: keyword-only, atomic, raising domain errors
that the API, the admin and the pages each translate. Scope is the caller's job (records come
from `aidcenter.scope.scoped`); what a role may do is checked here, so it holds on every path."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from aidcenter.errors import DomainError, Invalid, Refused
from aidcenter.models import OrgUnit
from aidcenter.roles import Action, can
from aidcenter.scope import in_scope, scoped
from cases import idnumbers
from cases.models import (
    FileEvent,
    FileTransfer,
    HouseholdMember,
    MinimumLivingLine,
    NoticeObjection,
    Person,
    Worker,
    WorkerDocument,
)

PERSON_FIELDS = ("name", "phone", "national_id", "is_migrant", "hukou")
EDITABLE_STATUSES = ("draft", "rejected", "registered")  # under review or ended: frozen
DUPLICATE_CONSTRAINTS = ("member_one_active_file_per_person", "person_national_id_unique")


class DuplicateNationalId(DomainError):
    code = "duplicate_national_id"


def _require(user, action: str) -> None:
    if not can(user, action):
        raise Refused(_("Your role may not do this."))


def _today() -> datetime.date:
    return timezone.localdate()  # Asia/Shanghai


def _duplicate() -> DuplicateNationalId:
    # Says nothing of the other file: it may lie outside the caller's scope.
    return DuplicateNationalId(_("This person already stands in an active household file."))


def _is_duplicate(exc: IntegrityError) -> bool:
    return any(name in str(exc) for name in DUPLICATE_CONSTRAINTS)


# --- People ---------------------------------------------------------------------------------
def _clean_person_fields(data: dict) -> dict:
    """Validate the person fields present in `data`; a masked ID sent back is ignored."""
    clean = {k: data[k] for k in PERSON_FIELDS if k in data}
    if "national_id" in clean:
        raw = clean["national_id"]
        if raw in (None, ""):
            clean["national_id"] = None
        elif idnumbers.is_masked(raw):
            del clean["national_id"]  # API.md: a masked value sent back is never stored
        else:
            try:
                clean["national_id"] = idnumbers.validate(raw)
            except ValueError as exc:
                raise Invalid({"national_id": [str(exc)]}) from None
    if "name" in clean:
        clean["name"] = (clean["name"] or "").strip()
        if not clean["name"]:
            raise Invalid({"name": [_("This field is required.")]})
    if "phone" in clean:
        phone = re.sub(r"[\s-]", "", clean["phone"] or "")
        if phone and not re.fullmatch(r"\+?\d{5,15}", phone):
            raise Invalid({"phone": [_("Enter a phone number of digits only.")]})
        clean["phone"] = phone
    return clean


def _apply_person_fields(person: Person, clean: dict) -> None:
    for field, value in clean.items():
        setattr(person, field, value)
    if clean.get("national_id"):
        person.birth_date = idnumbers.birth_date(person.national_id)
        person.sex = idnumbers.sex(person.national_id)
    elif "national_id" in clean:
        person.birth_date, person.sex = None, ""


def _save_person(person: Person) -> Person:
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as exc:
        if _is_duplicate(exc):
            raise DuplicateNationalId(
                _("A person with this ID number is already registered.")
            ) from None
        raise
    return person


@transaction.atomic
def person_create(*, by, org_unit: OrgUnit, data: dict, id=None, create_digest: str = "") -> Person:
    _require(by, Action.ENTER)
    clean = _clean_person_fields(data)
    if "name" not in clean:
        raise Invalid({"name": [_("This field is required.")]})
    person = Person(org_unit=org_unit, create_digest=create_digest)
    if id is not None:
        person.id = id
    _apply_person_fields(person, clean)
    return _save_person(person)


@transaction.atomic
def person_update(*, by, person: Person, data: dict) -> Person:
    _require(by, Action.ENTER)
    clean = _clean_person_fields(data)
    if "org_unit" in data and data["org_unit"] is not None:
        person.org_unit = data["org_unit"]
    _apply_person_fields(person, clean)
    return _save_person(person)


def _person_for_file(*, by, org_unit: OrgUnit, data: dict) -> Person:
    """The Person a new file or member stands for: found city-wide by ID number, else created.

    A file may be opened for someone another unit first met (a walk-in elsewhere): the ID
    number is the person, wherever they were first recorded."""
    clean = _clean_person_fields(data)
    number = clean.get("national_id")
    if not number:
        raise Invalid({"national_id": [_("A household file needs the ID number.")]})
    person = (
        Person.objects.select_for_update()
        .filter(national_id=number, deleted_at__isnull=True)
        .first()
    )
    if person is None:
        if not clean.get("name"):
            raise Invalid({"name": [_("This field is required.")]})
        person = Person(org_unit=org_unit)
        _apply_person_fields(person, clean)
        return _save_person(person)
    if HouseholdMember.objects.filter(person=person, file_active=True).exists():
        raise _duplicate()
    if in_scope(by, person.org_unit_id):
        _apply_person_fields(person, {k: v for k, v in clean.items() if k != "national_id"})
        _save_person(person)
    return person


def search_people(*, user, q: str) -> QuerySet:
    """People in the user's scope matching a full or partial ID number, a name (Chinese,
    partial) or a phone. Every branch is served by an index (trigram GIN or the unique one):

    * 18 characters: the ID number itself;
    * 4–6 digits (or ending in X): the ID number's last characters — what a clerk reads off
      a card — or a phone's last digits;
    * 7 or more digits: anywhere in an ID number or a phone;
    * a name of 3 or more characters: anywhere in the name; of 1–2 characters: at its start
      or end. A trigram index cannot serve two characters in the middle, and in Chinese names
      of up to three characters two characters are always at the start or the end; only the
      middle of four-character names (compound surnames) is not found by two characters.
    """
    q = idnumbers.normalise(q)
    if not q:
        return Person.objects.none()
    # Sorted by an expression of the name, not the name: with the plain column, the planner
    # walks the name index hoping to meet 50 matches early, and for a rare pair of characters
    # reads half the city (bench/registry.py: 571 ms). The matches are few; sorting them is not.
    people = scoped(user, Person).order_by(Lower("name"), "id")
    if re.fullmatch(r"\d{17}[\dX]", q):
        return people.filter(national_id=q)
    if re.fullmatch(r"[\dX]+", q):
        if len(q) < 4:
            return people.filter(phone__endswith=q) if q.isdigit() else people.none()
        if len(q) <= 6:
            condition = Q(national_id__endswith=q)
            if q.isdigit():
                condition |= Q(phone__endswith=q)
            return people.filter(condition)
        condition = Q(national_id__contains=q)
        if q.isdigit():
            condition |= Q(phone__contains=q)
        return people.filter(condition)
    if len(q) <= 2:
        return people.filter(Q(name__startswith=q) | Q(name__endswith=q))
    return people.filter(name__contains=q)


def person_lookup(*, user, national_id: str) -> dict:
    """City-wide, beyond scope: only whether the number is known, which unit keeps the person's
    file and its status — enough to refer the person or ask for a transfer."""
    _require(user, Action.READ)
    try:
        number = idnumbers.validate(national_id)
    except ValueError as exc:
        raise Invalid({"national_id": [str(exc)]}) from None
    person = Person.objects.filter(national_id=number, deleted_at__isnull=True).first()
    if person is None:
        return {"exists": False}
    membership = (
        HouseholdMember.objects.filter(person=person, deleted_at__isnull=True)
        .select_related("worker__org_unit")
        .order_by("-file_active", "-worker__updated_at")
        .first()
    )
    if membership is not None:
        unit, status = membership.worker.org_unit.code, membership.worker.status
    else:
        unit, status = (
            Person.objects.filter(pk=person.pk).values_list("org_unit__code", flat=True)[0],
            None,
        )
    return {"exists": True, "org_unit": unit, "file_status": status}


# --- Household files ------------------------------------------------------------------------
WORKER_FIELDS = (
    "address",
    "employer_name",
    "union_member_no",
    "employment_status",
    "household_income_year",
    "major_costs_year",
    "income_per_head",
    "hardship_level",
    "main_cause",
    "secondary_causes",
    "file_level",
    "national_file_no",
    "is_model_worker",
    "consent_signed_on",
    "home_visit_on",
    "home_visit_note",
    "notice_starts_on",
    "notice_ends_on",
)


def _event(worker: Worker, kind: str, by, on: datetime.date | None = None, note: str = "") -> None:
    FileEvent.objects.create(
        org_unit_id=worker.org_unit_id,
        worker=worker,
        kind=kind,
        on=on or _today(),
        by=by,
        note=note,
    )


def _check_worker_fields(fields: dict) -> None:
    causes = fields.get("secondary_causes")
    if causes is not None:
        unknown = [c for c in causes if c not in Worker.Cause.values]
        if unknown:
            raise Invalid({"secondary_causes": [_("Unknown cause: %(c)s") % {"c": unknown[0]}]})
    for name in ("household_income_year", "major_costs_year", "income_per_head"):
        value = fields.get(name)
        if value is not None and Decimal(value) < 0:
            raise Invalid({name: [_("An amount cannot be negative.")]})
    starts, ends = fields.get("notice_starts_on"), fields.get("notice_ends_on")
    if starts and ends and ends < starts:
        raise Invalid({"notice_ends_on": [_("The notice cannot end before it starts.")]})


@transaction.atomic
def worker_create(
    *, by, org_unit: OrgUnit, head: dict, fields: dict, id=None, create_digest: str = ""
) -> Worker:
    _require(by, Action.ENTER)
    _check_worker_fields(fields)
    person = _person_for_file(by=by, org_unit=org_unit, data=head)
    worker = Worker(
        org_unit=org_unit,
        person=person,
        entered_by=by,
        create_digest=create_digest,
        **{k: v for k, v in fields.items() if k in WORKER_FIELDS},
    )
    if id is not None:
        worker.id = id
    worker.save()
    try:
        with transaction.atomic():
            HouseholdMember.objects.create(
                org_unit=org_unit,
                worker=worker,
                person=person,
                relation=HouseholdMember.Relation.HEAD,
            )
    except IntegrityError as exc:
        if _is_duplicate(exc):
            raise _duplicate() from None
        raise
    _event(worker, FileEvent.Kind.CREATED, by)
    return worker


@transaction.atomic
def worker_update(*, by, worker: Worker, head: dict, fields: dict) -> Worker:
    _require(by, Action.ENTER)
    if worker.status not in EDITABLE_STATUSES:
        raise DomainError(_("A file under review or ended cannot be edited."), code="not_editable")
    _check_worker_fields(fields)
    if head:
        person_update(by=by, person=worker.person, data=head)
    for name, value in fields.items():
        if name in WORKER_FIELDS:
            setattr(worker, name, value)
    worker.save()
    return worker


@transaction.atomic
def member_add(
    *,
    by,
    worker: Worker,
    person_data: dict,
    relation: str,
    school: str = "",
    health_note: str = "",
    id=None,
    create_digest: str = "",
) -> HouseholdMember:
    _require(by, Action.ENTER)
    if relation == HouseholdMember.Relation.HEAD:
        raise Invalid({"relation": [_("The head is recorded on the file itself.")]})
    if not worker.is_active:
        raise DomainError(_("Members are added to active files only."), code="not_editable")
    person = _person_for_file(by=by, org_unit=worker.org_unit, data=person_data)
    member = HouseholdMember(
        org_unit_id=worker.org_unit_id,
        worker=worker,
        person=person,
        relation=relation,
        school=school,
        health_note=health_note,
        create_digest=create_digest,
    )
    if id is not None:
        member.id = id
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:
        if _is_duplicate(exc):
            raise _duplicate() from None
        raise
    Worker.objects.filter(pk=worker.pk).update(updated_at=timezone.now())  # household_size changed
    return member


@transaction.atomic
def member_update(
    *, by, member: HouseholdMember, person_data: dict, fields: dict
) -> HouseholdMember:
    _require(by, Action.ENTER)
    if person_data:
        person_update(by=by, person=member.person, data=person_data)
    if fields.get("relation") == HouseholdMember.Relation.HEAD:
        raise Invalid({"relation": [_("The head is recorded on the file itself.")]})
    for name in ("relation", "school", "health_note"):
        if name in fields:
            setattr(member, name, fields[name])
    member.save()
    return member


def review_overdue_q(today: datetime.date | None = None) -> Q:
    """Registered files whose yearly review (年度复核) is past due."""
    year_ago = _years_before(today or _today(), 1)
    return Q(status=Worker.Status.REGISTERED) & (
        Q(last_reviewed_on__lt=year_ago)
        | Q(last_reviewed_on__isnull=True, registered_on__lt=year_ago)
    )


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _locked(worker: Worker) -> Worker:
    # Lock the file row first: two officers acting at once see one another's decision.
    return Worker.objects.select_for_update().select_related("person").get(pk=worker.pk)


def _move(worker: Worker, action: str) -> str:
    target = worker.next_status(action)
    if target is None:
        raise DomainError(
            _("This step is not possible for a file that is %(status)s.")
            % {"status": worker.get_status_display()},
            code="invalid_transition",
        )
    return target


@transaction.atomic
def worker_submit(*, by, worker: Worker) -> Worker:
    _require(by, Action.ENTER)
    worker = _locked(worker)
    target = _move(worker, "submit")
    gaps = worker.opening_gaps()
    if gaps:
        raise DomainError(
            _("Still missing: %(gaps)s.") % {"gaps": "、".join(str(g) for g in gaps)},
            code="incomplete",
        )
    worker.status, worker.submitted_at = target, timezone.now()
    worker.save()
    _event(worker, FileEvent.Kind.SUBMITTED, by)
    return worker


def _check_reviewer(by, worker: Worker) -> None:
    _require(by, Action.REVIEW_FILES)
    if worker.entered_by_id == by.pk:
        raise Refused(_("The person who entered a file may not review it."))


@transaction.atomic
def worker_approve(*, by, worker: Worker, opinion: str = "") -> Worker:
    worker = _locked(worker)
    _check_reviewer(by, worker)
    target = _move(worker, "approve")
    today = _today()
    if worker.notice_ends_on is None or worker.notice_ends_on >= today:
        raise DomainError(_("The public notice has not ended yet."), code="notice_running")
    if worker.objections.filter(resolved_on__isnull=True).exists():
        raise DomainError(
            _("An objection from the public notice is not resolved."), code="objection_open"
        )
    worker.status, worker.registered_on = target, today
    worker.decided_by, worker.decided_at, worker.decision_opinion = by, timezone.now(), opinion
    worker.save()
    _event(worker, FileEvent.Kind.APPROVED, by, note=opinion)
    return worker


@transaction.atomic
def worker_reject(*, by, worker: Worker, opinion: str) -> Worker:
    if not (opinion or "").strip():
        raise Invalid({"opinion": [_("A rejection needs a written opinion.")]})
    worker = _locked(worker)
    _check_reviewer(by, worker)
    worker.status = _move(worker, "reject")
    worker.decided_by, worker.decided_at, worker.decision_opinion = by, timezone.now(), opinion
    worker.save()
    _event(worker, FileEvent.Kind.REJECTED, by, note=opinion)
    return worker


def _end(*, by, worker: Worker, action: str, reason: str, on: datetime.date, note: str) -> Worker:
    _require(by, Action.REVIEW_FILES)
    if reason not in Worker.EndReason.values:
        raise Invalid({"reason": [_("Choose one of the listed reasons.")]})
    if on is None or on > _today():
        raise Invalid({"on": [_("Give the date it happened, not a future one.")]})
    worker = _locked(worker)
    worker.status = _move(worker, action)
    worker.ended_on, worker.end_reason = on, reason
    worker.save()
    kind = FileEvent.Kind.LIFTED if action == "lift" else FileEvent.Kind.CLOSED
    _event(worker, kind, by, on=on, note=note or Worker.EndReason(reason).label)
    return worker


@transaction.atomic
def worker_lift(*, by, worker: Worker, reason: str, on: datetime.date, note: str = "") -> Worker:
    return _end(by=by, worker=worker, action="lift", reason=reason, on=on, note=note)


@transaction.atomic
def worker_close(*, by, worker: Worker, reason: str, on: datetime.date, note: str = "") -> Worker:
    return _end(by=by, worker=worker, action="close", reason=reason, on=on, note=note)


@transaction.atomic
def worker_reopen(*, by, worker: Worker, note: str = "") -> Worker:
    """A household that falls back into hardship (返困), or a rejected file to be corrected:
    the same file returns to draft with its history, and goes through review again."""
    _require(by, Action.ENTER)
    worker = _locked(worker)
    worker.status = _move(worker, "reopen")
    worker.ended_on, worker.end_reason = None, ""
    worker.submitted_at = worker.decided_at = None
    worker.decided_by, worker.registered_on = None, None
    try:
        with transaction.atomic():
            worker.save()
    except IntegrityError as exc:
        if _is_duplicate(exc):
            raise _duplicate() from None
        raise
    _event(worker, FileEvent.Kind.REOPENED, by, note=note)
    return worker


@transaction.atomic
def worker_review(*, by, worker: Worker, on: datetime.date, note: str = "") -> Worker:
    """The yearly review (年度复核) of a registered file."""
    _require(by, Action.RUN_SERVICES)
    worker = _locked(worker)
    if worker.status != Worker.Status.REGISTERED:
        raise DomainError(_("Only registered files are reviewed."), code="invalid_transition")
    if on > _today():
        raise Invalid({"on": [_("Give the date it happened, not a future one.")]})
    worker.last_reviewed_on = on
    worker.save()
    _event(worker, FileEvent.Kind.REVIEWED, by, on=on, note=note)
    return worker


@transaction.atomic
def follow_up_record(*, by, worker: Worker, on: datetime.date, note: str) -> FileEvent:
    """A follow-up visit to a household lifted out of hardship."""
    _require(by, Action.RUN_SERVICES)
    worker = _locked(worker)
    if worker.status != Worker.Status.LIFTED:
        raise DomainError(
            _("Follow-up visits are for lifted households."), code="invalid_transition"
        )
    _event(worker, FileEvent.Kind.FOLLOW_UP, by, on=on, note=note)
    return worker.timeline.order_by("-id").first()


@transaction.atomic
def objection_record(
    *, by, worker: Worker, received_on: datetime.date, content: str
) -> NoticeObjection:
    _require(by, Action.ENTER)
    return NoticeObjection.objects.create(
        org_unit_id=worker.org_unit_id, worker=worker, received_on=received_on, content=content
    )


@transaction.atomic
def objection_resolve(*, by, objection: NoticeObjection, resolution: str) -> NoticeObjection:
    _require(by, Action.ENTER)
    if not resolution.strip():
        raise Invalid({"resolution": [_("Say how the objection was resolved.")]})
    objection.resolved_on, objection.resolution = _today(), resolution
    objection.save(update_fields=["resolved_on", "resolution"])
    return objection


# --- Transfers between units ----------------------------------------------------------------
@transaction.atomic
def transfer_request(*, by, worker: Worker, to_unit: OrgUnit, reason: str = "") -> FileTransfer:
    _require(by, Action.ENTER)
    if to_unit.pk == worker.org_unit_id:
        raise Invalid({"to_unit": [_("The file is already kept by this unit.")]})
    if FileTransfer.objects.filter(worker=worker, status="pending").exists():
        raise DomainError(_("A transfer of this file is already pending."), code="transfer_pending")
    transfer = FileTransfer.objects.create(
        worker=worker,
        from_unit_id=worker.org_unit_id,
        to_unit=to_unit,
        reason=reason,
        requested_by=by,
    )
    _event(worker, FileEvent.Kind.TRANSFER_REQUESTED, by, note=to_unit.name)
    return transfer


@transaction.atomic
def transfer_decide(*, by, transfer: FileTransfer, accept: bool) -> FileTransfer:
    """The receiving unit (or anyone above it) accepts or refuses; on acceptance the file, its
    members and its records move to the new unit."""
    _require(by, Action.ENTER)
    transfer = FileTransfer.objects.select_for_update().get(pk=transfer.pk)
    if transfer.status != FileTransfer.Status.PENDING:
        raise DomainError(_("This transfer was already decided."), code="already_decided")
    if not in_scope(by, transfer.to_unit_id):
        raise Refused(_("Only the receiving unit decides a transfer."))
    worker = _locked(transfer.worker)
    transfer.status = FileTransfer.Status.ACCEPTED if accept else FileTransfer.Status.REFUSED
    transfer.decided_by, transfer.decided_at = by, timezone.now()
    transfer.save()
    if accept:
        worker.org_unit_id = transfer.to_unit_id
        worker.save()
        worker.members.update(org_unit_id=transfer.to_unit_id)
        Person.objects.filter(memberships__worker=worker).update(org_unit_id=transfer.to_unit_id)
        for model in (WorkerDocument, NoticeObjection):
            model.objects.filter(worker=worker).update(org_unit_id=transfer.to_unit_id)
        _event(worker, FileEvent.Kind.TRANSFERRED, by, note=transfer.to_unit.name)
    else:
        _event(worker, FileEvent.Kind.TRANSFER_REFUSED, by, note=transfer.to_unit.name)
    return transfer


# --- Eligibility ----------------------------------------------------------------------------
def living_line_for(*, org_unit: OrgUnit, year: int) -> Decimal | None:
    """The minimum-living line in force for a unit: its own for the year, else its nearest
    ancestor's (a city sets one line; a district may set its own)."""
    lines = dict(
        MinimumLivingLine.objects.filter(year=year).values_list("org_unit_id", "monthly_amount")
    )
    parents = dict(OrgUnit.objects.values_list("id", "parent_id"))
    unit_id = org_unit.pk
    while unit_id is not None:
        if unit_id in lines:
            return lines[unit_id]
        unit_id = parents.get(unit_id)
    return None


def active_file_of(person: Person) -> Worker | None:
    """The active household file the person stands in (as head or member), if any."""
    membership = (
        HouseholdMember.objects.filter(person=person, file_active=True)
        .select_related("worker")
        .first()
    )
    return membership.worker if membership else None
