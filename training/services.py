"""Operations of skills training: keyword-only, atomic, raising domain errors that the API, the
admin and the pages each translate. Scope of the records passed in is the caller's job
(`aidcenter.scope.scoped`); what a role may do, and in which unit, is checked here.

Locks: the class row first, then its enrolments. Front-desk referrals (cases) call
`enrolment_create` directly; jobs' matcher reads `valid_certificates`.

Fee subsidies: when a trainee completes a class that grants one, the subsidy is recorded on
the enrolment and a draft aid application of type `training` is opened for it in funds. The
caseworker adds the payee's account and submits it there; approvers and the fund manager
then treat it like any aid (earmarks, caps, two approvals above the limit, the ledger).
Nothing here moves money.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from aidcenter.errors import DomainError, Invalid, Refused
from aidcenter.inputs import choice as _choice
from aidcenter.inputs import date as _date
from aidcenter.inputs import money as _money
from aidcenter.inputs import text as _text
from aidcenter.models import OrgUnit
from aidcenter.roles import Action, can
from aidcenter.scope import in_scope, scoped
from training.models import PLACE_TAKING, Certificate, Course, Enrolment, TrainingClass

Status = Enrolment.Status


def _require(user, action: str) -> None:
    if not can(user, action):
        raise Refused(_("Your role may not do this."))


def _require_unit(user, unit: OrgUnit) -> None:
    if not in_scope(user, unit.pk):
        raise Refused(_("This unit is outside your scope."))


def _today() -> datetime.date:
    return timezone.localdate()  # Asia/Shanghai


# --- Courses --------------------------------------------------------------------------------
@transaction.atomic
def course_create(*, by, data: dict) -> Course:
    _require(by, Action.RUN_SERVICES)
    course = Course(
        name=_text(data, "name", max_length=100, required=True),
        level=_choice(data, "level", Course.Level) or "",
    )
    if not course.level:
        raise Invalid({"level": [_("This field is required.")]})
    course.kind = _choice(data, "kind", Course.Kind) or course.kind
    course.provider = _text(data, "provider", max_length=100) or ""
    course.certificate_name = _text(data, "certificate_name", max_length=100) or ""
    course.save()
    return course


@transaction.atomic
def course_update(*, by, course: Course, data: dict) -> Course:
    _require(by, Action.RUN_SERVICES)
    for name in ("name", "provider", "certificate_name"):
        value = _text(data, name, max_length=100, required=name == "name" and name in data)
        if value is not None:
            setattr(course, name, value)
    course.level = _choice(data, "level", Course.Level) or course.level
    course.kind = _choice(data, "kind", Course.Kind) or course.kind
    course.save()
    return course


# --- Classes --------------------------------------------------------------------------------
def _class_fields(data: dict, training_class: TrainingClass) -> None:
    for name, length in (("name", 100), ("venue", 200)):
        value = _text(data, name, max_length=length)
        if value is not None:
            setattr(training_class, name, value)
    for name in ("starts_on", "ends_on"):
        day = _date(data, name)
        if day is not None:
            setattr(training_class, name, day)
    if "capacity" in data:
        capacity = data["capacity"]
        if isinstance(capacity, bool) or not str(capacity).isdigit() or not int(capacity) >= 1:
            raise Invalid({"capacity": [_("Enter a whole number of at least 1.")]})
        if int(capacity) > 10000:
            raise Invalid({"capacity": [_("Enter a whole number of at least 1.")]})
        training_class.capacity = int(capacity)
    for name in ("fee", "subsidy"):
        if name in data:
            setattr(training_class, name, _money(data, name) or Decimal("0.00"))
    starts, ends = training_class.starts_on, training_class.ends_on
    if starts and ends and ends < starts:
        raise Invalid({"ends_on": [_("The class cannot end before it starts.")]})
    if training_class.subsidy > training_class.fee:
        raise Invalid({"subsidy": [_("The subsidy cannot be more than the fee.")]})


@transaction.atomic
def class_create(*, by, org_unit: OrgUnit, course: Course, data: dict) -> TrainingClass:
    _require(by, Action.RUN_SERVICES)
    _require_unit(by, org_unit)
    for name in ("starts_on", "ends_on", "capacity"):
        if data.get(name) in (None, ""):
            raise Invalid({name: [_("This field is required.")]})
    training_class = TrainingClass(org_unit=org_unit, course=course)
    _class_fields(data, training_class)
    training_class.save()
    return training_class


def _lock_class(training_class: TrainingClass) -> TrainingClass:
    # The class row is the first lock of every enrolment change: two clerks taking the last
    # place at once are serialised here, and the second one is put on the waiting list.
    return TrainingClass.objects.select_for_update().get(pk=training_class.pk)


def _move_up(training_class: TrainingClass) -> list[Enrolment]:
    """Fill free places from the waiting list, first come first served. The class is locked."""
    free = training_class.capacity - training_class.enrolled
    if free <= 0:
        return []
    waiting = list(
        Enrolment.objects.select_for_update()
        .filter(training_class=training_class, status=Status.WAITING, deleted_at__isnull=True)
        .order_by("queued_at", "id")[:free]
    )
    for enrolment in waiting:
        enrolment.status = Status.ENROLLED
        enrolment.save(update_fields=["status"])
    return waiting


@transaction.atomic
def class_update(*, by, training_class: TrainingClass, data: dict) -> TrainingClass:
    _require(by, Action.RUN_SERVICES)
    _require_unit(by, training_class.org_unit)
    training_class = _lock_class(training_class)
    if data.get("org_unit") is not None:
        _require_unit(by, data["org_unit"])
        training_class.org_unit = data["org_unit"]
    if data.get("course") is not None:
        training_class.course = data["course"]
    _class_fields(data, training_class)
    if training_class.capacity < training_class.enrolled:
        raise DomainError(
            _("%(n)d places are taken; the capacity cannot be smaller.")
            % {"n": training_class.enrolled},
            code="capacity_below_enrolled",
        )
    training_class.save()
    if _move_up(training_class):  # a larger class takes people off its waiting list
        training_class.refresh_from_db()
    return training_class


# --- Enrolments -----------------------------------------------------------------------------
@transaction.atomic
def enrolment_create(
    *,
    by,
    person,
    training_class: TrainingClass,
    org_unit: OrgUnit | None = None,
    id=None,
    create_digest: str = "",
) -> Enrolment:
    """Enrol a Person in a class, or put them on its waiting list when it is full.
    Front-desk referrals call this directly."""
    _require(by, Action.ENTER)
    org_unit = org_unit or by.staff.org_unit
    _require_unit(by, org_unit)
    if person is None or person.deleted_at is not None or not in_scope(by, person.org_unit_id):
        raise Invalid({"person": [_("Unknown person.")]})
    training_class = _lock_class(training_class)
    if training_class.ends_on < _today():
        raise DomainError(_("This class has ended."), code="class_ended")
    enrolment = Enrolment(
        org_unit=org_unit,
        person=person,
        training_class=training_class,
        status=Status.ENROLLED
        if training_class.enrolled < training_class.capacity
        else Status.WAITING,
        create_digest=create_digest,
    )
    if id is not None:
        enrolment.id = id
    try:
        with transaction.atomic():
            enrolment.save()
    except IntegrityError as exc:
        if "enrolment_once_per_class" in str(exc):
            raise DomainError(
                _("This person is enrolled in this class already."), code="already_enrolled"
            ) from None
        raise
    return enrolment


def _locked_enrolment(enrolment: Enrolment) -> tuple[TrainingClass, Enrolment]:
    training_class = _lock_class(enrolment.training_class)
    return training_class, Enrolment.objects.select_for_update().get(pk=enrolment.pk)


@transaction.atomic
def enrolment_drop(*, by, enrolment: Enrolment) -> Enrolment:
    """The person leaves the class or the waiting list; a freed place goes to the first one
    waiting, in the same transaction."""
    _require(by, Action.ENTER)
    training_class, enrolment = _locked_enrolment(enrolment)
    if enrolment.status not in (Status.ENROLLED, Status.WAITING):
        raise DomainError(
            _("Only an enrolled or waiting person can drop out."), code="invalid_transition"
        )
    enrolment.status = Status.DROPPED
    enrolment.save()
    training_class.refresh_from_db(fields=["enrolled"])
    _move_up(training_class)
    return enrolment


@transaction.atomic
def enrolment_delete(*, by, enrolment: Enrolment) -> None:
    """Soft delete (an enrolment entered by mistake): a place it held goes to the first one
    waiting, as when the person drops out."""
    _require(by, Action.ENTER)
    training_class, enrolment = _locked_enrolment(enrolment)
    enrolment.deleted_at = timezone.now()
    enrolment.save(update_fields=["deleted_at", "updated_at"])
    training_class.refresh_from_db(fields=["enrolled"])
    _move_up(training_class)


@transaction.atomic
def enrolment_complete(*, by, enrolment: Enrolment, exam_passed: bool | None) -> Enrolment:
    """The trainee finished the class, with the exam result when there was one. The fee
    subsidy the class grants is recorded and drafted as an aid application (module note)."""
    _require(by, Action.RUN_SERVICES)
    training_class, enrolment = _locked_enrolment(enrolment)
    if enrolment.status not in (Status.ENROLLED, Status.COMPLETED):
        raise DomainError(
            _("Only an enrolled trainee can complete the class."), code="invalid_transition"
        )
    enrolment.status, enrolment.exam_passed = Status.COMPLETED, exam_passed
    if training_class.subsidy > 0 and enrolment.subsidy_application_id is None:
        enrolment.subsidy_amount = training_class.subsidy
        enrolment.subsidy_application = _draft_subsidy(by, enrolment, training_class)
    enrolment.save()
    return enrolment


def _draft_subsidy(by, enrolment: Enrolment, training_class: TrainingClass):
    """The class's fee subsidy as a draft `training` aid application for the trainee."""
    from funds import services as funds

    person = enrolment.person
    return funds.application_create(
        by=by,
        org_unit=enrolment.org_unit,
        person=person,
        data={
            "aid_type": "training",
            "amount": training_class.subsidy,
            "reason": _("Fee subsidy of the training class %(name)s (%(start)s – %(end)s).")
            % {
                "name": str(training_class),
                "start": training_class.starts_on,
                "end": training_class.ends_on,
            },
            "payee_name": person.name,
        },
    )


