"""Request hygiene that must hold before any view or form sees the input."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _


class RejectNulBytesMiddleware:
    """PostgreSQL cannot store a NUL byte; psycopg raises DataError for one, and form fields do
    not catch it, so `?org_unit=%00` would become a 500. Refuse such input up front with a 400."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw_query = request.META.get("QUERY_STRING", "")
        has_nul = b"\x00" in unquote_to_bytes(raw_query) or "\x00" in request.path
        if not has_nul and request.content_type in {"application/json", "text/plain"}:
            try:
                body = request.body
            except Exception:  # too large a body: Django answers it with its own 400 later
                body = b""
            has_nul = b"\x00" in body or b"\\u0000" in body
        if has_nul:
            message = _("The request contains a NUL character, which is not allowed.")
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": message}, status=400, json_dumps_params={"ensure_ascii": False}
                )
            return HttpResponseBadRequest(message)
        return self.get_response(request)


class ChineseFirstMiddleware:
    """The staff speak Chinese: a browser's Accept-Language is not taken as a choice. English
    is used only once chosen with the language switch (its cookie), or asked for by an API
    client that sends no cookie but says `Accept-Language: en` on an /api/ path."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        chose = settings.LANGUAGE_COOKIE_NAME in request.COOKIES
        if not chose and not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
