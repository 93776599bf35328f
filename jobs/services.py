"""Operations of job placement: keyword-only, atomic, raising domain errors that the API, the
admin and the pages each translate. Scope of the records passed in is the caller's job
(`aidcenter.scope.scoped`); what a role may do, and in which unit, is checked here.

Front-desk referrals (cases) call `seeker_register` directly.
"""

from __future__ import annotations

import datetime
import re

from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum.cn import uscc

from aidcenter.errors import DomainError, Invalid, Refused
from aidcenter.inputs import choice as _choice
from aidcenter.inputs import date as _date
from aidcenter.inputs import money as _money
from aidcenter.inputs import text as _text
from aidcenter.models import OrgUnit
from aidcenter.roles import Action, can
from aidcenter.scope import in_scope, scoped, subtree_ids
from jobs.models import (
    CREDIT_CODE_FORM,
    SKILL_LEVELS,
    Employer,
    Guidance,
    Intent,
    JobFair,
    JobSeeker,
    Placement,
    Vacancy,
    job_keywords,
)

REASONS = {
    "desired_job": gettext_lazy("the job title matches the desired job"),
    "certificate": gettext_lazy("holds the certificate the job requires"),
    "level": gettext_lazy("holds a certificate at the skill level the job asks for"),
    "district": gettext_lazy("in the same district"),
}
# Weights of the reasons in the ranking: what the person wants first, then what they can prove.
WEIGHTS = {"desired_job": 4, "certificate": 2, "level": 2, "district": 1}


def _require(user, action: str) -> None:
    if not can(user, action):
        raise Refused(_("Your role may not do this."))


def _require_unit(user, unit: OrgUnit) -> None:
    if not in_scope(user, unit.pk):
        raise Refused(_("This unit is outside your scope."))


def _today() -> datetime.date:
    return timezone.localdate()  # Asia/Shanghai


# --- Employers ------------------------------------------------------------------------------
def validate_credit_code(raw) -> str:
    """A unified social credit code per GB 32100, normalised upper-case; raises Invalid.

    python-stdnum may raise more than ValueError on odd input (and trusts Unicode digits), so
    the form is checked against the plain ASCII alphabet first and anything it raises is a
    refusal, never a crash."""
    message = _("Enter a valid unified social credit code (18 characters, GB 32100).")
    if not isinstance(raw, str):
        raise Invalid({"credit_code": [message]})
    code = re.sub(r"[\s-]", "", raw).upper()
    if not re.fullmatch(CREDIT_CODE_FORM, code):
        raise Invalid({"credit_code": [message]})
    try:
        code = uscc.validate(code)
    except Exception:  # noqa: BLE001 - stdnum's own exceptions vary by input
        raise Invalid({"credit_code": [message]}) from None
    return code


EMPLOYER_FIELDS = {"name": 100, "industry": 50, "contact_name": 50, "contact_phone": 20}


def _employer_fields(data: dict, *, creating: bool) -> dict:
    clean = {}
    if "credit_code" in data or creating:
        clean["credit_code"] = validate_credit_code(data.get("credit_code"))
    for name, length in [*EMPLOYER_FIELDS.items(), ("address", 200)]:
        value = _text(data, name, max_length=length, required=creating and name == "name")
        if value is not None:
            clean[name] = value
    if "name" in clean and not clean["name"]:
        raise Invalid({"name": [_("This field is required.")]})
    return clean


def _save_employer(employer: Employer) -> Employer:
    try:
        with transaction.atomic():
            employer.save()
    except IntegrityError as exc:
        if "credit_code" in str(exc):
            raise DomainError(
                _("An employer with this credit code is already registered."),
                code="duplicate_credit_code",
            ) from None
        raise
    return employer


@transaction.atomic
def employer_create(*, by, data: dict) -> Employer:
    _require(by, Action.RUN_SERVICES)
    return _save_employer(Employer(**_employer_fields(data, creating=True)))


