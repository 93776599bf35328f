"""Legal aid (法律援助) and migrant workers' rights (农民工维权): legal cases with their claimants,
stages and documents; the lawyers on duty (律师坐堂) and the clients they or their firms acted
for, which the conflict check reads; recoveries of unpaid wages.

What must never happen is held by the database: amounts are never negative, a person is a
claimant of a case once, a recovery is never edited or deleted (a mistake is corrected by a
negative row), a lawyer sits on a duty day once per unit, and an overridden conflict check
always has its reason.
"""

from __future__ import annotations

import uuid

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aidcenter.sync import SyncedRecord, Versioned

MONEY = {"max_digits": 12, "decimal_places": 2}


class CaseType(models.TextChoices):
    WAGE_ARREARS = "wage_arrears", _("wage arrears")
    CONTRACT = "contract", _("labour contract dispute")
    WORK_INJURY = "work_injury", _("work injury")
    SOCIAL_INSURANCE = "social_insurance", _("social insurance")
    DISMISSAL = "dismissal", _("dismissal")
    CONSULTATION = "consultation", _("consultation only")


class Stage(models.TextChoices):
    INTAKE = "intake", _("intake")
    MEDIATION = "mediation", _("mediation")
    LABOUR_INSPECTION = "labour_inspection", _("labour inspection")
    ARBITRATION = "arbitration", _("arbitration")
    LITIGATION = "litigation", _("litigation")
    CLOSED = "closed", _("legal case closed")


class Outcome(models.TextChoices):
    RECOVERED_IN_FULL = "recovered_in_full", _("recovered in full")
    RECOVERED_IN_PART = "recovered_in_part", _("recovered in part")
    MEDIATED = "mediated", _("settled by mediation")
    AWARD_WON = "award_won", _("award in the workers' favour")
    JUDGMENT_WON = "judgment_won", _("judgment in the workers' favour")
    LOST = "lost", _("claim not upheld")
    WITHDRAWN = "withdrawn", _("claim withdrawn")
    ADVICE_GIVEN = "advice_given", _("legal advice given")


class Eligibility(models.TextChoices):
    HARDSHIP_FILE = "hardship_file", _("free legal aid: registered hardship file")
    MIGRANT_WAGE_ARREARS = "migrant_wage_arrears", _("free legal aid: migrant worker owed wages")
    CONSULTATION = "consultation", _("recorded as a consultation")


class RestartReason(models.TextChoices):
    CLAIM_PRESSED = "claim_pressed", _("the worker pressed the claim")
    RELIEF_SOUGHT = "relief_sought", _("the worker asked an authority for relief")
    EMPLOYER_AGREED = "employer_agreed", _("the employer agreed to pay")


@pghistory.track()
class Lawyer(Versioned):
    """A lawyer who sits on duty at the center (律师坐堂); a city-wide catalogue."""

    scope_path = None  # city-wide: every staff user reads it

    name = models.CharField(_("lawyer's name"), max_length=50)
    firm = models.CharField(_("law firm"), max_length=100)
    licence_no = models.CharField(_("practising licence number"), max_length=30, unique=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("on the roster"), default=True)

    class Meta(Versioned.Meta):
        verbose_name = _("duty lawyer")
        verbose_name_plural = _("duty lawyers")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.firm}）"


