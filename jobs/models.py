"""Job placement (职业介绍): employers, job fairs and their vacancies, job seekers, guidance
sessions, intents reached at fairs and placements with their three-month follow-up.

The database holds the two guarantees of issue 7 itself, so they hold on every path (API,
admin, imports, raw SQL) and when two clerks act at once:

* a seeker is placed at most once per vacancy (a partial unique index);
* a vacancy never takes more placements than its positions: `Vacancy.placed` is kept by a
  trigger on placements and a CHECK keeps it within `positions`. The trigger's UPDATE takes
  the vacancy's row lock, so two placements racing for the last position are serialised and
  the second one fails the CHECK.
"""

from __future__ import annotations

import datetime
import re

import pghistory
import pgtrigger
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _

from aidcenter.sync import SyncedRecord, Versioned

# Course levels of training, lowest first (the matcher compares ranks).
SKILL_LEVELS = [
    ("beginner", _("beginner")),
    ("intermediate", _("intermediate")),
    ("advanced", _("advanced")),
]
MONEY = {"max_digits": 10, "decimal_places": 2}
CREDIT_CODE_FORM = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
KEYWORD_SPLIT = re.compile(r"[\s,，、/;；|]+")


def job_keywords(text: str) -> list[str]:
    """The words of a desired job as a clerk types them: '电工、焊工 / 保安' -> 3 keywords."""
    seen: list[str] = []
    for word in KEYWORD_SPLIT.split((text or "").strip().lower()):
        if word and word not in seen:
            seen.append(word[:20])
    return seen[:10]


@pghistory.track()
class Employer(Versioned):
    """An employer (用人单位), one per unified social credit code; a city-wide catalogue."""

    scope_path = None  # city-wide: every staff user reads it

    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, help_text=_("GB 32100")
    )
    name = models.CharField(_("name"), max_length=100)
    industry = models.CharField(_("industry"), max_length=50, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta(Versioned.Meta):
        verbose_name = _("employer")
        verbose_name_plural = _("employers")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credit_code__regex=CREDIT_CODE_FORM),
                name="employer_credit_code_form",
            ),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class JobFair(Versioned):
    """A job fair held by a unit: the regular Tuesday fair or a special one."""

    class Kind(models.TextChoices):
        TUESDAY = "tuesday", _("Tuesday job fair")
        SPRING_FESTIVAL = "spring_festival", _("Spring Festival warmth fair")
        SPRING_BREEZE = "spring_breeze", _("Spring Breeze campaign")
        VETERANS = "veterans", _("veterans' fair")
        GRADUATES = "graduates", _("graduates of hardship families")
        ASSISTANCE = "assistance", _("employment assistance fair")
        OTHER = "other", _("other fair")

    class Location(models.TextChoices):
        HALL = "hall", _("service hall")
        COMMUNITY = "community", _("in a community")
        ENTERPRISE = "enterprise", _("at a firm")
        ONLINE = "online", _("online")

    # Fairs are public events: every staff user reads them (a seeker of any sub-center may go);
    # only the organising unit's caseworkers change them (jobs/services.py).
    scope_path = None

    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.TUESDAY)
    location = models.CharField(
        _("location"), max_length=12, choices=Location.choices, default=Location.HALL
    )
    held_on = models.DateField(_("held on"))
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    employers = models.ManyToManyField(
        Employer, blank=True, related_name="fairs", verbose_name=_("employers attending")
    )

    class Meta(Versioned.Meta):
        verbose_name = _("job fair")
        verbose_name_plural = _("job fairs")
        ordering = ["-held_on", "name"]
        indexes = [models.Index(fields=["org_unit", "held_on"], name="jobfair_unit_held")]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.name}"


