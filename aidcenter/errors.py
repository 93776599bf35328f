"""Domain errors: services raise them; the API, the admin and the pages each translate them.

`code` is the machine-readable value the API contract promises (409 bodies); `message` is the
sentence a clerk reads, in the active language.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 409
    code = "conflict"

    def __init__(self, message: str = "", *, code: str | None = None, extra: dict | None = None):
        super().__init__(message or self.code)
        self.message = str(message) if message else ""
        if code:
            self.code = code
        self.extra = extra or {}


class Refused(DomainError):
    """The rule forbids it for this user (API: 403)."""

    status = 403
    code = "forbidden"


class Invalid(DomainError):
    """Bad input a form would reject (API: 400 with field errors)."""

    status = 400
    code = "invalid"

    def __init__(self, errors: dict[str, list[str]] | str, **kwargs):
        if isinstance(errors, str):
            errors = {"detail": [errors]}
        self.errors = {k: [str(m) for m in v] for k, v in errors.items()}
        first = next(iter(self.errors.values()))[0]
        super().__init__(first, **kwargs)


# --- The database going away ----------------------------------------------------------------
def database_unavailable(exc: BaseException | None) -> bool:
    """The connection failed or was cut (server restarted, backend terminated, network): the
    request could not be served, but nothing is wrong with it, and it may be tried again.
    Django closes such a connection when the request ends (CONN_HEALTH_CHECKS checks a reused
    one before the next), so the next request reconnects by itself."""
    from django.db import InterfaceError, OperationalError

    return isinstance(exc, OperationalError | InterfaceError)


def unavailable_response(request):
    """503 in Chinese (the active language): JSON on the API, a page that needs no database
    (no layout, no user, no session) elsewhere. Clients may retry after `Retry-After`."""
    from django.http import HttpResponse, JsonResponse
    from django.template.loader import render_to_string
    from django.utils.translation import gettext as _

    message = _("The database cannot be reached at the moment. Please try again in a minute.")
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"code": "database_unavailable", "detail": message},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = "30"
    response["Cache-Control"] = "no-store"
    return response
