"""Admin of job placement: scoped through ScopedAdmin; catalogues editable by the roles that run
fairs, the records of seekers read-only here (they are entered through the API and services,
where the rules and the races are handled)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from aidcenter.admin_base import ScopedAdmin, row_values
from aidcenter.errors import Invalid
from aidcenter.roles import Action
from jobs import services
from jobs.models import (
    Employer,
    Guidance,
    Intent,
    JobFair,
    JobSeeker,
    Placement,
    Vacancy,
    three_months_after,
)


class EmployerForm(forms.ModelForm):
    class Meta:
        model = Employer
        fields = ["credit_code", "name", "industry", "contact_name", "contact_phone", "address"]

    def clean_credit_code(self):
        try:
            return services.validate_credit_code(self.cleaned_data.get("credit_code"))
        except Invalid as exc:
            raise forms.ValidationError(exc.message) from None


@admin.register(Employer)
class EmployerAdmin(ScopedAdmin):
    form = EmployerForm
    write_action = Action.RUN_SERVICES
    list_display = ["name", "credit_code", "industry", "contact_name", "contact_phone"]
    search_fields = ["name", "credit_code"]
    list_filter = ["industry"]


class VacancyInline(admin.TabularInline):
    model = Vacancy
    extra = 0
    fields = ["employer", "title", "positions", "placed", "status"]
    readonly_fields = ["placed"]
    autocomplete_fields = ["employer"]
    show_change_link = True


@admin.register(JobFair)
class JobFairAdmin(ScopedAdmin):
    write_action = Action.RUN_SERVICES
    list_display = ["held_on", "name", "kind", "location", "org_unit"]
    list_filter = ["kind", "location", "held_on"]
    list_select_related = ["org_unit"]
    search_fields = ["name", "venue"]
    date_hierarchy = "held_on"
    filter_horizontal = ["employers"]


@admin.register(Vacancy)
class VacancyAdmin(ScopedAdmin):
    write_action = Action.RUN_SERVICES
    list_display = ["title", "employer", "positions", "placed", "status", "opened_on", "org_unit"]
    list_filter = ["status", "opened_on"]
    list_select_related = ["employer", "org_unit"]
    search_fields = ["title", "employer__name"]
    autocomplete_fields = ["employer", "job_fair"]
    readonly_fields = ["placed"]


class ReadOnlyAdmin(ScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(JobSeeker)
class JobSeekerAdmin(ReadOnlyAdmin):
    list_display = ["person", "desired_job", "registered_on", "org_unit"]
    list_select_related = ["person", "org_unit"]
    search_fields = ["person__name", "desired_job"]
    date_hierarchy = "registered_on"


@admin.register(Guidance)
class GuidanceAdmin(ReadOnlyAdmin):
    list_display = ["held_on", "seeker", "org_unit"]
    list_select_related = ["seeker__person", "org_unit"]
    date_hierarchy = "held_on"


@admin.register(Intent)
class IntentAdmin(ReadOnlyAdmin):
    list_display = ["reached_on", "seeker", "vacancy", "org_unit"]
    list_select_related = ["seeker__person", "vacancy__employer", "org_unit"]
    date_hierarchy = "reached_on"


@admin.register(Placement)
class PlacementAdmin(ReadOnlyAdmin):
    list_display = [
        "started_on",
        "seeker",
        "vacancy",
        "follow_up",
        "employed_at_follow_up",
        "org_unit",
    ]
    list_select_related = ["seeker__person", "vacancy__employer", "org_unit"]
    list_filter = ["employed_at_follow_up"]
    date_hierarchy = "started_on"

    @admin.display(description=_("follow-up due on"))
    @row_values("followed_up_on", "started_on")
    def follow_up(self, followed_up_on, started_on):
        return followed_up_on or three_months_after(started_on)
