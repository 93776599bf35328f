"""The admin of login security, for the administrator role (roles.py, not Django's permission
rows): remove a lost authenticator (the user enrols a new one at the next login) and lift a
lockout of too many wrong passwords. Keys of authenticators are never shown."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from aidcenter.roles import Action, can


class _AdministerOnly(admin.ModelAdmin):
    actions = ["delete_selected"]

    def has_module_permission(self, request):
        return can(request.user, Action.ADMINISTER)

    def has_view_permission(self, request, obj=None):
        return can(request.user, Action.ADMINISTER)

    def has_delete_permission(self, request, obj=None):
        return can(request.user, Action.ADMINISTER)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


for model in (TOTPDevice, AccessAttempt):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(TOTPDevice)
class AuthenticatorAdmin(_AdministerOnly):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username", "user__first_name"]
    list_select_related = ["user"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields


@admin.register(AccessAttempt)
class LoginFailuresAdmin(_AdministerOnly):
    """Deleting a row unlocks that username at once."""

    list_display = ["username", "ip_address", "failures_since_start", "attempt_time"]
    search_fields = ["username", "ip_address"]
    fields = ["username", "ip_address", "user_agent", "failures_since_start", "attempt_time"]
    readonly_fields = fields
