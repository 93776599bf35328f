from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from aidcenter.admin_base import ScopedAdmin
from aidcenter.models import AccessLog, ApiKey, OrgUnit, StaffProfile
from aidcenter.roles import Action, can

admin.site.site_header = _("Workers' Aid Center")
admin.site.site_title = _("Workers' Aid Center")
admin.site.index_title = _("Administration")
# Lists here are wide (registry, ledger): give the table the whole width.
admin.site.enable_nav_sidebar = False


@admin.register(OrgUnit)
class OrgUnitAdmin(ScopedAdmin):
    write_action = Action.ADMINISTER
    list_display = ["code", "name", "kind", "parent", "version"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    readonly_fields = ["version", "created_at", "updated_at"]


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    fk_name = "user"


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """Staff accounts: only administrators manage them."""

    inlines = [StaffProfileInline]
    list_display = ["username", "first_name", "staff_role", "staff_unit", "is_active"]
    list_select_related = ["staff__org_unit"]
    list_filter = ["staff__role", "is_active"]

    @admin.display(description=_("role"), ordering="staff__role")
    def staff_role(self, obj):
        return obj.staff.get_role_display() if hasattr(obj, "staff") else "—"

    @admin.display(description=_("unit"), ordering="staff__org_unit__code")
    def staff_unit(self, obj):
        return obj.staff.org_unit if hasattr(obj, "staff") else "—"

    def has_module_permission(self, request):
        return can(request.user, Action.ADMINISTER)

    has_view_permission = has_add_permission = has_change_permission = (
        lambda self, request, obj=None: can(request.user, Action.ADMINISTER)
    )

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: history keeps pointing at the account


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Auditors (and administrators) read who saw full personal data; nobody edits it."""

    list_display = ["at", "user", "action", "model", "record_id", "count", "path"]
    list_filter = ["action", "model"]
    search_fields = ["user__username", "record_id"]
    list_select_related = ["user"]
    date_hierarchy = "at"
    list_per_page = 100
    show_full_result_count = False

    def has_module_permission(self, request):
        return can(request.user, Action.VIEW_HISTORY)

    def has_view_permission(self, request, obj=None):
        return can(request.user, Action.VIEW_HISTORY)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # The log of the users in the viewer's scope (their staff profiles' units).
        from aidcenter.scope import unit_ids

        ids = unit_ids(request.user)
        qs = super().get_queryset(request)
        return qs if ids is None else qs.filter(user__staff__org_unit_id__in=ids)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["hint", "user", "name", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["user"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "name", "hint"]
    fields = ["user", "name", "hint", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["hint", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_module_permission(self, request):
        return can(request.user, Action.ADMINISTER)

    def has_view_permission(self, request, obj=None):
        return can(request.user, Action.ADMINISTER)

    def has_add_permission(self, request):
        return can(request.user, Action.ADMINISTER)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        record, key = ApiKey.issue(user=obj.user, name=obj.name)
        obj.pk = record.pk
        messages.warning(
            request,
            format_html(_("The new key is shown only this once: <code>{}</code>"), key),
        )

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        for key in queryset:
            key.revoke()
        messages.success(request, _("Keys revoked; they stop working at once."))


# Login security (authenticators, lockouts) for the administrator role.
from aidcenter import otp_admin  # noqa: E402, F401
