"""Admin of legal aid, scoped through ScopedAdmin. The lawyers' catalogue (duty days, past
clients) is edited here by the roles that run legal cases; legal cases are read here and
changed through the API and services, where the stage moves, the conflict check and the
deadlines are kept."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aidcenter.admin_base import ScopedAdmin, row_values
from aidcenter.roles import Action
from legal import deadlines, services
from legal.models import Claimant, DutySlot, Lawyer, LegalCase, PastClient, StageRecord


class DutySlotInline(admin.TabularInline):
    model = DutySlot
    extra = 0
    fields = ["org_unit", "weekday"]


class PastClientInline(admin.TabularInline):
    model = PastClient
    extra = 0
    fields = ["employer", "acted_from", "acted_until", "note"]
    autocomplete_fields = ["employer"]


@admin.register(Lawyer)
class LawyerAdmin(ScopedAdmin):
    write_action = Action.RUN_SERVICES
    list_display = ["name", "firm", "licence_no", "phone", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "firm", "licence_no"]
    inlines = [DutySlotInline, PastClientInline]


@admin.register(PastClient)
class PastClientAdmin(ScopedAdmin):
    """Clients of whole firms (no single lawyer) are entered here."""

    write_action = Action.RUN_SERVICES
    list_display = ["employer", "lawyer", "firm", "acted_from", "acted_until"]
    list_select_related = ["employer", "lawyer"]
    search_fields = ["firm", "lawyer__name", "employer__name", "employer__credit_code"]
    autocomplete_fields = ["employer", "lawyer"]


class DeadlineFilter(admin.SimpleListFilter):
    title = _("deadline status")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [("missed", _("deadline missed")), ("due_soon", _("deadline due soon"))]

    def queryset(self, request, queryset):
        if self.value() in {"missed", "due_soon"}:
            return queryset.filter(services.deadline_q(self.value()))
        return queryset


class ClaimantInline(admin.TabularInline):
    model = Claimant
    extra = 0
    fields = ["person", "amount_claimed", "amount_recovered", "eligibility"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class StageInline(admin.TabularInline):
    model = StageRecord
    extra = 0
    fields = ["stage", "started_on", "ended_on", "result"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LegalCase)
class LegalCaseAdmin(ScopedAdmin):
    write_action = Action.RUN_SERVICES
    list_display = [
        "opened_on",
        "case_type",
        "employer",
        "stage",
        "lawyer",
        "is_legal_aid",
        "next_deadline_on",
        "deadline_status",
        "org_unit",
    ]
    list_filter = [DeadlineFilter, "stage", "case_type", "is_legal_aid"]
    list_select_related = ["employer", "lawyer", "org_unit"]
    search_fields = ["employer__name", "summary"]
    date_hierarchy = "opened_on"
    inlines = [ClaimantInline, StageInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("deadline status"))
    @row_values("stage", "next_deadline_on")
    def deadline_status(self, stage, next_deadline_on):
        if stage == "closed":
            return ""
        found = deadlines.flag(next_deadline_on, today=timezone.localdate())
        return {"missed": _("deadline missed"), "due_soon": _("deadline due soon")}.get(found, "")
