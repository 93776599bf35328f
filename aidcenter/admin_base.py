"""The admin's base class: every ModelAdmin of the project asks the role table and the one
scoping function, never Django's per-model permission rows."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import label_for_field, lookup_field
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, PermissionDenied
from django.db import connections, models, transaction
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
EXCEL_CHUNK = 2000  # rows read from the database at a time by an export


def row_values(*paths: str):
    """Declare an admin display method as a function of values of the row (field paths as in
    values(): "status", "person__name", an annotation), not of the record.

    The changelist calls it with a record as usual: the values are read from the record along
    each path. An Excel export reads the same values with values_list() and calls it with
    them, so the file shows what the screen shows without building model instances (a list of
    100,000 rows would build 300,000 of them)::

        @admin.display(description=_("head"))
        @row_values("person__name")
        def head_name(self, name):
            return name
    """

    def decorate(function):
        @functools.wraps(function)
        def method(self, obj):
            return function(self, *(_follow(obj, path) for path in paths))

        method.row_values = paths
        method.from_values = function
        return method

    return decorate


def _follow(obj, path: str):
    for name in path.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, name)
    return obj


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
        return exports.Export(
            title=str(self.model._meta.verbose_name_plural),
            header=header,
            rows=self.excel_rows(queryset, names),
            count=queryset.count(),
            model=self.model._meta.label,
            full_ids=sees_full_ids(request.user),
            filename=self.model._meta.model_name,
        )

    def excel_rows(self, queryset, names: list, *, from_records: bool = False):
        """The cells of these columns, row by row, lazily: by values_list() when every column
        can be read so (plain fields, foreign keys, display methods with `row_values`), else
        (or when asked) from the records, through the admin's own lookup."""
        columns = [self._excel_column(name) for name in names]
        if not from_records and all(column is not None for column in columns):
            return _rows_from_values(queryset, columns)
        getters = [self._excel_getter(name) for name in names]
        return ([get(obj) for get in getters] for obj in _in_order(queryset))

    def _excel_column(self, name) -> _Column | None:
        """How a column is read by values_list(), or None when it needs the record: a plain
        field (a foreign key shows its record's text, looked up in bulk), or a display method
        declared with `row_values`."""
        if not isinstance(name, str):
            return None
        cells = _Cells()
        try:  # a field first, as the admin's own lookup does
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            method = getattr(self, name, None)
            if not hasattr(method, "row_values"):
                return None
            return _Column(method.row_values, cells.for_method(self, method))
        if not field.concrete or field.many_to_many:
            return None
        if field.is_relation:
            return _Column((field.attname,), None, related=field.related_model)
        return _Column((field.attname,), cells.for_field(field))

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


# Fields whose values `clean` leaves as they are (text, numbers, dates and times).
_AS_THEY_ARE = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.DecimalField,
    models.FloatField,
    models.DateField,
)


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

    def for_field(self, field) -> Callable:
        """`clean` for one field's values, chosen once for the column (a large export calls
        it for every row)."""
        if field.choices and getattr(field, "base_field", None) is None:
            labels = self._choices(field)
            return lambda v: "" if v is None else labels.get(v, v)
        if isinstance(field, models.BooleanField):
            yes, no = self.yes, self.no
            return lambda v: "" if v is None else (yes if v else no)
        if isinstance(field, _AS_THEY_ARE) and not field.choices:
            return lambda v: "" if v is None else v
        return lambda v: self.clean(field, v, None)

    def for_method(self, model_admin, method) -> Callable:
        """The cell of a `row_values` display method from its values."""
        compute = functools.partial(method.from_values, model_admin)
        if getattr(method, "boolean", False):
            yes, no = self.yes, self.no
            return lambda *v: "" if (b := compute(*v)) is None else (yes if b else no)
        clean = self.clean
        return lambda *v: r if (r := compute(*v)).__class__ is str else clean(None, r, None)

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


@dataclass
class _Column:
    """A column of an export read by values_list(): the value paths it needs, and the cell
    they make (`compute`), or for a foreign key the model whose records' text is shown."""

    paths: tuple[str, ...]
    compute: Callable | None
    related: type | None = None


def _rows_from_values(queryset, columns: list[_Column]):
    """The changelist's rows by values_list(), in its order, read through a server-side
    cursor inside a transaction, so rows are computed as they are read (outside one, the
    cursor is declared WITH HOLD and PostgreSQL computes every row before the first comes
    back). Foreign keys' texts are looked up once per chunk, for the keys not seen yet."""
    paths = ["pk"]
    for column in columns:
        paths.extend(p for p in column.paths if p not in paths)
    texts: dict[type, dict] = {}
    readers = []  # one function of the row a column
    for column in columns:
        spots = [paths.index(p) for p in column.paths]
        if column.related is not None:
            known = texts.setdefault(column.related, {})
            readers.append(functools.partial(_text_of, known, spots[0]))
        elif len(spots) == 1:
            readers.append(functools.partial(_one, column.compute, spots[0]))
        else:
            readers.append(functools.partial(_several, column.compute, spots))
    keyed = [(c.related, paths.index(c.paths[0])) for c in columns if c.related is not None]

    def cells(batch):
        for model, spot in keyed:
            known = texts[model]
            if len(known) > 50_000:  # a key to people or cases: memory stays flat
                known.clear()
            missing = {row[spot] for row in batch} - known.keys() - {None}
            if missing:
                found = model._base_manager.select_related().in_bulk(missing)
                known.update((key, str(obj)) for key, obj in found.items())
        for row in batch:
            yield [read(row) for read in readers]

    batch = []
    for row in _values_in_order(queryset, paths):
        batch.append(row)
        if len(batch) == EXCEL_CHUNK:
            yield from cells(batch)
            batch = []
    yield from cells(batch)


def _values_in_order(queryset, paths: list[str]):
    """values_list(*paths) in the queryset's order, in constant memory. Behind PgBouncer in
    transaction mode (no server-side cursors) the rows are fetched by key, as `_in_order`
    fetches records; paths[0] is the key."""
    if not connections[queryset.db].settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
        with transaction.atomic(using=queryset.db):
            yield from queryset.values_list(*paths).iterator(chunk_size=EXCEL_CHUNK)
        return
    rows = queryset.order_by().values_list(*paths)
    yield from _by_keys(queryset, lambda keys: {row[0]: row for row in rows.filter(pk__in=keys)})


def _text_of(known: dict, spot: int, row):
    return known.get(row[spot], "")


def _one(compute, spot: int, row):
    return compute(row[spot])


def _several(compute, spots: list[int], row):
    return compute(*[row[i] for i in spots])


def _in_order(queryset):
    """The queryset's records in its order, in constant memory (see `_by_keys`)."""
    records = queryset.order_by()
    yield from _by_keys(queryset, lambda keys: {o.pk: o for o in records.filter(pk__in=keys)})


def _by_keys(queryset, fetch):
    """The keys in the queryset's order (the database sorts only keys and sort columns),
    and for each chunk of keys what `fetch(keys)` finds for them ({key: item}), so that
    columns computed per row — counts, subqueries — are computed only for the rows read,
    never for the whole table before a sort."""
    part = []
    for key in queryset.values_list("pk", flat=True).iterator(chunk_size=EXCEL_CHUNK):
        part.append(key)
        if len(part) == EXCEL_CHUNK:
            yield from _found_in_order(fetch(part), part)
            part = []
    if part:
        yield from _found_in_order(fetch(part), part)


def _found_in_order(found: dict, keys: list):
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