@transaction.atomic
def employer_update(*, by, employer: Employer, data: dict) -> Employer:
    _require(by, Action.RUN_SERVICES)
    for name, value in _employer_fields(data, creating=False).items():
        setattr(employer, name, value)
    return _save_employer(employer)


# --- Job fairs ------------------------------------------------------------------------------


@transaction.atomic
def fair_create(*, by, org_unit: OrgUnit, data: dict, employers=()) -> JobFair:
    _require(by, Action.RUN_SERVICES)
    _require_unit(by, org_unit)
    fair = JobFair(
        org_unit=org_unit,
        name=_text(data, "name", max_length=100, required=True),
        held_on=_date(data, "held_on", required=True),
        venue=_text(data, "venue", max_length=200) or "",
    )
    fair.kind = _choice(data, "kind", JobFair.Kind) or fair.kind
    fair.location = _choice(data, "location", JobFair.Location) or fair.location
    fair.save()
    if employers:
        fair.employers.set(employers)
    return fair


@transaction.atomic
def fair_update(*, by, fair: JobFair, data: dict, employers=None) -> JobFair:
    _require(by, Action.RUN_SERVICES)
    _require_unit(by, fair.org_unit)
    if data.get("org_unit") is not None:
        _require_unit(by, data["org_unit"])
        fair.org_unit = data["org_unit"]
    for name, length in (("name", 100), ("venue", 200)):
        value = _text(data, name, max_length=length, required=name == "name" and name in data)
        if value is not None:
            setattr(fair, name, value)
    fair.kind = _choice(data, "kind", JobFair.Kind) or fair.kind
    fair.location = _choice(data, "location", JobFair.Location) or fair.location
    fair.held_on = _date(data, "held_on") or fair.held_on
    if employers is not None:
        fair.employers.set(employers)
    fair.save()  # a new version either way: the attending employers are part of the fair
    return fair


# --- Vacancies ------------------------------------------------------------------------------


def _vacancy_fields(data: dict, *, vacancy: Vacancy) -> None:
    for name, length in (("title", 100), ("requirements", 2000), ("required_certificate", 100)):
        value = _text(data, name, max_length=length, required=name == "title" and name in data)
        if value is not None:
            setattr(vacancy, name, value)
    if "positions" in data:
        positions = data["positions"]
        if isinstance(positions, bool) or not str(positions).isdigit() or int(positions) < 1:
            raise Invalid({"positions": [_("Enter a whole number of at least 1.")]})
        if int(positions) > 100000:
            raise Invalid({"positions": [_("Enter a whole number of at least 1.")]})
        vacancy.positions = int(positions)
    for name in ("salary_min", "salary_max"):
        if name in data:
            setattr(vacancy, name, _money(data, name))
    if (
        vacancy.salary_min is not None
        and vacancy.salary_max is not None
        and vacancy.salary_min > vacancy.salary_max
    ):
        raise Invalid({"salary_max": [_("The upper salary must not be below the lower one.")]})
    vacancy.status = _choice(data, "status", Vacancy.Status) or vacancy.status
    vacancy.opened_on = _date(data, "opened_on") or vacancy.opened_on


@transaction.atomic
def vacancy_create(
    *,
    by,
    org_unit: OrgUnit,
    employer: Employer,
    job_fair: JobFair | None = None,
    data: dict,
    import_key: str | None = None,
) -> Vacancy:
    _require(by, Action.RUN_SERVICES)
    _require_unit(by, org_unit)
    if not data.get("title"):
        raise Invalid({"title": [_("This field is required.")]})
    if data.get("positions") in (None, ""):
        raise Invalid({"positions": [_("This field is required.")]})
    vacancy = Vacancy(
        org_unit=org_unit,
        employer=employer,
        job_fair=job_fair,
        opened_on=job_fair.held_on if job_fair else _today(),
        import_key=import_key,
    )
    _vacancy_fields(data, vacancy=vacancy)
    vacancy.save()
    if job_fair is not None:
        job_fair.employers.add(employer)
    return vacancy