@pghistory.track()
class Vacancy(Versioned):
    """Positions an employer offers, at a fair or on their own."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    scope_path = None  # job openings are public: every staff user reads them

    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    employer = models.ForeignKey(
        Employer, on_delete=models.PROTECT, related_name="vacancies", verbose_name=_("employer")
    )
    job_fair = models.ForeignKey(
        JobFair,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="vacancies",
        verbose_name=_("job fair"),
    )
    title = models.CharField(_("job title"), max_length=100)
    positions = models.PositiveIntegerField(_("positions"))
    salary_min = models.DecimalField(_("salary from"), null=True, blank=True, **MONEY)
    salary_max = models.DecimalField(_("salary up to"), null=True, blank=True, **MONEY)
    requirements = models.TextField(_("requirements"), blank=True)
    required_certificate = models.CharField(
        _("certificate required"),
        max_length=100,
        blank=True,
        help_text=_("For example 低压电工作业; matched against the certificates seekers hold."),
    )
    # The skill level the job asks for, on training's course levels (初级/中级/高级): a seeker
    # holding a certificate from a course at this level or above fits.
    required_level = models.CharField(
        _("skill level required"), max_length=12, choices=SKILL_LEVELS, blank=True
    )
    opened_on = models.DateField(_("opened on"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    # Maintained by the database (trigger on placements); never written by Python.
    placed = models.PositiveIntegerField(_("placed"), default=0, editable=False)
    # The row an Excel import came from, so that importing the same file again changes nothing.
    import_key = models.CharField(max_length=64, null=True, blank=True, editable=False)

    class Meta(Versioned.Meta):
        verbose_name = _("vacancy")
        verbose_name_plural = _("vacancies")
        ordering = ["-opened_on", "title"]
        constraints = [
            models.CheckConstraint(condition=models.Q(positions__gte=1), name="vacancy_positions"),
            models.CheckConstraint(
                condition=models.Q(placed__lte=models.F("positions")),
                name="vacancy_not_overfilled",
            ),
            models.CheckConstraint(
                condition=models.Q(salary_min__isnull=True)
                | models.Q(salary_max__isnull=True)
                | models.Q(salary_min__lte=models.F("salary_max")),
                name="vacancy_salary_range",
            ),
            models.UniqueConstraint(fields=["import_key"], name="vacancy_import_key_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "opened_on"], name="vacancy_status_opened"),
            models.Index(fields=["org_unit", "opened_on"], name="vacancy_unit_opened"),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.employer.name}）"

    @property
    def positions_left(self) -> int:
        return max(self.positions - self.placed, 0)


@pghistory.track()
class JobSeeker(SyncedRecord):
    """A Person's registration as a job seeker (求职登记)."""

    person = models.ForeignKey(
        "cases.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    desired_job = models.CharField(_("desired job"), max_length=100, blank=True)
    # The desired job's words, kept by jobs/services.py for matching with an index.
    desired_keywords = ArrayField(
        models.CharField(max_length=20), default=list, blank=True, editable=False
    )
    registered_on = models.DateField(_("registered on"))
    notes = models.TextField(_("notes"), blank=True)

    class Meta(SyncedRecord.Meta):
        verbose_name = _("job seeker")
        verbose_name_plural = _("job seekers")
        ordering = ["-registered_on"]
        constraints = [
            # One open registration per person city-wide: the matcher and the figures count
            # people, not duplicate registrations.
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(deleted_at__isnull=True),
                name="jobseeker_one_per_person",
            ),
        ]
        indexes = [
            GinIndex(fields=["desired_keywords"], name="jobseeker_keywords"),
            models.Index(fields=["org_unit", "registered_on"], name="jobseeker_unit_registered"),
        ]

    def __str__(self) -> str:
        return f"{self.person.name}：{self.desired_job or '—'}"


@pghistory.track()
class Guidance(SyncedRecord):
    """A guidance session (职业指导) with a seeker; the figures count them as person-times."""

    seeker = models.ForeignKey(
        JobSeeker, on_delete=models.PROTECT, related_name="guidance", verbose_name=_("job seeker")
    )
    held_on = models.DateField(_("held on"))
    notes = models.TextField(_("notes"), blank=True)

    class Meta(SyncedRecord.Meta):
        verbose_name = _("guidance session")
        verbose_name_plural = _("guidance sessions")
        ordering = ["-held_on"]
        indexes = [models.Index(fields=["org_unit", "held_on"], name="guidance_unit_held")]


