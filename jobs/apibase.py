"""API helpers shared by jobs and training (both apps' catalogues and exports): a versioned
catalogue viewset, links to records in the caller's scope, and Excel export of any list
(through the project's one writer, aidcenter/exports.py)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from aidcenter import exports
from aidcenter.api import SyncedViewSet
from aidcenter.exports import XLSX, cell, xlsx_bytes, xlsx_response  # noqa: F401 - re-exported
from aidcenter.pii import sees_full_ids
from aidcenter.scope import scoped

EXPORT_LIMIT = 100_000
ERRORS_409 = OpenApiResponse(description="Conflict: a body with a machine-readable `code`.")


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A link to a record the caller may see; anything else is "does not exist"."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        return scoped(self.context["request"].user, self.model)


# --- Excel ----------------------------------------------------------------------------------
class ExportMixin:
    """`GET …/export/`: the list, with the same filters, as .xlsx (up to 100,000 rows), written
    by the shared streaming writer (aidcenter/exports.py: formulas neutralised, ID numbers
    masked, the export written to the access log).

    The viewset names its columns in `export_columns`: (header, function of the record)."""

    export_columns: list = []
    export_name = "export"

    @extend_schema(
        responses={(200, XLSX): OpenApiResponse(description="The filtered list as .xlsx")},
        filters=True,
    )
    @action(detail=False, methods=["get"])
    def export(self, request):
        """The list with the same filters as an Excel workbook."""
        records = self.filter_queryset(self.get_queryset())[:EXPORT_LIMIT]
        model = self.serializer_class.Meta.model
        export = exports.Export(
            title=str(model._meta.verbose_name_plural),
            header=[label for label, _getter in self.export_columns],
            rows=(
                [getter(record) for _label, getter in self.export_columns]
                for record in records.iterator(chunk_size=2000)
            ),
            count=0,
            model=model._meta.label,
            full_ids=sees_full_ids(request.user),
            filename=self.export_name,
        )
        return exports.bytes_response(export, user=request.user, path=request.path)


# --- Catalogues -----------------------------------------------------------------------------
class CatalogueViewSet(SyncedViewSet):
    """A versioned catalogue (employers, fairs, vacancies, courses, classes): list, read,
    create, and PATCH with the `version` last seen (409 stale_version). Never deleted: a
    vacancy is closed, a class ends."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_converter = "int"
    lookup_value_regex = "[0-9]+"

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = self.perform_create_record(serializer, create_digest="")
        return Response(self.get_serializer(record).data, status=status.HTTP_201_CREATED)


def label(choices):
    """A getter showing a code list's Chinese (or active-language) label in exports."""
    names = dict(choices)

    def get(value):
        return str(names.get(value, value or ""))

    return get