@transaction.atomic
def enrolment_update(*, by, enrolment: Enrolment, data: dict) -> Enrolment:
    """Attendance and exam result, entered by the class's caseworkers."""
    _require(by, Action.RUN_SERVICES)
    if "sessions_attended" in data:
        value = data["sessions_attended"]
        if isinstance(value, bool) or not str(value).isdigit() or int(value) > 1000:
            raise Invalid({"sessions_attended": [_("Enter a whole number.")]})
        enrolment.sessions_attended = int(value)
    if "exam_passed" in data:
        if data["exam_passed"] not in (True, False, None):
            raise Invalid({"exam_passed": [_("Enter true, false or null.")]})
        if enrolment.status not in PLACE_TAKING:
            raise DomainError(
                _("Only a trainee in the class can have an exam result."),
                code="invalid_transition",
            )
        enrolment.exam_passed = data["exam_passed"]
    enrolment.save()
    return enrolment


# --- Certificates ---------------------------------------------------------------------------
@transaction.atomic
def certificate_issue(
    *,
    by,
    enrolment: Enrolment,
    kind: str,
    number: str,
    issued_on: datetime.date,
    expires_on: datetime.date | None = None,
    name: str = "",
    id=None,
    create_digest: str = "",
) -> Certificate:
    """Record a certificate earned by passing a class's exam. Kept by the class's unit."""
    _require(by, Action.RUN_SERVICES)
    training_class = enrolment.training_class
    _require_unit(by, training_class.org_unit)
    if enrolment.exam_passed is not True:
        raise DomainError(
            _("A certificate needs a passed exam in this class."), code="exam_not_passed"
        )
    data = {"kind": kind, "number": number, "name": name}
    kind = _choice(data, "kind", Certificate.Kind)
    number = _text(data, "number", max_length=50, required=True).upper()
    name = _text(data, "name", max_length=100) or training_class.course.certificate_name
    name = name or training_class.course.name
    if issued_on > _today():
        raise Invalid({"issued_on": [_("Give the date it happened, not a future one.")]})
    if kind == Certificate.Kind.SPECIAL_OPERATION and expires_on is None:
        raise Invalid({"expires_on": [_("A special-operation licence has an expiry date.")]})
    if expires_on is not None and expires_on <= issued_on:
        raise Invalid({"expires_on": [_("The expiry must be after the issue date.")]})
    certificate = Certificate(
        org_unit=training_class.org_unit,
        enrolment=enrolment,
        person_id=enrolment.person_id,
        kind=kind,
        name=name,
        number=number,
        issued_on=issued_on,
        expires_on=expires_on,
        create_digest=create_digest,
    )
    if id is not None:
        certificate.id = id
    try:
        with transaction.atomic():
            certificate.save()
    except IntegrityError as exc:
        if "certificate_unique_number" in str(exc):
            raise DomainError(
                _("A certificate of this kind with this number is recorded already."),
                code="duplicate_certificate",
            ) from None
        raise
    return certificate


