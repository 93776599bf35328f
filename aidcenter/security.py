"""Login hardening that is ours (django-axes does the lockout, django-otp the TOTP maths).

The second factor: the roles that administer or move money (administrators, fund approvers,
fund managers) must confirm a TOTP code after their password before any page, the admin or a
session call of the API answers them. `RequireOTPMiddleware` is the one place that rule lives;
API keys are a separate credential and are not affected.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from aidcenter.roles import Role, role_of

OTP_ROLES = frozenset({Role.ADMIN, Role.FUND_APPROVER, Role.FUND_MANAGER})
DEVICE_NAME = "authenticator"

# Paths an account that still owes its code may reach: the steps of logging in and out,
# the language switch, static files and the health probe.
_EXEMPT_NAMES = ("login", "logout", "otp-verify", "otp-setup", "set_language", "healthz", "metrics")
_EXEMPT_PREFIXES = ("/static/", "/admin/logout/", "/admin/jsi18n/")


def needs_otp(user) -> bool:
    """True when the user's role must confirm a TOTP code after the password."""
    return role_of(user) in OTP_ROLES


def is_verified(user) -> bool:
    verified = getattr(user, "is_verified", None)
    return bool(verified and verified())


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


@transaction.atomic
def pending_device(user) -> TOTPDevice:
    """The unconfirmed device of an enrolment under way; the same key until it is confirmed,
    so reloading the page does not invalidate the QR code already scanned."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("id")
        .first()
    )
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def mark_verified(session, device) -> None:
    """What django_otp.login does, for a session outside a request (tests, tools)."""
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id


class RequireOTPMiddleware:
    """After AuthenticationMiddleware and django-otp's OTPMiddleware.

    A session of an OTP role that has not confirmed its code yet is sent to the code page (or
    to enrolment when it has no authenticator yet); on /api/ it counts as no session at all,
    so the API answers 401 unless a key is sent.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._exempt_paths: frozenset[str] | None = None

    def _exempt(self, path: str) -> bool:
        if self._exempt_paths is None:
            self._exempt_paths = frozenset(reverse(name) for name in _EXEMPT_NAMES)
        return path in self._exempt_paths or path.startswith(_EXEMPT_PREFIXES)

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and needs_otp(user) and not is_verified(user):
            path = request.path_info
            if path.startswith("/api/"):
                request.user = AnonymousUser()
            elif not self._exempt(path):
                step = "otp-setup" if confirmed_device(user) is None else "otp-verify"
                return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


# --- The demo ------------------------------------------------------------------------------
# seed_demo gives the demo accounts of OTP roles an authenticator with a key derived from the
# username, so `manage.py demo_logins` can print the current code. Demo data only: a real
# account enrols its own device, whose key nobody else knows.


def demo_key(username: str) -> str:
    return hashlib.sha1(f"aidcenter-demo-totp:{username}".encode()).hexdigest()  # noqa: S324


def seed_demo_device(user) -> TOTPDevice | None:
    if not needs_otp(user):
        return None
    device, _created = TOTPDevice.objects.update_or_create(
        user=user, name=DEVICE_NAME, defaults={"key": demo_key(user.username), "confirmed": True}
    )
    return device


def current_code(device: TOTPDevice) -> str:
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def base32_secret(device: TOTPDevice) -> str:
    from base64 import b32encode

    return b32encode(device.bin_key).decode()


# --- Lockout (django-axes calls this through AXES_LOCKOUT_CALLABLE) -------------------------


def lockout_response(request, original_response=None, credentials=None):
    """The page shown when too many wrong passwords locked an account: in the staff's
    language, saying how long to wait; 429 so scripts and proxies see a throttle."""
    from axes.helpers import get_cool_off, get_failure_limit
    from django.shortcuts import render

    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_timedelta": cool_off,
        "cooloff_minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
    }
    return render(request, "registration/locked_out.html", context, status=429)


def client_ip(request) -> str | None:
    """The client's address for the lockout by address. Behind our TLS proxies
    (TRUSTED_PROXIES of them, each appending to X-Forwarded-For) it is the entry the outermost
    trusted proxy wrote; what a client writes into the header itself is never trusted."""
    from django.conf import settings

    hops = settings.TRUSTED_PROXIES
    if hops:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR")


def seed_test_device(user) -> TOTPDevice:
    """A confirmed authenticator with a random key (tests: a finished enrolment)."""
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
