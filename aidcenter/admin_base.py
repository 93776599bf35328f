"""The admin's base class: every ModelAdmin of the project asks the role table and the one
scoping function, never Django's per-model permission rows."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied

from aidcenter.models import OrgUnit
from aidcenter.roles import Action, can
from aidcenter.scope import in_scope, scoped


class ScopedAdmin(admin.ModelAdmin):
    write_action: str = Action.ENTER
    delete_action: str | None = None  # most records are never deleted from the admin

    def get_queryset(self, request):
        return scoped(request.user, super().get_queryset(request))

    def has_module_permission(self, request):
        return can(request.user, Action.USE_PAGES)

    def has_view_permission(self, request, obj=None):
        return can(request.user, Action.USE_PAGES) and can(request.user, Action.READ)

    def has_add_permission(self, request):
        return can(request.user, Action.USE_PAGES) and can(request.user, self.write_action)

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.delete_action is not None and can(request.user, self.delete_action)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is OrgUnit:
            kwargs["queryset"] = scoped(request.user, OrgUnit.objects.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        unit_id = getattr(obj, "org_unit_id", None)
        if unit_id is not None and not in_scope(request.user, unit_id):
            raise PermissionDenied
        super().save_model(request, obj, form, change)