@transaction.atomic
def vacancy_update(*, by, vacancy: Vacancy, data: dict) -> Vacancy:
    _require(by, Action.RUN_SERVICES)
    _require_unit(by, vacancy.org_unit)
    # Lock first: a placement racing this edit must see the positions we leave.
    vacancy = Vacancy.objects.select_for_update().select_related("employer").get(pk=vacancy.pk)
    if data.get("org_unit") is not None:
        _require_unit(by, data["org_unit"])
        vacancy.org_unit = data["org_unit"]
    if data.get("employer") is not None:
        vacancy.employer = data["employer"]
    if "job_fair" in data:
        vacancy.job_fair = data["job_fair"]
    _vacancy_fields(data, vacancy=vacancy)
    if vacancy.positions < vacancy.placed:
        raise DomainError(
            _("%(n)d people are placed already; the positions cannot be fewer.")
            % {"n": vacancy.placed},
            code="positions_below_placed",
        )
    vacancy.save()
    return vacancy


# --- Job seekers ----------------------------------------------------------------------------
def _check_person(by, person) -> None:
    if person is None or person.deleted_at is not None or not in_scope(by, person.org_unit_id):
        raise Invalid({"person": [_("Unknown person.")]})


@transaction.atomic
def seeker_register(
    *,
    by,
    person,
    org_unit: OrgUnit,
    desired_job: str = "",
    registered_on: datetime.date | None = None,
    notes: str = "",
    id=None,
    create_digest: str = "",
) -> JobSeeker:
    """Register a Person as a job seeker. Front-desk referrals call this directly."""
    _require(by, Action.ENTER)
    _require_unit(by, org_unit)
    _check_person(by, person)
    data = {"desired_job": desired_job, "notes": notes}
    seeker = JobSeeker(
        org_unit=org_unit,
        person=person,
        desired_job=_text(data, "desired_job", max_length=100) or "",
        notes=_text(data, "notes", max_length=2000) or "",
        registered_on=registered_on or _today(),
        create_digest=create_digest,
    )
    seeker.desired_keywords = job_keywords(seeker.desired_job)
    if id is not None:
        seeker.id = id
    try:
        with transaction.atomic():
            seeker.save()
    except IntegrityError as exc:
        if "jobseeker_one_per_person" in str(exc):
            raise DomainError(
                _("This person is registered as a job seeker already."),
                code="already_registered",
            ) from None
        raise
    return seeker


@transaction.atomic
def seeker_update(*, by, seeker: JobSeeker, data: dict) -> JobSeeker:
    _require(by, Action.ENTER)
    if data.get("org_unit") is not None:
        _require_unit(by, data["org_unit"])
        seeker.org_unit = data["org_unit"]
    for name, length in (("desired_job", 100), ("notes", 2000)):
        value = _text(data, name, max_length=length)
        if value is not None:
            setattr(seeker, name, value)
    seeker.registered_on = _date(data, "registered_on") or seeker.registered_on
    seeker.desired_keywords = job_keywords(seeker.desired_job)
    seeker.save()
    return seeker


# --- Guidance, intents, placements ----------------------------------------------------------
def _not_future(day: datetime.date, name: str) -> datetime.date:
    if day > _today():
        raise Invalid({name: [_("Give the date it happened, not a future one.")]})
    return day


@transaction.atomic
def guidance_record(
    *,
    by,
    seeker: JobSeeker,
    held_on: datetime.date,
    notes: str = "",
    org_unit: OrgUnit | None = None,
    id=None,
    create_digest: str = "",
) -> Guidance:
    _require(by, Action.RUN_SERVICES)
    org_unit = org_unit or seeker.org_unit
    _require_unit(by, org_unit)
    session = Guidance(
        org_unit=org_unit,
        seeker=seeker,
        held_on=_not_future(held_on, "held_on"),
        notes=_text({"notes": notes}, "notes", max_length=4000) or "",
        create_digest=create_digest,
    )
    if id is not None:
        session.id = id
    session.save()
    return session


