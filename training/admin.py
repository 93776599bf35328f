"""Admin of skills training: scoped through ScopedAdmin; courses and classes editable by the
roles that run classes, enrolments and certificates read-only here (entered through the API
and services, where capacity races and the waiting list are handled)."""

from django.contrib import admin

from aidcenter.admin_base import ScopedAdmin
from aidcenter.roles import Action
from training.models import Certificate, Course, Enrolment, TrainingClass


@admin.register(Course)
class CourseAdmin(ScopedAdmin):
    write_action = Action.RUN_SERVICES
    list_display = ["name", "level", "kind", "provider", "certificate_name"]
    list_filter = ["level", "kind"]
    search_fields = ["name", "provider"]


@admin.register(TrainingClass)
class TrainingClassAdmin(ScopedAdmin):
    write_action = Action.RUN_SERVICES
    list_display = ["__str__", "starts_on", "ends_on", "capacity", "enrolled", "org_unit"]
    list_select_related = ["course", "org_unit"]
    list_filter = ["starts_on"]
    search_fields = ["name", "course__name"]
    autocomplete_fields = ["course"]
    readonly_fields = ["enrolled"]
    date_hierarchy = "starts_on"


class ReadOnlyAdmin(ScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin):
    list_display = ["person", "training_class", "status", "exam_passed", "org_unit"]
    list_select_related = ["person", "training_class__course", "org_unit"]
    list_filter = ["status", "exam_passed"]
    search_fields = ["person__name"]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ["number", "name", "kind", "person", "issued_on", "expires_on", "org_unit"]
    list_select_related = ["person", "org_unit"]
    list_filter = ["kind", "expires_on"]
    search_fields = ["number", "name", "person__name"]
