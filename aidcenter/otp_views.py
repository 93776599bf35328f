"""The second step of logging in for the roles that need it: enrol an authenticator app once
(QR code drawn here as SVG, nothing fetched), then confirm a 6-digit code after each password.

The rule of who needs it is aidcenter/security.py; these views only run the steps.
"""

from __future__ import annotations

import django_otp
import qrcode
import qrcode.image.svg
from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import verify_token

from aidcenter import security


class CodeForm(forms.Form):
    token = forms.RegexField(
        label=gettext_lazy("Code from the authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={
            "invalid": gettext_lazy("Enter the 6 digits your authenticator app shows."),
            "required": gettext_lazy("Enter the 6 digits your authenticator app shows."),
        },
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "maxlength": 8,
            }
        ),
    )


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


def _check(request, form, device) -> bool:
    """Verify the posted code against the device; explain a refusal on the form."""
    if not form.is_valid():
        return False
    allowed, _info = device.verify_is_allowed()
    if not allowed:
        form.add_error(
            "token", _("Too many wrong codes. Wait a minute, then enter the newest code.")
        )
        return False
    if verify_token(request.user, device.persistent_id, form.cleaned_data["token"].strip()):
        return True
    form.add_error("token", _("That code is wrong or has expired. Enter the newest code."))
    return False


def _log_in_device(request, device):
    # A new session key once the second factor is in: a key seen before it is worth nothing.
    request.session.cycle_key()
    django_otp.login(request, device)
    return redirect(_next_url(request))


@sensitive_post_parameters("token")
@never_cache
@login_required
def otp_verify(request):
    if not security.needs_otp(request.user) or security.is_verified(request.user):
        return redirect(_next_url(request))
    device = security.confirmed_device(request.user)
    if device is None:
        return redirect(f"{_url('otp-setup')}?{request.GET.urlencode()}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and _check(request, form, device):
        return _log_in_device(request, device)
    return render(request, "security/otp_verify.html", {"form": form, "next": _next_url(request)})


@sensitive_post_parameters("token")
@never_cache
@login_required
def otp_setup(request):
    """Enrolment, once per account. An account that has an authenticator already cannot
    replace it here (a stolen password must not be enough): an administrator removes the old
    one in the admin, then the user enrols again."""
    if not security.needs_otp(request.user) or security.is_verified(request.user):
        return redirect(_next_url(request))
    if security.confirmed_device(request.user) is not None:
        return redirect(f"{_url('otp-verify')}?{request.GET.urlencode()}")
    device = security.pending_device(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and _check(request, form, device):
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return _log_in_device(request, device)
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    secret = security.base32_secret(device)
    return render(
        request,
        "security/otp_setup.html",
        {
            "form": form,
            "next": _next_url(request),
            # Our own SVG (paths only, no script, no style attribute).
            "qr_svg": mark_safe(image.to_string(encoding="unicode")),  # noqa: S308
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        },
    )


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)