@transaction.atomic
def guidance_update(*, by, session: Guidance, data: dict) -> Guidance:
    _require(by, Action.RUN_SERVICES)
    held_on = _date(data, "held_on")
    if held_on is not None:
        session.held_on = _not_future(held_on, "held_on")
    notes = _text(data, "notes", max_length=4000)
    if notes is not None:
        session.notes = notes
    session.save()
    return session


@transaction.atomic
def intent_record(
    *,
    by,
    seeker: JobSeeker,
    vacancy: Vacancy,
    reached_on: datetime.date,
    org_unit: OrgUnit | None = None,
    id=None,
    create_digest: str = "",
) -> Intent:
    _require(by, Action.RUN_SERVICES)
    org_unit = org_unit or seeker.org_unit
    _require_unit(by, org_unit)
    intent = Intent(
        org_unit=org_unit,
        seeker=seeker,
        vacancy=vacancy,
        reached_on=_not_future(reached_on, "reached_on"),
        create_digest=create_digest,
    )
    if id is not None:
        intent.id = id
    try:
        with transaction.atomic():
            intent.save()
    except IntegrityError as exc:
        if "intent_once_per_vacancy" in str(exc):
            raise DomainError(
                _("This seeker has an intent on this vacancy already."), code="duplicate_intent"
            ) from None
        raise
    return intent


@transaction.atomic
def placement_create(
    *,
    by,
    seeker: JobSeeker,
    vacancy: Vacancy,
    started_on: datetime.date,
    org_unit: OrgUnit | None = None,
    id=None,
    create_digest: str = "",
) -> Placement:
    """Place a seeker in a vacancy. Two clerks placing the last position at once: the vacancy
    row lock serialises them, and the second one is told the vacancy is full. The database's
    CHECK and unique index hold the same rules for writers that bypass this function."""
    _require(by, Action.RUN_SERVICES)
    org_unit = org_unit or seeker.org_unit
    _require_unit(by, org_unit)
    _not_future(started_on, "started_on")
    vacancy = Vacancy.objects.select_for_update().get(pk=vacancy.pk)
    if Placement.objects.filter(seeker=seeker, vacancy=vacancy, deleted_at__isnull=True).exists():
        raise DomainError(
            _("This seeker is placed in this vacancy already."), code="already_placed"
        )
    if vacancy.status != Vacancy.Status.OPEN:
        raise DomainError(_("This vacancy is closed."), code="vacancy_closed")
    if vacancy.placed >= vacancy.positions:
        raise DomainError(
            _("All %(n)d positions of this vacancy are filled.") % {"n": vacancy.positions},
            code="vacancy_full",
        )
    placement = Placement(
        org_unit=org_unit,
        seeker=seeker,
        vacancy=vacancy,
        started_on=started_on,
        create_digest=create_digest,
    )
    if id is not None:
        placement.id = id
    try:
        with transaction.atomic():
            placement.save()
    except IntegrityError as exc:  # unreachable behind the lock; the database still holds
        if "placement_once_per_vacancy" in str(exc):
            raise DomainError(
                _("This seeker is placed in this vacancy already."), code="already_placed"
            ) from None
        if "vacancy_not_overfilled" in str(exc):
            raise DomainError(
                _("All positions of this vacancy are filled."), code="vacancy_full"
            ) from None
        raise
    return placement


@transaction.atomic
def placement_follow_up(
    *, by, placement: Placement, followed_up_on: datetime.date, employed: bool | None
) -> Placement:
    """The three-month follow-up call: is the person still employed?"""
    _require(by, Action.RUN_SERVICES)
    _not_future(followed_up_on, "followed_up_on")
    if followed_up_on < placement.started_on:
        raise Invalid({"followed_up_on": [_("The follow-up cannot be before the start.")]})
    placement.followed_up_on, placement.employed_at_follow_up = followed_up_on, employed
    placement.save()
    return placement


