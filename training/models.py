"""Skills training (技能培训): courses, classes with a capacity and a waiting list, enrolments of
Persons with attendance and exam result, and certificates.

The database holds the capacity guarantee itself: `TrainingClass.enrolled` is kept by a
trigger on enrolments (statuses that take a place: enrolled, completed) and a CHECK keeps it
within `capacity`. The trigger's UPDATE takes the class's row lock, so two clerks taking the
last place at once are serialised and the second one cannot pass the capacity.
"""

from __future__ import annotations

import pghistory
import pgtrigger
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aidcenter.sync import SyncedRecord, Versioned

MONEY = {"max_digits": 10, "decimal_places": 2}
PLACE_TAKING = ("enrolled", "completed")


@pghistory.track()
class Course(Versioned):
    """A course in the city-wide catalogue (electrician, cooking, web design …)."""

    class Level(models.TextChoices):
        BEGINNER = "beginner", _("beginner")
        INTERMEDIATE = "intermediate", _("intermediate")
        ADVANCED = "advanced", _("advanced")

    class Kind(models.TextChoices):
        SKILL = "skill", _("skill building")
        UPGRADE = "upgrade", _("skill upgrading")
        RESERVE = "reserve", _("reserve skills")
        TARGETED = "targeted", _("targeted for an employer")

    scope_path = None  # city-wide catalogue

    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SKILL)
    provider = models.CharField(_("provider"), max_length=100, blank=True)
    certificate_name = models.CharField(
        _("certificate awarded"),
        max_length=100,
        blank=True,
        help_text=_("The certificate a pass leads to, e.g. 低压电工作业."),
    )

    class Meta(Versioned.Meta):
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["name", "level"]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_level_display()}）"


@pghistory.track()
class TrainingClass(Versioned):
    """A class of a course run by a unit, with its dates, capacity, fee and subsidy."""

    # Classes are announced city-wide; any sub-center may enrol its people in them. Only the
    # organising unit's caseworkers change them (training/services.py).
    scope_path = None

    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="classes", verbose_name=_("course")
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    capacity = models.PositiveIntegerField(_("capacity"))
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    fee = models.DecimalField(_("fee per trainee"), default=0, **MONEY)
    subsidy = models.DecimalField(_("subsidy per trainee"), default=0, **MONEY)
    # Maintained by the database (trigger on enrolments); never written by Python.
    enrolled = models.PositiveIntegerField(_("places taken"), default=0, editable=False)

    class Meta(Versioned.Meta):
        verbose_name = _("training class")
        verbose_name_plural = _("training classes")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="class_capacity"),
            models.CheckConstraint(
                condition=models.Q(enrolled__lte=models.F("capacity")),
                name="class_not_overfilled",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="class_dates"
            ),
            models.CheckConstraint(
                condition=models.Q(fee__gte=0, subsidy__gte=0, subsidy__lte=models.F("fee")),
                name="class_fee_and_subsidy",
            ),
        ]
        indexes = [models.Index(fields=["org_unit", "starts_on"], name="class_unit_starts")]

    def __str__(self) -> str:
        return self.name or f"{self.course.name} {self.starts_on:%Y-%m-%d}"

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.enrolled, 0)


@pghistory.track()
class Enrolment(SyncedRecord):
    """A Person in a class, or on its waiting list."""

    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("enrolled")
        WAITING = "waiting", _("on the waiting list")
        COMPLETED = "completed", _("completed")
        DROPPED = "dropped", _("dropped out")

    # Seen by the enrolling unit and by the unit that runs the class (for its roll call).
    scope_path = ("org_unit", "training_class__org_unit")

    training_class = models.ForeignKey(
        TrainingClass, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("class")
    )
    person = models.ForeignKey(
        "cases.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ENROLLED
    )
    # The waiting list moves up in this order (first come, first served).
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now, editable=False)
    sessions_attended = models.PositiveSmallIntegerField(_("sessions attended"), default=0)
    exam_passed = models.BooleanField(_("exam passed"), null=True, blank=True)
    subsidy_amount = models.DecimalField(
        _("fee subsidy granted"), null=True, blank=True, editable=False, **MONEY
    )
    # The aid application that pays the subsidy: drafted when the class is completed, then
    # submitted, approved and paid in funds like any aid (no second way to move money).
    subsidy_application = models.ForeignKey(
        "funds.AidApplication",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("subsidy application"),
    )

    class Meta(SyncedRecord.Meta):
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["training_class", "queued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["training_class", "person"],
                condition=models.Q(deleted_at__isnull=True) & ~models.Q(status="dropped"),
                name="enrolment_once_per_class",
            ),
        ]
        indexes = [
            models.Index(fields=["training_class", "status", "queued_at"], name="enrolment_queue"),
            models.Index(fields=["person"], name="enrolment_person"),
        ]
        triggers = [
            *SyncedRecord.Meta.triggers,
            # Keeps TrainingClass.enrolled; the class's CHECK refuses a place past capacity.
            # The UPDATE locks the class row: two clerks taking the last place queue here.
            pgtrigger.Trigger(
                name="count_places",
                when=pgtrigger.After,
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                func="""
                    DECLARE
                        was boolean := TG_OP <> 'INSERT' AND OLD.deleted_at IS NULL
                                       AND OLD.status IN ('enrolled', 'completed');
                        now_ boolean := TG_OP <> 'DELETE' AND NEW.deleted_at IS NULL
                                       AND NEW.status IN ('enrolled', 'completed');
                    BEGIN
                        IF TG_OP = 'UPDATE' AND OLD.training_class_id = NEW.training_class_id
                           AND was = now_ THEN
                            RETURN NULL;
                        END IF;
                        IF was THEN
                            UPDATE training_trainingclass SET enrolled = enrolled - 1
                            WHERE id = OLD.training_class_id;
                        END IF;
                        IF now_ THEN
                            UPDATE training_trainingclass SET enrolled = enrolled + 1
                            WHERE id = NEW.training_class_id;
                        END IF;
                        RETURN NULL;
                    END;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person.name} — {self.training_class}"

    @property
    def takes_a_place(self) -> bool:
        return self.status in PLACE_TAKING


@pghistory.track()
class Certificate(SyncedRecord):
    """A certificate earned: a vocational qualification, a skill level, or a special-operation
    licence (特种作业操作证), which expires and must be renewed."""

    class Kind(models.TextChoices):
        QUALIFICATION = "qualification", _("vocational qualification")
        LEVEL = "level", _("skill level certificate")
        SPECIAL_OPERATION = "special_operation", _("special-operation licence")

    scope_path = ("org_unit", "enrolment__org_unit")  # the issuing and the enrolling unit

    enrolment = models.ForeignKey(
        Enrolment,
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("enrolment"),
    )
    # The holder, copied from the enrolment, so the person's card and the matcher need no join.
    person = models.ForeignKey(
        "cases.Person",
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("holder"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("certificate"), max_length=100)
    number = models.CharField(_("certificate number"), max_length=50)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    class Meta(SyncedRecord.Meta):
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "number"],
                condition=models.Q(deleted_at__isnull=True),
                name="certificate_unique_number",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="special_operation") | models.Q(expires_on__isnull=False),
                name="certificate_licence_expires",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(expires_on__gt=models.F("issued_on")),
                name="certificate_expires_after_issue",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "name"], name="certificate_person_name"),
            models.Index(fields=["expires_on"], name="certificate_expires"),
            models.Index(fields=["org_unit", "issued_on"], name="certificate_unit_issued"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.number}"