@pghistory.track()
class Intent(SyncedRecord):
    """An intent (就业意向) a seeker and an employer reached on a vacancy, usually at a fair."""

    # Seen by the seeker's unit and by the unit that runs the vacancy.
    scope_path = ("org_unit", "vacancy__org_unit")

    seeker = models.ForeignKey(
        JobSeeker, on_delete=models.PROTECT, related_name="intents", verbose_name=_("job seeker")
    )
    vacancy = models.ForeignKey(
        Vacancy, on_delete=models.PROTECT, related_name="intents", verbose_name=_("vacancy")
    )
    reached_on = models.DateField(_("reached on"))

    class Meta(SyncedRecord.Meta):
        verbose_name = _("intent")
        verbose_name_plural = _("intents")
        ordering = ["-reached_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["seeker", "vacancy"],
                condition=models.Q(deleted_at__isnull=True),
                name="intent_once_per_vacancy",
            ),
        ]
        indexes = [models.Index(fields=["org_unit", "reached_on"], name="intent_unit_reached")]


def three_months_after(day: datetime.date) -> datetime.date:
    month = day.month + 3
    year, month = day.year + (month - 1) // 12, (month - 1) % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@pghistory.track()
class Placement(SyncedRecord):
    """A seeker placed in a vacancy (成功就业), followed up three months after the start."""

    scope_path = ("org_unit", "vacancy__org_unit")

    seeker = models.ForeignKey(
        JobSeeker,
        on_delete=models.PROTECT,
        related_name="placements",
        verbose_name=_("job seeker"),
    )
    vacancy = models.ForeignKey(
        Vacancy, on_delete=models.PROTECT, related_name="placements", verbose_name=_("vacancy")
    )
    started_on = models.DateField(_("started on"))
    followed_up_on = models.DateField(_("followed up on"), null=True, blank=True)
    employed_at_follow_up = models.BooleanField(
        _("still employed at follow-up"), null=True, blank=True
    )

    class Meta(SyncedRecord.Meta):
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        ordering = ["-started_on"]
        constraints = [
            # A seeker is placed at most once per vacancy, whoever enters it and however.
            models.UniqueConstraint(
                fields=["seeker", "vacancy"],
                condition=models.Q(deleted_at__isnull=True),
                name="placement_once_per_vacancy",
            ),
            models.CheckConstraint(
                condition=models.Q(followed_up_on__isnull=True)
                | models.Q(followed_up_on__gte=models.F("started_on")),
                name="placement_follow_up_after_start",
            ),
        ]
        indexes = [models.Index(fields=["org_unit", "started_on"], name="placement_unit_started")]
        triggers = [
            *SyncedRecord.Meta.triggers,
            # Keeps Vacancy.placed; the vacancy's CHECK refuses the placement past its
            # positions. The UPDATE locks the vacancy row: racing placements queue here.
            pgtrigger.Trigger(
                name="count_placed",
                when=pgtrigger.After,
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                func="""
                    IF TG_OP = 'UPDATE' AND OLD.vacancy_id = NEW.vacancy_id
                       AND (OLD.deleted_at IS NULL) = (NEW.deleted_at IS NULL) THEN
                        RETURN NULL;
                    END IF;
                    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
                        UPDATE jobs_vacancy SET placed = placed - 1 WHERE id = OLD.vacancy_id;
                    END IF;
                    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.deleted_at IS NULL THEN
                        UPDATE jobs_vacancy SET placed = placed + 1 WHERE id = NEW.vacancy_id;
                    END IF;
                    RETURN NULL;
                """,
            ),
        ]

    @property
    def follow_up_due_on(self) -> datetime.date:
        return three_months_after(self.started_on)
