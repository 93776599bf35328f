"""API policy named in settings.REST_FRAMEWORK: permission by role, pagination, throttling per
key, and the error shapes of API.md.

Kept apart from aidcenter/api.py because DRF imports these while `rest_framework.views` is
itself being imported; this module must not import DRF's views at module level.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, permissions, throttling
from rest_framework.response import Response

from aidcenter.errors import DomainError, Invalid
from aidcenter.roles import Action, can


class Pagination(pagination.PageNumberPagination):
    """`?page=N&page_size=M` (M ≤ 500). A page or page size that is not a number in range is
    refused with 400, not silently replaced: a client must learn its request was wrong."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    "page_size": [
                        _("A whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and raw != "last" and not (raw.isdigit() and 0 < int(raw) < 10**9):
            raise exceptions.ValidationError({"page": [_("A whole number from 1.")]})
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                }
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters


class RolePermission(permissions.BasePermission):
    """Reads need READ; writes need the view's `write_action` (default: ENTER).

    Object permissions do not guard lists or creates (DRF docs, "Limitations"): scope is the
    queryset's job (aidcenter.scope), and creates check the target unit themselves."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            return can(request.user, getattr(view, "read_action", Action.READ))
        action_map = getattr(view, "action_permissions", {})
        needed = action_map.get(
            getattr(view, "action", None), getattr(view, "write_action", Action.ENTER)
        )
        return can(request.user, needed)


class ApiKeyThrottle(throttling.SimpleRateThrottle):
    """Per API key (per user for browser sessions). The contract allows ≥ 1,200 requests/min."""

    scope = "api_key"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        auth = request.auth
        ident = f"key-{auth.pk}" if hasattr(auth, "pk") else f"user-{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


def exception_handler(exc, context):
    if isinstance(exc, Invalid):
        return Response(exc.errors, status=400)
    if isinstance(exc, DomainError):
        body = {"code": exc.code}
        if exc.message:
            body["detail"] = exc.message
        body.update(exc.extra)
        return Response(body, status=exc.status)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(exc, context)
