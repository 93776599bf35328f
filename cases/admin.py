from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aidcenter.admin_base import ScopedAdmin, row_values
from aidcenter.models import AccessLog
from aidcenter.pii import log_access, sees_full_ids
from aidcenter.roles import Action, can
from cases import idnumbers, services
from cases.models import FileEvent, HouseholdMember, MinimumLivingLine, Person, Worker


def id_number_column(number: str, unit: str):
    """The "ID number" column: `number` and `unit` are the paths to the person's ID number
    and to the unit whose records they are. Shown masked to viewers without the right to see
    it in full there (the admin class keeps the request in `_request`)."""

    @admin.display(description=_("ID number"))
    @row_values(number, unit)
    def id_number(self, national_id, org_unit_id):
        if not national_id:
            return "—"
        if sees_full_ids(self._request.user, org_unit_id):
            return national_id
        return idnumbers.mask(national_id)

    return id_number


class MaskedIdMixin:
    """Logs every list and record shown with full ID numbers (the column is `id_number_column`)."""

    def changelist_view(self, request, extra_context=None):
        self._request = request
        response = super().changelist_view(request, extra_context)
        if sees_full_ids(request.user) and hasattr(response, "context_data"):
            cl = response.context_data.get("cl")
            if cl is not None:
                log_access(
                    user=request.user,
                    action=AccessLog.Action.LIST,
                    model=self.model._meta.label,
                    count=len(cl.result_list),
                    path=request.path,
                )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._request = request
        obj = self.get_object(request, object_id)
        if obj is not None and sees_full_ids(request.user, obj.org_unit_id):
            log_access(
                user=request.user,
                action=AccessLog.Action.VIEW,
                model=self.model._meta.label,
                record_id=str(obj.pk),
                path=request.path,
            )
        return super().change_view(request, object_id, form_url, extra_context)


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = ["org_unit", "name", "phone", "national_id", "is_migrant", "hukou"]

    def clean_national_id(self):
        raw = self.cleaned_data.get("national_id")
        if not raw or idnumbers.is_masked(raw):
            return raw
        try:
            number = idnumbers.validate(raw)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        others = Person.objects.filter(national_id=number, deleted_at__isnull=True)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("A person with this ID number is already registered."))
        return number


@admin.register(Person)
class PersonAdmin(MaskedIdMixin, ScopedAdmin):
    form = PersonForm
    list_display = ["name", "id_number", "phone", "sex", "birth_date", "is_migrant", "org_unit"]
    id_number = id_number_column("national_id", "org_unit_id")
    list_filter = ["is_migrant", "hukou", "sex"]
    # Names and phones only: an ID number typed here would travel in the URL. ID numbers are
    # searched on the front-desk page, which posts them.
    search_fields = ["name", "phone"]
    search_help_text = _("Name or phone. Search by ID number on the front-desk page.")
    list_select_related = ["org_unit"]
    readonly_fields = ["sex", "birth_date", "version", "created_at", "updated_at"]
    list_per_page = 50
    show_full_result_count = False

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if hasattr(request.user, "staff"):
            initial.setdefault("org_unit", request.user.staff.org_unit_id)
        return initial

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and obj.national_id and not sees_full_ids(request.user, obj.org_unit_id):
            obj.national_id = idnumbers.mask(
                obj.national_id
            )  # the form never holds the full number
        return obj

    def save_model(self, request, obj, form, change):
        data = {
            k: form.cleaned_data.get(k)
            for k in ("name", "phone", "national_id", "is_migrant", "hukou")
        }
        # The form has validated; the service applies the same rules the API does.
        if change:
            data["org_unit"] = form.cleaned_data["org_unit"]
            services.person_update(by=request.user, person=Person.objects.get(pk=obj.pk), data=data)
        else:
            saved = services.person_create(
                by=request.user, org_unit=form.cleaned_data["org_unit"], data=data
            )
            obj.pk = saved.pk