@transaction.atomic
def certificate_renew(
    *, by, certificate: Certificate, expires_on: datetime.date, number: str | None = None
) -> Certificate:
    """A licence renewed (复审): its new expiry date, and a new number when one was issued."""
    _require(by, Action.RUN_SERVICES)
    if expires_on <= (certificate.expires_on or certificate.issued_on):
        raise Invalid({"expires_on": [_("The new expiry must be later than the old one.")]})
    certificate.expires_on = expires_on
    if number:
        certificate.number = _text({"number": number}, "number", max_length=50).upper()
    try:
        with transaction.atomic():
            certificate.save()
    except IntegrityError as exc:
        if "certificate_unique_number" in str(exc):
            raise DomainError(
                _("A certificate of this kind with this number is recorded already."),
                code="duplicate_certificate",
            ) from None
        raise
    return certificate


def valid_certificates(*, on: datetime.date | None = None) -> QuerySet:
    """Certificates in force on a day (unexpired, not deleted), for jobs' matcher."""
    on = on or _today()
    return Certificate.objects.filter(deleted_at__isnull=True).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=on)
    )


def certificates_expiring(*, user, within_days: int = 90, on: datetime.date | None = None):
    """Licences in scope that expire within the coming days (or have expired): to renew."""
    on = on or _today()
    return (
        scoped(user, Certificate)
        .filter(expires_on__isnull=False, expires_on__lte=on + datetime.timedelta(within_days))
        .select_related("person", "org_unit")
        .order_by("expires_on", "number")
    )


