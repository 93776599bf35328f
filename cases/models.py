"""People, household files (困难职工档案) and their workflow records."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from aidcenter.sync import SyncedRecord

ACTIVE_FILE_STATUSES = ("draft", "submitted", "registered")


class Hukou(models.TextChoices):
    URBAN = "urban", _("urban hukou")
    RURAL = "rural", _("rural hukou")


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


@pghistory.track()
class Person(SyncedRecord):
    """Everyone the center serves, with or without a household file."""

    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    national_id = models.CharField(_("ID number"), max_length=18, null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    is_migrant = models.BooleanField(
        _("migrant worker"), default=False, help_text=_("Working here from another place.")
    )
    hukou = models.CharField(_("hukou"), max_length=8, choices=Hukou.choices, null=True, blank=True)

    class Meta(SyncedRecord.Meta):
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name"]
        permissions = [("view_full_id", _("Can see full ID numbers"))]
        constraints = [
            # Unique city-wide when present (GB 11643 numbers are personal and permanent).
            models.UniqueConstraint(
                fields=["national_id"],
                condition=models.Q(national_id__isnull=False, deleted_at__isnull=True),
                name="person_national_id_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(national_id__isnull=True)
                | models.Q(national_id__regex=r"^[0-9]{17}[0-9X]$"),
                name="person_national_id_form",
            ),
        ]
        triggers = [
            *SyncedRecord.Meta.triggers,
            # Files keep their head's migrant flag (Worker.head_is_migrant); a file whose head
            # changes it is a changed file for the sync feed too (its `is_migrant` changed).
            pgtrigger.Trigger(
                name="files_follow_migrant_flag",
                when=pgtrigger.After,
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange("is_migrant"),
                func="""
                    UPDATE cases_worker SET head_is_migrant = NEW.is_migrant
                    WHERE person_id = NEW.id AND head_is_migrant IS DISTINCT FROM NEW.is_migrant;
                    RETURN NEW;
                """,
            ),
        ]
        indexes = [
            GinIndex(OpClass("name", name="gin_trgm_ops"), name="person_name_trgm"),
            GinIndex(OpClass("phone", name="gin_trgm_ops"), name="person_phone_trgm"),
            GinIndex(OpClass("national_id", name="gin_trgm_ops"), name="person_id_trgm"),
            models.Index(fields=["org_unit", "name"], name="person_unit_name"),
            # Live rows only: list pages sort by name and count per unit from the index.
            models.Index(
                fields=["name", "id"],
                name="person_live_name",
                condition=models.Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["org_unit"],
                name="person_live_unit",
                condition=models.Q(deleted_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class Worker(SyncedRecord):
    """A household file (一户一档): a head Person, members, and the facts of their hardship."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted for review")
        REGISTERED = "registered", _("registered")
        REJECTED = "rejected", _("rejected")
        LIFTED = "lifted", _("lifted out of hardship")
        CLOSED = "closed", _("closed")

    class Employment(models.TextChoices):
        EMPLOYED = "employed", _("employed")
        LAID_OFF = "laid_off", _("laid off")
        UNEMPLOYED = "unemployed", _("unemployed")
        FLEXIBLE = "flexible", _("flexible employment")
        RETIRED = "retired", _("retired")

    class Level(models.TextChoices):
        DEEP = "deep", _("deep hardship")
        RELATIVE = "relative", _("relative hardship")
        ACCIDENTAL = "accidental", _("accidental hardship")

    class Cause(models.TextChoices):
        ILLNESS = "illness", _("illness")
        DISABILITY = "disability", _("disability")
        SINGLE_PARENT = "single_parent", _("single parent")
        AGE_4050 = "age_4050", _("“4050” out of work")
        ZERO_EMPLOYMENT = "zero_employment", _("zero-employment family")
        LAID_OFF = "laid_off", _("laid off")
        LOW_WAGE = "low_wage", _("low wage")
        SCHOOLING = "schooling", _("children's schooling")
        DISASTER = "disaster", _("disaster")
        OTHER = "other", _("other")

    class FileLevel(models.TextChoices):
        NATIONAL = "national", _("national")
        PROVINCIAL = "provincial", _("provincial")
        CITY = "city", _("city")
        DISTRICT = "district", _("district")
        GRASSROOTS = "grassroots", _("grassroots")

    class EndReason(models.TextChoices):
        INCOME_ABOVE_LINE = "income_above_line", _("income above the line")
        RETIRED = "retired", _("retired")
        MOVED_AWAY = "moved_away", _("moved away")
        DIED = "died", _("died")
        OTHER = "other", _("other")

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="headed_files", verbose_name=_("head")
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    employer_name = models.CharField(_("employer"), max_length=100, blank=True)
    union_member_no = models.CharField(_("union membership number"), max_length=40, blank=True)
    employment_status = models.CharField(
        _("employment status"), max_length=12, choices=Employment.choices, blank=True
    )
    household_income_year = models.DecimalField(
        _("household income per year"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    major_costs_year = models.DecimalField(
        _("illness or disaster costs this year"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    income_per_head = models.DecimalField(
        _("monthly income per head"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    hardship_level = models.CharField(
        _("hardship level"), max_length=12, choices=Level.choices, blank=True
    )
    main_cause = models.CharField(_("main cause"), max_length=16, choices=Cause.choices, blank=True)
    secondary_causes = ArrayField(
        models.CharField(max_length=16, choices=Cause.choices),
        default=list,
        blank=True,
        verbose_name=_("secondary causes"),
    )
    file_level = models.CharField(
        _("file level"), max_length=12, choices=FileLevel.choices, default=FileLevel.GRASSROOTS
    )
    national_file_no = models.CharField(_("national file number"), max_length=40, blank=True)
    is_model_worker = models.BooleanField(_("model worker in hardship"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    # The head's `is_migrant`, kept by triggers (this table's and Person's) so that the
    # dashboards count migrant files without joining 750,000 people. Never written by Python.
    head_is_migrant = models.BooleanField(default=False, editable=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    # The opening workflow
    consent_signed_on = models.DateField(_("consent signed on"), null=True, blank=True)
    home_visit_on = models.DateField(_("home visit on"), null=True, blank=True)
    home_visit_note = models.TextField(_("home visit findings"), blank=True)
    notice_starts_on = models.DateField(_("public notice from"), null=True, blank=True)
    notice_ends_on = models.DateField(_("public notice until"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_opinion = models.TextField(_("review opinion"), blank=True)
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    # Dynamic management
    last_reviewed_on = models.DateField(_("last reviewed on"), null=True, blank=True)
    ended_on = models.DateField(_("lifted or closed on"), null=True, blank=True)
    end_reason = models.CharField(_("reason"), max_length=20, choices=EndReason.choices, blank=True)

    class Meta(SyncedRecord.Meta):
        verbose_name = _("household file")
        verbose_name_plural = _("household files")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="registered") | models.Q(registered_on__isnull=False),
                name="worker_registered_has_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["lifted", "closed"])
                | models.Q(ended_on__isnull=False),
                name="worker_ended_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["org_unit", "status"], name="worker_unit_status"),
            models.Index(
                fields=["created_at"],
                name="worker_live_created",
                condition=models.Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["org_unit"],
                name="worker_live_unit",
                condition=models.Q(deleted_at__isnull=True),
            ),
        ]
        triggers = [
            *SyncedRecord.Meta.triggers,
            # The active-file guarantee lives on HouseholdMember.file_active; when a file's
            # status changes, its members' flags follow in the same statement.
            pgtrigger.Trigger(
                name="members_follow_status",
                when=pgtrigger.After,
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange("status", "deleted_at"),
                func="""
                    UPDATE cases_householdmember SET file_active = NOT file_active
                    WHERE worker_id = NEW.id AND file_active IS DISTINCT FROM (
                        NEW.deleted_at IS NULL AND deleted_at IS NULL
                        AND NEW.status IN ('draft', 'submitted', 'registered'));
                    RETURN NEW;
                """,
            ),
            pgtrigger.Trigger(
                name="head_is_migrant_from_person",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.Update,
                func="""
                    NEW.head_is_migrant := COALESCE(
                        (SELECT p.is_migrant FROM cases_person p WHERE p.id = NEW.person_id),
                        false);
                    RETURN NEW;
                """,
            ),
        ]

    # The workflow: action -> (statuses it may start from, status it leads to).
    TRANSITIONS = {
        "submit": ({"draft"}, "submitted"),
        "approve": ({"submitted"}, "registered"),
        "reject": ({"submitted"}, "rejected"),
        "lift": ({"registered"}, "lifted"),
        "close": ({"registered", "lifted"}, "closed"),
        "reopen": ({"rejected", "lifted", "closed"}, "draft"),
    }

    def __str__(self) -> str:
        return f"{self.person.name}（{self.get_status_display()}）"

    @staticmethod
    def household_size_expression():
        """An expression for a file's number of people (head included), for annotate().

        A correlated count per row of the page; a Count() join would group every file in
        scope before paginating (2 s at city scale, bench/registry.py)."""
        members = (
            HouseholdMember.objects.filter(worker=models.OuterRef("pk"), deleted_at__isnull=True)
            .order_by()
            .values("worker")
            .annotate(n=models.Count("id"))
            .values("n")
        )
        return Coalesce(models.Subquery(members), 0)

    def next_status(self, action: str) -> str | None:
        """The status this action leads to from the current one, or None if not allowed."""
        starts, target = self.TRANSITIONS[action]
        return target if self.status in starts else None

    def opening_gaps(self) -> list[str]:
        """What is still missing before the file may be submitted for review."""
        gaps = []
        if self.consent_signed_on is None:
            gaps.append(_("the household's signed consent"))
        if self.home_visit_on is None:
            gaps.append(_("the home visit"))
        if self.notice_starts_on is None or self.notice_ends_on is None:
            gaps.append(_("the public notice dates"))
        if not self.hardship_level:
            gaps.append(_("the confirmed hardship level"))
        if not self.main_cause:
            gaps.append(_("the main cause of hardship"))
        return gaps

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_FILE_STATUSES

    def computed_level(self, line: Decimal | None) -> str:
        """The hardship level the ACFTU grades give, against the local minimum-living line.

        deep: monthly income per head under the line; relative: under twice the line;
        accidental: illness or disaster costs above 80 % of the household's yearly income.
        Staff confirm the level; this only proposes it.
        """
        if line is not None and self.income_per_head is not None:
            if self.income_per_head < line:
                return self.Level.DEEP
            if self.income_per_head < 2 * line:
                return self.Level.RELATIVE
        if (
            self.major_costs_year is not None
            and self.household_income_year is not None
            and self.major_costs_year > self.household_income_year * Decimal("0.8")
        ):
            return self.Level.ACCIDENTAL
        return ""

    def review_due_on(self) -> datetime.date | None:
        """Every active file is reviewed yearly (年度复核)."""
        return self.review_due_for(self.status, self.registered_on, self.last_reviewed_on)

    @classmethod
    def review_due_for(cls, status, registered_on, last_reviewed_on) -> datetime.date | None:
        """The next yearly review's date of a file with these values (lists read as values)."""
        if status != cls.Status.REGISTERED:
            return None
        base = last_reviewed_on or registered_on
        return None if base is None else _add_year(base)


def _add_year(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


@pghistory.track()
class HouseholdMember(SyncedRecord):
    """A Person in a household file. The head stands here too (relation 'head'), so that one
    partial unique index guarantees a Person is in at most one active file city-wide."""

    class Relation(models.TextChoices):
        HEAD = "head", _("head of household")
        SPOUSE = "spouse", _("spouse")
        CHILD = "child", _("child")
        PARENT = "parent", _("parent")
        SIBLING = "sibling", _("sibling")
        GRANDCHILD = "grandchild", _("grandchild")
        OTHER = "other", _("other")

    scope_path = "org_unit"

    worker = models.ForeignKey(
        Worker, on_delete=models.PROTECT, related_name="members", verbose_name=_("household file")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("person")
    )
    relation = models.CharField(_("relation"), max_length=12, choices=Relation.choices)
    school = models.CharField(_("school or grade"), max_length=100, blank=True)
    health_note = models.TextField(_("health or disability"), blank=True)
    # Maintained by the database (triggers): true while the file is active and the row is not
    # deleted. Never written by Python.
    file_active = models.BooleanField(default=True, editable=False)

    class Meta(SyncedRecord.Meta):
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        ordering = ["worker", "relation"]
        constraints = [
            # A Person stands in at most one active file (draft, submitted, registered)
            # city-wide, as head or member. Two clerks saving at once cannot both win.
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(file_active=True),
                name="member_one_active_file_per_person",
            ),
            models.UniqueConstraint(
                fields=["worker"],
                condition=models.Q(relation="head", deleted_at__isnull=True),
                name="member_one_head_per_file",
            ),
        ]
        triggers = [
            *SyncedRecord.Meta.triggers,
            pgtrigger.Trigger(
                name="file_active_from_worker",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.Update,
                func="""
                    NEW.file_active := NEW.deleted_at IS NULL AND EXISTS (
                        SELECT 1 FROM cases_worker w WHERE w.id = NEW.worker_id
                        AND w.deleted_at IS NULL
                        AND w.status IN ('draft', 'submitted', 'registered'));
                    RETURN NEW;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person.name}（{self.get_relation_display()}）"


def document_path(instance, filename: str) -> str:
    # Random names: the stored path reveals neither the person nor the original file name.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"documents/{instance.worker_id}/{uuid.uuid4().hex}.{suffix}"


class WorkerDocument(models.Model):
    """A proof document of a household file, kept under PRIVATE_ROOT (outside the web root)."""

    class Kind(models.TextChoices):
        CONSENT = "consent", _("signed consent to check finances")
        INCOME = "income", _("income statement")
        HUKOU = "hukou", _("hukou page")
        MEDICAL = "medical", _("medical certificate")
        DISABILITY = "disability", _("disability certificate")
        OTHER = "other", _("other proof")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    worker = models.ForeignKey(
        Worker, on_delete=models.PROTECT, related_name="documents", verbose_name=_("household file")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=document_path)
    original_name = models.CharField(_("original file name"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("proof document")
        verbose_name_plural = _("proof documents")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name}"


class NoticeObjection(models.Model):
    """An objection received during the public notice (公示); resolved before approval."""

    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    worker = models.ForeignKey(
        Worker,
        on_delete=models.PROTECT,
        related_name="objections",
        verbose_name=_("household file"),
    )
    received_on = models.DateField(_("received on"))
    content = models.TextField(_("objection"))
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    resolution = models.TextField(_("how it was resolved"), blank=True)

    class Meta:
        verbose_name = _("notice objection")
        verbose_name_plural = _("notice objections")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resolved_on__isnull=True) | ~models.Q(resolution=""),
                name="objection_resolution_explained",
            )
        ]

    def __str__(self) -> str:
        return f"{self.received_on} {self.content[:20]}"


class FileEvent(models.Model):
    """The file's workflow timeline: every move with who, when and the opinion or reason."""

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        SUBMITTED = "submitted", _("submitted")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        REVIEWED = "reviewed", _("annual review")
        LIFTED = "lifted", _("lifted out of hardship")
        CLOSED = "closed", _("closed")
        REOPENED = "reopened", _("reopened (fell back into hardship)")
        FOLLOW_UP = "follow_up", _("follow-up visit")
        TRANSFER_REQUESTED = "transfer_requested", _("transfer requested")
        TRANSFERRED = "transferred", _("transferred")
        TRANSFER_REFUSED = "transfer_refused", _("transfer refused")

    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="timeline")
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    on = models.DateField(_("date"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("file event")
        verbose_name_plural = _("file events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["worker", "at"], name="fileevent_worker_at")]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.on} {self.get_kind_display()}"


class FileTransfer(models.Model):
    """A household file moving between units; both units see it while it is pending."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted")
        REFUSED = "refused", _("refused")

    scope_path = ("from_unit", "to_unit")

    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="transfers")
    from_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("from")
    )
    to_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("to")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="pending")
    reason = models.TextField(_("reason"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("file transfer")
        verbose_name_plural = _("file transfers")
        constraints = [
            models.UniqueConstraint(
                fields=["worker"], condition=models.Q(status="pending"), name="one_pending_transfer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.worker} → {self.to_unit}"


class MinimumLivingLine(models.Model):
    """The local minimum-living line (低保标准) per year and unit: data, not code."""

    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    monthly_amount = models.DecimalField(
        _("monthly amount per person"), max_digits=8, decimal_places=2
    )

    scope_path = None  # published figures: every staff user may read them

    class Meta:
        verbose_name = _("minimum-living line")
        verbose_name_plural = _("minimum-living lines")
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "year"], name="one_line_per_unit_year"),
            models.CheckConstraint(condition=models.Q(monthly_amount__gt=0), name="line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.org_unit} {self.year}: {self.monthly_amount}"


# --- The front desk: cases (接待登记) -------------------------------------------------------
class Channel(models.TextChoices):
    WALK_IN = "walk_in", _("walk-in")
    HOTLINE = "hotline", _("hotline")
    LETTER = "letter", _("letter")
    ONLINE = "online", _("online message")
    REFERRAL = "referral", _("referral")


class Category(models.TextChoices):
    JOB_SEEKING = "job_seeking", _("job seeking")
    TRAINING = "training", _("training")
    LABOUR_DISPUTE = "labour_dispute", _("labour dispute")
    WAGE_ARREARS = "wage_arrears", _("wage arrears")
    LIVING_HARDSHIP = "living_hardship", _("living hardship")
    MEDICAL = "medical", _("medical")
    SCHOOLING = "schooling", _("schooling")
    PSYCHOLOGICAL = "psychological", _("psychological aid")
    PETITION = "petition", _("petition (letters and visits)")
    OTHER = "other", _("other")


class ReferenceCounter(models.Model):
    """The last reference number issued per unit and year: one row, locked to issue the next,
    so numbers are unique and never reused even when clerks save at the same moment."""

    org_unit = models.ForeignKey("aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "year"], name="one_counter_per_unit_year")
        ]

    def __str__(self) -> str:
        return f"{self.org_unit_id}/{self.year}: {self.last}"


@pghistory.track()
class Case(SyncedRecord):
    """A walk-in, hotline call (12351 work orders included), letter, online message or referral."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        IN_PROGRESS = "in_progress", _("in progress")
        REFERRED = "referred", _("referred")
        RESOLVED = "resolved", _("case resolved")
        CLOSED = "closed", _("case closed")

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("normal")
        URGENT = "urgent", _("urgent")

    class Acceptance(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        NOT_ACCEPTED = "not_accepted", _("not accepted")

    # action -> (statuses it may start from, status it leads to)
    TRANSITIONS = {
        "start": ({"open"}, "in_progress"),
        "refer": ({"open", "in_progress"}, "referred"),
        "resolve": ({"open", "in_progress", "referred"}, "resolved"),
        "close": ({"resolved"}, "closed"),
        "reopen": ({"resolved", "closed"}, "in_progress"),
    }

    reference = models.CharField(_("reference number"), max_length=40, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    work_order_no = models.CharField(_("12351 work order number"), max_length=40, blank=True)
    received_at = models.DateTimeField(_("received at"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("received by"),
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("person"),
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    urgency = models.CharField(
        _("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    summary = models.TextField(_("summary"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default="open")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    # Petitions (信访工作条例 2022, arts. 22, 32, 33): decide within 15 days whether to accept,
    # handle within 60 days of acceptance, one extension of at most 30 days with a notice.
    accept_due_on = models.DateField(_("decide acceptance by"), null=True, blank=True)
    acceptance = models.CharField(
        _("acceptance"), max_length=12, choices=Acceptance.choices, blank=True
    )
    accepted_on = models.DateField(_("acceptance decided on"), null=True, blank=True)
    due_on = models.DateField(_("handle by"), null=True, blank=True)
    extended_to = models.DateField(_("extended to"), null=True, blank=True)
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The follow-up call (回访) after resolution
    followed_up_at = models.DateTimeField(_("follow-up call at"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    follow_up_remarks = models.TextField(_("follow-up remarks"), blank=True)

    class Meta(SyncedRecord.Meta):
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__isnull=True)
                | models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="case_satisfaction_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(extended_to__isnull=True) | models.Q(due_on__isnull=False),
                name="case_extension_needs_due_date",
            ),
        ]
        indexes = [
            models.Index(fields=["org_unit", "status", "received_at"], name="case_unit_status"),
            models.Index(fields=["assignee", "status"], name="case_assignee_status"),
            models.Index(fields=["person", "received_at"], name="case_person"),
        ]

    def __str__(self) -> str:
        return self.reference

    def next_status(self, action: str) -> str | None:
        starts, target = self.TRANSITIONS[action]
        return target if self.status in starts else None

    @property
    def deadline(self) -> datetime.date | None:
        """The date the case must be answered by now: acceptance for a petition awaiting the
        decision, otherwise the (extended) handling deadline."""
        if self.category == Category.PETITION and not self.acceptance:
            return self.accept_due_on
        return self.extended_to or self.due_on

    def is_open(self) -> bool:
        return self.status in {"open", "in_progress", "referred"}

    def is_overdue(self, today: datetime.date) -> bool:
        return self.is_open() and self.deadline is not None and self.deadline < today


class CaseNote(SyncedRecord):
    """The case's timeline of notes. Notes of psychological-aid cases are read only by the
    assigned counsellor and by auditors."""

    scope_path = "org_unit"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    body = models.TextField(_("note"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("written by"),
    )

    class Meta(SyncedRecord.Meta):
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.body[:30]


class CaseMove(models.Model):
    """Every workflow move of a case, with who and when (append-only)."""

    LABELS = {
        "logged": _("logged"),
        "start": _("handling started"),
        "resolve": _("case resolved"),
        "close": _("case closed"),
        "reopen": _("reopened"),
        "accepted": _("petition accepted"),
        "not_accepted": _("petition not accepted"),
        "extended": _("deadline extended"),
        "assigned": _("assigned"),
        "followed_up": _("follow-up call"),
        "referred": _("referred to a service"),
    }

    org_unit = models.ForeignKey("aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="moves")
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    @property
    def label(self) -> str:
        return self.LABELS.get(self.action, self.action)


class ServiceDeadline(models.Model):
    """A unit's own service deadline per category, in days (data, not code). The nearest unit
    up the tree that sets one wins; without any, DEFAULT_SERVICE_DAYS applies."""

    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    days = models.PositiveSmallIntegerField(_("days"))

    scope_path = None

    class Meta:
        verbose_name = _("service deadline")
        verbose_name_plural = _("service deadlines")
        constraints = [
            models.UniqueConstraint(
                fields=["org_unit", "category"], name="one_deadline_per_unit_cat"
            )
        ]

    def __str__(self) -> str:
        return f"{self.org_unit} {self.category}: {self.days}"


class Referral(models.Model):
    """A case referred to a service app (jobs, training, legal aid, funds), which created or
    linked its own record. The case shows its progress; unpicked referrals show as stuck."""

    class Status(models.TextChoices):
        SENT = "sent", _("sent, not picked up")
        PICKED_UP = "picked_up", _("being handled")
        DONE = "done", _("done")

    org_unit = models.ForeignKey("aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    target = models.CharField(_("referred to"), max_length=20)
    record_label = models.CharField(max_length=60)  # e.g. "funds.AidApplication"
    record_id = models.CharField(max_length=64)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="sent")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("referred at"), auto_now_add=True)
    picked_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="referral_status_created")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.target}"

    @property
    def target_label(self) -> str:
        from cases.referrals import TARGETS

        target = TARGETS.get(self.target)
        return str(target.label) if target else self.target
