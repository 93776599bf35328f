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