@transaction.atomic
def placement_update(*, by, placement: Placement, data: dict) -> Placement:
    _require(by, Action.RUN_SERVICES)
    started_on = _date(data, "started_on")
    if started_on is not None:
        placement.started_on = _not_future(started_on, "started_on")
    if "followed_up_on" in data or "employed_at_follow_up" in data:
        followed = _date(data, "followed_up_on") or placement.followed_up_on
        if followed is None:
            raise Invalid({"followed_up_on": [_("Give the date of the follow-up.")]})
        return placement_follow_up(
            by=by,
            placement=placement,
            followed_up_on=followed,
            employed=data.get("employed_at_follow_up", placement.employed_at_follow_up),
        )
    placement.save()
    return placement


def follow_ups_due(*, user, on: datetime.date | None = None) -> QuerySet:
    """Placements in scope whose three-month follow-up is due and not yet made."""
    on = on or _today()
    # PostgreSQL adds months as three_months_after does (31 January + 3 months = 30 April).
    due = RawSQL("jobs_placement.started_on + interval '3 months'", [], output_field=DateField())
    return (
        scoped(user, Placement)
        .filter(followed_up_on__isnull=True)
        .annotate(follow_up_due=due)
        .filter(follow_up_due__lte=on)
    )


# --- Matching -------------------------------------------------------------------------------
def district_unit_ids(unit_id: int) -> frozenset[int]:
    """The units of the district that `unit_id` lies in (empty above district level)."""
    tree = OrgUnit.objects.values_list("id", "parent", "kind")
    units = {pk: (parent, kind) for pk, parent, kind in tree}
    current = unit_id
    while current is not None:
        parent, kind = units.get(current, (None, None))
        if kind == OrgUnit.Kind.DISTRICT:
            return subtree_ids(current)
        current = parent
    return frozenset()


def _score(reasons: dict[str, Q | Exists]):
    total = Value(0, output_field=IntegerField())
    annotations = {}
    for name, condition in reasons.items():
        flag = Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())
        annotations[f"r_{name}"] = flag
        total = total + flag * WEIGHTS[name]
    return annotations, total


def reasons_of(record) -> list[dict]:
    return [
        {"code": name, "label": str(label)}
        for name, label in REASONS.items()
        if getattr(record, f"r_{name}", 0)
    ]


def _title_substrings(title: str) -> list[str]:
    """Every substring of the title up to 20 characters: a seeker whose desired-job keyword is
    among them wants this job. Lets the database answer with the keywords' GIN index."""
    title = title.lower()
    found = {
        title[i:j]
        for i in range(len(title))
        for j in range(i + 1, min(len(title), i + 20) + 1)
        if title[i:j].strip()
    }
    return sorted(found)


LEVELS = [code for code, _label in SKILL_LEVELS]


def levels_from(level: str) -> list[str]:
    return LEVELS[LEVELS.index(level) :] if level in LEVELS else []


def _course_level(certificates):
    return certificates.values_list("enrolment__training_class__course__level", flat=True)