def certificates_of(*, user, person) -> QuerySet:
    """A person's certificates, for the person's card (cases): those the user may see."""
    return scoped(user, Certificate).filter(person=person).order_by("-issued_on")


# --- Figures for the dashboards -------------------------------------------------------------
def figures(*, units, date_from: datetime.date, date_to: datetime.date) -> dict[str, int]:
    """API.md "Stats summary", `training`: classes run by `units` (ids; None means every unit)
    starting in the period; distinct people holding a place in them (enrolled or completed),
    and of those the migrant workers; certificates issued in the period by `units`."""
    period = (date_from, date_to)
    classes = TrainingClass.objects.filter(starts_on__range=period)
    certificates = Certificate.objects.filter(deleted_at__isnull=True, issued_on__range=period)
    if units is not None:
        classes = classes.filter(org_unit_id__in=list(units))
        certificates = certificates.filter(org_unit_id__in=list(units))
    trainees = Enrolment.objects.filter(
        training_class__in=classes, deleted_at__isnull=True, status__in=PLACE_TAKING
    ).aggregate(
        trainees=Count("person_id", distinct=True),
        trainees_migrant=Count("person_id", distinct=True, filter=Q(person__is_migrant=True)),
    )
    return {
        "classes": classes.count(),
        "trainees": trainees["trainees"],
        "trainees_migrant": trainees["trainees_migrant"],
        "certificates": certificates.count(),
    }