class MemberInline(admin.TabularInline):
    model = HouseholdMember
    fields = ["person", "relation", "school", "id_number"]
    readonly_fields = ["person", "relation", "school", "id_number"]
    extra = 0
    can_delete = False
    show_change_link = False

    id_number = id_number_column("person__national_id", "org_unit_id")

    def get_queryset(self, request):
        self._request = request
        return (
            super().get_queryset(request).select_related("person").filter(deleted_at__isnull=True)
        )

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = FileEvent
    fields = ["on", "kind", "by", "note", "at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


class ReviewOverdueFilter(admin.SimpleListFilter):
    title = _("annual review")
    parameter_name = "review_overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("overdue")), ("no", _("not overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(services.review_overdue_q())
        if self.value() == "no":
            return queryset.exclude(services.review_overdue_q())
        return queryset


class UnitFilter(admin.SimpleListFilter):
    """Units of the viewer's scope only."""

    title = _("unit")
    parameter_name = "unit"

    def lookups(self, request, model_admin):
        from aidcenter.models import OrgUnit
        from aidcenter.scope import scoped

        return [(u.code, u.name) for u in scoped(request.user, OrgUnit).only("code", "name")]

    def queryset(self, request, queryset):
        return queryset.filter(org_unit__code=self.value()) if self.value() else queryset


@admin.register(Worker)
class WorkerAdmin(MaskedIdMixin, ScopedAdmin):
    list_display = [
        "head_name",
        "id_number",
        "org_unit",
        "status",
        "hardship_level",
        "main_cause",
        "file_level",
        "size",
        "registered_on",
        "review_due",
    ]
    list_filter = [
        UnitFilter,
        "status",
        "hardship_level",
        "main_cause",
        "file_level",
        ("person__is_migrant", admin.BooleanFieldListFilter),
        ReviewOverdueFilter,
        "is_model_worker",
    ]
    search_fields = ["person__name", "person__phone", "national_file_no"]
    search_help_text = _("Head's name or phone, or national file number.")
    list_select_related = ["person", "org_unit"]
    list_per_page = 50
    show_full_result_count = False
    inlines = [MemberInline, EventInline]
    readonly_fields = [
        "person",
        "org_unit",
        "status",
        "entered_by",
        "submitted_at",
        "decided_by",
        "decided_at",
        "decision_opinion",
        "registered_on",
        "last_reviewed_on",
        "ended_on",
        "end_reason",
        "version",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "person",
                    "org_unit",
                    "status",
                    "address",
                    "employer_name",
                    "union_member_no",
                    "employment_status",
                ]
            },
        ),
        (
            _("Hardship"),
            {
                "fields": [
                    "household_income_year",
                    "major_costs_year",
                    "income_per_head",
                    "hardship_level",
                    "main_cause",
                    "secondary_causes",
                    "file_level",
                    "national_file_no",
                    "is_model_worker",
                ]
            },
        ),
        (
            _("Opening"),
            {
                "fields": [
                    "entered_by",
                    "consent_signed_on",
                    "home_visit_on",
                    "home_visit_note",
                    "notice_starts_on",
                    "notice_ends_on",
                    "submitted_at",
                    "decided_by",
                    "decided_at",
                    "decision_opinion",
                    "registered_on",
                ]
            },
        ),
        (_("Dynamic management"), {"fields": ["last_reviewed_on", "ended_on", "end_reason"]}),
        (None, {"fields": ["version", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(member_count=Worker.household_size_expression())
        )

    id_number = id_number_column("person__national_id", "person__org_unit_id")

    @admin.display(description=_("head"), ordering="person__name")
    @row_values("person__name")
    def head_name(self, name):
        return name

    @admin.display(description=_("household size"), ordering="member_count")
    @row_values("member_count")
    def size(self, count):
        return count

    @admin.display(description=_("review due"))
    @row_values("status", "registered_on", "last_reviewed_on")
    def review_due(self, status, registered_on, last_reviewed_on):
        due = Worker.review_due_for(status, registered_on, last_reviewed_on)
        if due is None:
            return "—"
        return f"{due} ⚠" if due < timezone.localdate() else str(due)

    def has_add_permission(self, request):
        return False  # files are opened through the API or the front desk, with their head

    def has_change_permission(self, request, obj=None):
        return can(request.user, Action.USE_PAGES) and can(request.user, Action.ENTER)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status not in services.EDITABLE_STATUSES:
            frozen = [f.name for f in Worker._meta.fields if f.name not in {"id", "deleted_at"}]
            return [*frozen, "version", "created_at", "updated_at"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        fields = {n: form.cleaned_data[n] for n in form.changed_data if n in services.WORKER_FIELDS}
        services.worker_update(
            by=request.user, worker=Worker.objects.get(pk=obj.pk), head={}, fields=fields
        )


@admin.register(MinimumLivingLine)
class MinimumLivingLineAdmin(ScopedAdmin):
    write_action = Action.ADMINISTER
    list_display = ["org_unit", "year", "monthly_amount"]
    list_filter = ["year"]
    list_select_related = ["org_unit"]
