"""The API takes exactly what its OpenAPI schema says, nothing DRF would merely coerce.

DRF and django-filter are lenient by design: a JSON number is accepted for a string field,
`"5"` for an integer, `?person=` (empty) or `?is_migrant=maybe` quietly mean "no filter". A
sub-center client that sends such things has a bug, and accepting them hides it; the contract
check (`negative_data_rejection` in .ci/contract) asks that anything the schema forbids is
refused with 400. Three pieces, used everywhere through the base classes and settings:

- `JSONBodyParser` marks a request body that came as JSON, so types can be checked strictly
  there and only there (forms, query strings and Excel rows are text and keep DRF's parsing);
- `StrictSerializer` / `StrictModelSerializer` check a JSON body's value types against the
  fields before DRF converts them (nested serializers and lists included);
- `StrictFilterBackend` refuses empty values for typed filters, booleans other than
  `true`/`false`, and repeated single-valued parameters.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _
from django_filters import filters as dj_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, parsers, relations, serializers
from rest_framework.settings import api_settings


class JSONBody(dict):
    """A request body parsed from JSON (the marker the strict checks look for)."""


class JSONBodyParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if isinstance(data, dict):
            return JSONBody(data)
        if isinstance(data, list):
            return [JSONBody(item) if isinstance(item, dict) else item for item in data]
        return data


def is_json_body(data) -> bool:
    return isinstance(data, JSONBody)


# --- JSON types ----------------------------------------------------------------------------
STRING, INTEGER, NUMBER, BOOLEAN, ARRAY, OBJECT = (
    "string",
    "integer",
    "number",
    "boolean",
    "array",
    "object",
)


def _type_names() -> dict[str, str]:
    return {
        STRING: _("a string"),
        INTEGER: _("an integer"),
        NUMBER: _("a number"),
        BOOLEAN: _("true or false"),
        ARRAY: _("a list"),
        OBJECT: _("an object"),
    }


def _pk_type(field) -> str:
    # A related field scoped per request has no queryset until then; it names its model.
    model = field.queryset.model if field.queryset is not None else getattr(field, "model", None)
    pk = model._meta.pk if model is not None else None
    if isinstance(pk, models.AutoField | models.BigAutoField | models.IntegerField):
        return INTEGER
    return STRING


def expected_type(field) -> str | None:
    """The JSON type the schema gives a field's input, or None when any type may come."""
    if isinstance(field, serializers.BaseSerializer):
        return ARRAY if isinstance(field, serializers.ListSerializer) else OBJECT
    if isinstance(field, serializers.ListField | relations.ManyRelatedField):
        return ARRAY
    if isinstance(field, serializers.MultipleChoiceField):
        return ARRAY
    if isinstance(field, serializers.DictField | serializers.HStoreField):
        return OBJECT
    if isinstance(field, serializers.JSONField | serializers.FileField):
        return None
    if isinstance(field, serializers.BooleanField):
        return BOOLEAN
    if isinstance(field, serializers.IntegerField):
        return INTEGER
    if isinstance(field, serializers.FloatField):
        return NUMBER
    if isinstance(field, serializers.DecimalField):
        # Money travels as a string ("12.50"): COERCE_DECIMAL_TO_STRING and API.md.
        as_string = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
        return STRING if as_string else NUMBER
    if isinstance(field, serializers.ChoiceField):
        keys = [key for key in field.choices if key not in ("", None)]
        if keys and all(isinstance(k, int) and not isinstance(k, bool) for k in keys):
            return INTEGER
        return STRING
    if isinstance(field, relations.PrimaryKeyRelatedField):
        if field.pk_field is not None:
            return expected_type(field.pk_field)
        return _pk_type(field)
    if isinstance(
        field,
        serializers.CharField
        | serializers.DateField
        | serializers.DateTimeField
        | serializers.TimeField
        | serializers.DurationField
        | serializers.UUIDField
        | relations.RelatedField,
    ):
        return STRING
    return None


def _has_type(value, kind: str) -> bool:
    if kind == STRING:
        return isinstance(value, str)
    if kind == INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == BOOLEAN:
        return isinstance(value, bool)
    if kind == ARRAY:
        return isinstance(value, list)
    return isinstance(value, dict)


def type_errors(fields, data: dict) -> dict:
    """Errors for the values in `data` whose JSON type is not the one their field takes."""
    errors: dict = {}
    names = _type_names()
    for name, field in fields.items():
        if field.read_only or name not in data:
            continue
        value = data[name]
        if value is None:
            continue  # allow_null is DRF's own check
        kind = expected_type(field)
        if kind is None:
            continue
        if not _has_type(value, kind):
            errors[name] = [_("Wrong type: must be %(type)s.") % {"type": names[kind]}]
            continue
        nested = _nested_errors(field, value)
        if nested:
            errors[name] = nested
    return errors


def _item_errors(child, items: list):
    kind = expected_type(child)
    if kind is None:
        return None
    names = _type_names()
    found = {}
    for index, item in enumerate(items):
        if item is None:
            continue
        if not _has_type(item, kind):
            found[index] = [_("Wrong type: must be %(type)s.") % {"type": names[kind]}]
        elif isinstance(child, serializers.Serializer):
            inner = type_errors(child.fields, item)
            if inner:
                found[index] = inner
    return found or None


def _nested_errors(field, value):
    if isinstance(field, serializers.ListSerializer):
        return _item_errors(field.child, value)
    if isinstance(field, serializers.Serializer):
        return type_errors(field.fields, value) or None
    if isinstance(field, serializers.ListField):
        return _item_errors(field.child, value)
    if isinstance(field, relations.ManyRelatedField):
        return _item_errors(field.child_relation, value)
    return None


class StrictTypesMixin:
    def to_internal_value(self, data):
        if is_json_body(data):
            errors = type_errors(self.fields, data)
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictSerializer(StrictTypesMixin, serializers.Serializer):
    """Base of every API serializer that reads input."""


class StrictModelSerializer(StrictTypesMixin, serializers.ModelSerializer):
    """Base of every API model serializer."""


# --- Query parameters ----------------------------------------------------------------------
class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, refusing what the schema's parameter types forbid."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            check_filter_params(filterset_class.base_filters, request.query_params)
        return super().filter_queryset(request, queryset, view)


def _is_free_text(flt) -> bool:
    return isinstance(flt, dj_filters.CharFilter) and not isinstance(
        flt, dj_filters.ChoiceFilter | dj_filters.MultipleChoiceFilter
    )


def check_filter_params(filters: dict, params) -> None:
    errors = {}
    for name, flt in filters.items():
        if name not in params:
            continue
        values = params.getlist(name)
        multiple = isinstance(flt, dj_filters.MultipleChoiceFilter | dj_filters.BaseInFilter)
        if len(values) > 1 and not multiple:
            errors[name] = [_("Give this parameter once.")]
        elif values[0] == "" and not _is_free_text(flt):
            errors[name] = [_("This parameter may not be empty.")]
        elif isinstance(flt, dj_filters.BooleanFilter) and values[0] not in ("true", "false"):
            errors[name] = [_("Must be true or false.")]
    if errors:
        raise exceptions.ValidationError(errors)