def match_vacancies(*, seeker: JobSeeker, on: datetime.date | None = None, limit: int = 20):
    """Open vacancies with positions left that fit the seeker, best first, each annotated with
    `score` and `r_<reason>` flags (see `reasons_of`). Two queries: the seeker's highest skill
    level, then the ranking."""
    from training.services import valid_certificates

    held = set(_course_level(valid_certificates(on=on).filter(person_id=seeker.person_id)))
    reached = max((LEVELS.index(level) for level in held if level in LEVELS), default=-1)

    keywords = seeker.desired_keywords
    title = Q()
    for word in keywords:
        title |= Q(title__icontains=word)
    reasons = {
        "desired_job": title if keywords else Q(pk__in=[]),
        "certificate": ~Q(required_certificate="")
        & Exists(
            valid_certificates(on=on).filter(
                person_id=seeker.person_id, name__icontains=OuterRef("required_certificate")
            )
        ),
        "level": Q(required_level__in=LEVELS[: reached + 1]),
        "district": Q(org_unit_id__in=district_unit_ids(seeker.org_unit_id)),
    }
    annotations, total = _score(reasons)
    placed_here = Placement.objects.filter(
        seeker=seeker, vacancy=OuterRef("pk"), deleted_at__isnull=True
    )
    return (
        Vacancy.objects.filter(status=Vacancy.Status.OPEN, placed__lt=F("positions"))
        .exclude(Exists(placed_here))
        .select_related("employer", "org_unit", "job_fair")
        .annotate(**annotations, score=total)
        .filter(score__gt=0)
        .order_by("-score", "-opened_on", "id")[:limit]
    )


def match_seekers(*, user, vacancy: Vacancy, on: datetime.date | None = None, limit: int = 20):
    """Seekers in the user's scope who fit the vacancy, best first, with the same reasons.
    Seekers already placed here, or placed elsewhere and not known to have left, are left out."""
    from training.services import valid_certificates

    required = vacancy.required_certificate.strip()
    reasons = {
        "desired_job": Q(desired_keywords__overlap=_title_substrings(vacancy.title)),
        "certificate": Exists(
            valid_certificates(on=on).filter(
                person_id=OuterRef("person_id"), name__icontains=required
            )
        )
        if required
        else Q(pk__in=[]),
        "level": Exists(
            valid_certificates(on=on).filter(
                person_id=OuterRef("person_id"),
                enrolment__training_class__course__level__in=levels_from(vacancy.required_level),
            )
        )
        if vacancy.required_level
        else Q(pk__in=[]),
        "district": Q(org_unit_id__in=district_unit_ids(vacancy.org_unit_id)),
    }
    annotations, total = _score(reasons)
    working = Placement.objects.filter(seeker=OuterRef("pk"), deleted_at__isnull=True).exclude(
        employed_at_follow_up=False
    )
    return (
        scoped(user, JobSeeker)
        .exclude(Exists(working))
        .select_related("person", "org_unit")
        .annotate(**annotations, score=total)
        .filter(score__gt=0)
        .order_by("-score", "-registered_on", "id")[:limit]
    )


# --- Figures for the dashboards -------------------------------------------------------------
def figures(*, units, date_from: datetime.date, date_to: datetime.date) -> dict[str, int]:
    """API.md "Stats summary", `jobs`: flows in the period over records kept by `units` (ids;
    None means every unit). Fairs held; positions of vacancies at those fairs or, not at a
    fair, opened in the period; guidance sessions (person-times); intents, and those whose
    seeker is a migrant worker; placements by their start date."""
    period = (date_from, date_to)

    def kept(qs, path="org_unit_id"):
        return qs if units is None else qs.filter(**{f"{path}__in": list(units)})

    fairs = kept(JobFair.objects.filter(held_on__range=period))
    vacancies = kept(
        Vacancy.objects.filter(
            Q(job_fair__held_on__range=period) | Q(job_fair__isnull=True, opened_on__range=period)
        )
    )
    intents = kept(Intent.objects.filter(deleted_at__isnull=True, reached_on__range=period))
    counted = intents.aggregate(
        intents=Count("id"), intents_migrant=Count("id", filter=Q(seeker__person__is_migrant=True))
    )
    return {
        "fairs": fairs.count(),
        "positions": vacancies.aggregate(n=Sum("positions"))["n"] or 0,
        "guidance_person_times": kept(
            Guidance.objects.filter(deleted_at__isnull=True, held_on__range=period)
        ).count(),
        "intents": counted["intents"],
        "intents_migrant": counted["intents_migrant"],
        "placements": kept(
            Placement.objects.filter(deleted_at__isnull=True, started_on__range=period)
        ).count(),
    }
