"""The admin's base class: every ModelAdmin of the project asks the role table and the one
scoping function, never Django's per-model permission rows."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import label_for_field, lookup_field
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, PermissionDenied
from django.http import QueryDict
from django.shortcuts import redirect
from django.test import RequestFactory
from django.urls import path, reverse
from django.utils.html import strip_tags
from django.utils.safestring import SafeData
from django.utils.translation import gettext as _

from aidcenter import exports
from aidcenter.models import OrgUnit
from aidcenter.pii import sees_full_ids
from aidcenter.roles import Action, can
from aidcenter.scope import in_scope, scoped

# Parameters of the changelist's URL that are not filters.
_NOT_FILTERS = ("p", "all", "e", "_changelist_filters", "_popup", "_to_field")


class ScopedAdmin(admin.ModelAdmin):
    write_action: str = Action.ENTER
    delete_action: str | None = None  # most records are never deleted from the admin
    change_list_template = "excel/admin_change_list.html"  # the changelist + "Export to Excel"

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

    # --- Excel: the changelist as filtered on screen ------------------------------------------
    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "export.xlsx",
                self.admin_site.admin_view(self.excel_view),
                name="{}_{}_excel".format(*info),
            ),
            *super().get_urls(),
        ]

    def excel_view(self, request):
        """The changelist with its filters, search and ordering as .xlsx (a background job
        above aidcenter.exports.ASYNC_THRESHOLD rows)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        query = request.GET.copy()
        for name in _NOT_FILTERS:
            query.pop(name, None)
        params = {"model": self.model._meta.label_lower, "query": query.urlencode()}
        try:
            return exports.deliver(request, "admin", params)
        except IncorrectLookupParameters:
            info = self.model._meta.app_label, self.model._meta.model_name
            return redirect(reverse("admin:{}_{}_changelist".format(*info)) + "?e=1")

    def excel_export(self, request) -> exports.Export:
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request)
        names = [n for n in changelist.list_display if n != "action_checkbox"]
        header = [
            strip_tags(str(label_for_field(n, self.model, self, return_attr=False))) for n in names
        ]
        self._request = request  # the display methods that mask ID numbers read it
        getters = [self._excel_getter(name) for name in names]
        rows = ([get(obj) for get in getters] for obj in _in_order(queryset))
        return exports.Export(
            title=str(self.model._meta.verbose_name_plural),
            header=header,
            rows=rows,
            count=queryset.count(),
            model=self.model._meta.label,
            full_ids=sees_full_ids(request.user),
            filename=self.model._meta.model_name,
        )

    def _excel_getter(self, name):
        """The cell of one column for a record, resolved once per column: a plain field is
        read directly, anything else (display methods, callables) through the admin's own
        lookup. Labels of choices are translated once per column."""
        field = None
        if isinstance(name, str) and "__" not in name and not hasattr(self, name):
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                field = None
        cells = _Cells()
        if field is None or not field.concrete or field.many_to_many:

            def generic(obj):
                try:
                    found, attr, value = lookup_field(name, obj, self)
                except (AttributeError, ObjectDoesNotExist):
                    return ""
                return cells.clean(found, value, attr)

            return generic
        if field.is_relation:
            return lambda obj: "" if (v := getattr(obj, name)) is None else str(v)
        attname = field.attname
        return lambda obj: cells.clean(field, getattr(obj, attname), None)


class _Cells:
    """Admin values as cell values: yes/no, choices' labels, lists joined, the text of a
    display method's HTML."""

    def __init__(self):
        self.yes, self.no = str(_("yes")), str(_("no"))
        self.labels: dict = {}

    def _choices(self, field) -> dict:
        if field not in self.labels:
            base = getattr(field, "base_field", None)
            source = base if base is not None else field
            self.labels[field] = {k: str(v) for k, v in (source.flatchoices or ())}
        return self.labels[field]

    def clean(self, field, value, attr):
        if value is None:
            return ""
        kind = value.__class__
        if kind is bool or getattr(attr, "boolean", False):
            return self.yes if value else self.no
        if field is not None and (field.choices or getattr(field, "base_field", None)):
            labels = self._choices(field)
            if isinstance(value, list | tuple):
                return "、".join(labels.get(v, str(v)) for v in value)
            return labels.get(value, value)
        if kind is str:
            return value
        if isinstance(value, SafeData):  # HTML of a display method: its text
            return strip_tags(value)
        if isinstance(value, int | float | Decimal | datetime.date):
            return value
        if isinstance(value, list | tuple):
            return "、".join(str(v) for v in value)
        return str(value)


def _in_order(queryset, chunk: int = 2000):
    """The queryset's records in its order, in constant memory: the keys in order (the
    database sorts only keys and sort columns), and for each chunk of keys the records (so
    columns computed per row — counts, subqueries — are computed only for the rows read,
    never for the whole table before a sort)."""
    records = queryset.order_by()
    part = []
    for key in queryset.values_list("pk", flat=True).iterator(chunk_size=chunk):
        part.append(key)
        if len(part) == chunk:
            yield from _chunk(records, part)
            part = []
    if part:
        yield from _chunk(records, part)


def _chunk(records, keys: list):
    found = {obj.pk: obj for obj in records.filter(pk__in=keys)}
    for key in keys:
        if key in found:
            yield found[key]


@exports.register("admin")
def _admin_export(user, params: dict) -> exports.Export:
    """An admin changelist rebuilt from its query string, for the user who asked (in a
    background job as in the request: the same filters, the same scope)."""
    model = apps.get_model(params["model"])
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/admin/export/")
    request.GET = QueryDict(params.get("query", ""))
    request.user = user
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    return model_admin.excel_export(request)