class DutySlot(models.Model):
    """One weekday on which a lawyer sits at a unit's hall."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    lawyer = models.ForeignKey(
        Lawyer, on_delete=models.CASCADE, related_name="duty_slots", verbose_name=_("lawyer")
    )
    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    weekday = models.PositiveSmallIntegerField(_("duty day"), choices=Weekday.choices)

    class Meta:
        verbose_name = _("duty day")
        verbose_name_plural = _("duty days")
        ordering = ["weekday", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lawyer", "org_unit", "weekday"], name="legal_one_duty_slot"
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6), name="legal_weekday_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lawyer} · {self.get_weekday_display()}"


@pghistory.track()
class PastClient(models.Model):
    """A client a lawyer, or their firm, acted for: what the conflict check reads."""

    scope_path = None  # part of the lawyers' catalogue

    lawyer = models.ForeignKey(
        Lawyer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="past_clients",
        verbose_name=_("lawyer"),
    )
    firm = models.CharField(_("law firm"), max_length=100, blank=True)
    employer = models.ForeignKey(
        "jobs.Employer", on_delete=models.PROTECT, related_name="+", verbose_name=_("employer")
    )
    acted_from = models.DateField(_("acted from"), null=True, blank=True)
    acted_until = models.DateField(_("acted until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("past client of a lawyer or firm")
        verbose_name_plural = _("past clients of lawyers and firms")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lawyer__isnull=False) | ~models.Q(firm=""),
                name="legal_past_client_names_lawyer_or_firm",
            )
        ]
        indexes = [models.Index(fields=["employer"], name="legal_pastclient_employer")]

    def __str__(self) -> str:
        return f"{self.lawyer or self.firm} → {self.employer}"


@pghistory.track()
class LegalCase(SyncedRecord):
    """A legal aid case: claimants against one employer, from intake to closing."""

    # stage -> the stages it may move to. Arbitration comes before any lawsuit (仲裁前置,
    # art. 5); labour inspection (劳动监察) is a route for wage arrears only (see services).
    MOVES = {
        Stage.INTAKE: {Stage.MEDIATION, Stage.LABOUR_INSPECTION, Stage.ARBITRATION, Stage.CLOSED},
        Stage.MEDIATION: {Stage.LABOUR_INSPECTION, Stage.ARBITRATION, Stage.CLOSED},
        Stage.LABOUR_INSPECTION: {Stage.ARBITRATION, Stage.CLOSED},
        Stage.ARBITRATION: {Stage.LITIGATION, Stage.CLOSED},
        Stage.LITIGATION: {Stage.CLOSED},
        Stage.CLOSED: set(),
    }

    case_type = models.CharField(_("case type"), max_length=20, choices=CaseType.choices)
    summary = models.TextField(_("summary"), blank=True)
    employer = models.ForeignKey(
        "jobs.Employer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opposing employer"),
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default="intake")
    lawyer = models.ForeignKey(
        Lawyer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("duty lawyer"),
    )
    # Set when a lawyer was assigned although the conflict check found a past client.
    conflict_override_reason = models.TextField(_("reason for overriding the conflict"), blank=True)
    conflict_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("conflict overridden by"),
    )
    is_legal_aid = models.BooleanField(_("free legal aid"), default=False)
    # Art. 27 limitation facts
    knew_of_violation_on = models.DateField(
        _("worker knew of the violation on"), null=True, blank=True
    )
    wages_during_employment = models.BooleanField(
        _("wages owed during a continuing job"), default=False
    )
    employment_ended_on = models.DateField(_("employment ended on"), null=True, blank=True)
    limitation_restarted_on = models.DateField(_("limitation restarted on"), null=True, blank=True)
    limitation_restart_reason = models.CharField(
        _("why the limitation restarted"), max_length=20, choices=RestartReason.choices, blank=True
    )
    limitation_ends_on = models.DateField(
        _("apply for arbitration by"), null=True, blank=True, editable=False
    )
    # Stage dates that start the other deadlines
    mediation_applied_on = models.DateField(_("mediation applied for on"), null=True, blank=True)
    arbitration_accepted_on = models.DateField(_("arbitration accepted on"), null=True, blank=True)
    award_extended = models.BooleanField(_("award period extended"), default=False)
    award_received_on = models.DateField(_("award received on"), null=True, blank=True)
    next_hearing_on = models.DateField(_("next hearing on"), null=True, blank=True)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    # Kept by services from the facts above (legal/deadlines.py), so lists filter in SQL.
    next_deadline_on = models.DateField(_("next deadline"), null=True, blank=True, editable=False)
    next_deadline_kind = models.CharField(
        _("next deadline is"), max_length=12, blank=True, editable=False
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("outcome in detail"), blank=True)
    opened_on = models.DateField(_("legal case opened on"))
    closed_on = models.DateField(_("legal case closed on"), null=True, blank=True)
    referred_from = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("front-desk case"),
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )

    class Meta(SyncedRecord.Meta):
        verbose_name = _("legal case")
        verbose_name_plural = _("legal cases")
        ordering = ["-opened_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lawyer__isnull=True)
                | models.Q(conflict_overridden_by__isnull=True)
                | ~models.Q(conflict_override_reason=""),
                name="legal_override_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(stage="closed", closed_on__isnull=False)
                | (~models.Q(stage="closed") & models.Q(closed_on__isnull=True)),
                name="legal_closed_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(closed_on__isnull=True)
                | models.Q(closed_on__gte=models.F("opened_on")),
                name="legal_closed_after_opened",
            ),
        ]
        indexes = [
            models.Index(fields=["org_unit", "opened_on"], name="legal_case_unit_opened"),
            models.Index(
                fields=["next_deadline_on"],
                name="legal_case_live_deadline",
                condition=models.Q(deleted_at__isnull=True) & ~models.Q(stage="closed"),
            ),
            models.Index(fields=["employer"], name="legal_case_employer"),
        ]

    def __str__(self) -> str:
        return f"{self.get_case_type_display()} · {self.opened_on:%Y-%m-%d}"

    def may_move_to(self, stage: str) -> bool:
        if stage == Stage.LABOUR_INSPECTION and self.case_type != CaseType.WAGE_ARREARS:
            return False
        if self.case_type == CaseType.CONSULTATION:
            return stage == Stage.CLOSED and self.stage == Stage.INTAKE
        return stage in self.MOVES.get(self.stage, set())


@pghistory.track()
class Claimant(models.Model):
    """A worker claiming in a legal case; the amount recovered is the sum of their recoveries."""

    legal_case = models.ForeignKey(
        LegalCase, on_delete=models.CASCADE, related_name="claimants", verbose_name=_("legal case")
    )
    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    person = models.ForeignKey(
        "cases.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("claimant")
    )
    amount_claimed = models.DecimalField(_("amount claimed"), default=0, **MONEY)
    # Kept equal to the sum of this claimant's Recovery rows by services (one UPDATE in the
    # transaction that adds the row).
    amount_recovered = models.DecimalField(
        _("amount recovered"), default=0, editable=False, **MONEY
    )
    eligibility = models.CharField(
        _("eligibility"), max_length=24, choices=Eligibility.choices, default="consultation"
    )

    class Meta:
        verbose_name = _("claimant")
        verbose_name_plural = _("claimants")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["legal_case", "person"], name="legal_claimant_once"),
            models.CheckConstraint(
                condition=models.Q(amount_claimed__gte=0, amount_recovered__gte=0),
                name="legal_claimant_amounts_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["person"], name="legal_claimant_person")]

    def __str__(self) -> str:
        return str(self.person)


class Recovery(models.Model):
    """Money recovered for a claimant on a day; append-only (a mistake gets a negative row)."""

    claimant = models.ForeignKey(
        Claimant, on_delete=models.PROTECT, related_name="recoveries", verbose_name=_("claimant")
    )
    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    recovered_on = models.DateField(_("recovered on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recovery")
        verbose_name_plural = _("recoveries")
        ordering = ["recovered_on", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="legal_recovery_not_zero")
        ]
        indexes = [models.Index(fields=["recovered_on"], name="legal_recovery_on")]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.recovered_on:%Y-%m-%d} {self.amount}"


@pghistory.track()
class StageRecord(models.Model):
    """One stage the case went through: when it started and ended, and its result."""

    legal_case = models.ForeignKey(
        LegalCase, on_delete=models.CASCADE, related_name="stages", verbose_name=_("legal case")
    )
    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    started_on = models.DateField(_("stage started on"))
    ended_on = models.DateField(_("stage ended on"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )

    class Meta:
        verbose_name = _("stage of a legal case")
        verbose_name_plural = _("stages of legal cases")
        ordering = ["started_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_case"],
                condition=models.Q(ended_on__isnull=True),
                name="legal_one_current_stage",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="legal_stage_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.started_on:%Y-%m-%d}"


def document_path(instance, filename: str) -> str:
    # Random names: the stored path reveals neither the people nor the original file name.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"legal/{instance.legal_case_id}/{uuid.uuid4().hex}.{suffix}"


class LegalDocument(models.Model):
    """A document of a stage (application, evidence, agreement, award, judgment), kept under
    PRIVATE_ROOT and served only through scoped code."""

    class Kind(models.TextChoices):
        APPLICATION = "application", _("application document")
        EVIDENCE = "evidence", _("evidence")
        AGREEMENT = "agreement", _("mediation agreement")
        AWARD = "award", _("arbitration award")
        JUDGMENT = "judgment", _("judgment")
        OTHER = "other", _("other document")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    legal_case = models.ForeignKey(
        LegalCase, on_delete=models.PROTECT, related_name="documents", verbose_name=_("legal case")
    )
    org_unit = models.ForeignKey(
        "aidcenter.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
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
        verbose_name = _("legal document")
        verbose_name_plural = _("legal documents")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name}"
