"""API helpers shared by jobs and training (both apps' catalogues and exports): a versioned
catalogue viewset, links to records in the caller's scope, and Excel export of any list.

These would sit in aidcenter/ once another app needs them; they are kept here so that the
two apps of issue 7 do not edit the shared package under other engineers' feet."""

from __future__ import annotations

import io
import re

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from aidcenter.api import SyncedViewSet
from aidcenter.scope import scoped

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """A value safe to put in a cell: text that a spreadsheet would run as a formula (starting
    with = + - @, or a tab or carriage return before one) is neutralised with a leading
    apostrophe, and characters that the file format cannot hold are dropped."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(_FORMULA_START):
            return "'" + value
    elif hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        return timezone.localtime(value).replace(tzinfo=None)  # Excel has no time zones
    return value


def xlsx_bytes(title: str, header: list[str], rows) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(re.sub(r"[\[\]:*?/\\]", " ", title)[:31])
    sheet.append([str(h) for h in header])
    for row in rows:
        sheet.append([cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ExportMixin:
    """`GET …/export/`: the list, with the same filters, as .xlsx (up to 100,000 rows).

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
        header = [label for label, _getter in self.export_columns]
        rows = (
            [getter(record) for _label, getter in self.export_columns]
            for record in records.iterator(chunk_size=2000)
        )
        title = str(self.serializer_class.Meta.model._meta.verbose_name_plural)
        stamp = timezone.localdate().strftime("%Y%m%d")
        return xlsx_response(xlsx_bytes(title, header, rows), f"{self.export_name}-{stamp}.xlsx")


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
