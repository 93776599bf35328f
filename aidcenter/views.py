"""The staff shell: login, home, health."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from aidcenter.roles import Action, can, role_of

# What each role may reach from the home page; later apps add their entries here.
HOME_LINKS: list[dict] = [
    {
        "title": _("Find a person"),
        "url": "cases:search",
        "action": Action.USE_PAGES,
        "text": _("By ID number, name or phone; then the person's file, workflow and history."),
    },
    {
        "title": _("Administration"),
        "url": "admin:index",
        "action": Action.USE_PAGES,
        "text": _("Every record of your scope in the admin: units, staff, people, cases, funds."),
    },
    {
        "title": _("API documentation"),
        "url": "api-docs",
        "action": Action.READ,
        "text": _("The REST API the sub-centers sync with."),
    },
    {
        "title": _("API keys and units"),
        "url": "admin:aidcenter_apikey_changelist",
        "action": Action.ADMINISTER,
        "text": _("Issue and revoke keys; manage the unit tree."),
    },
]


def staff_context(request):
    user = getattr(request, "user", None)
    profile = getattr(user, "staff", None) if user is not None and user.is_authenticated else None
    return {"staff_profile": profile, "staff_role": role_of(user) if user else None}


class StaffAuthenticationForm(AuthenticationForm):
    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not can(user, Action.USE_PAGES):
            raise ValidationError(
                _("This account may use the API only, not the staff pages."), code="api_only"
            )


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = StaffAuthenticationForm
    redirect_authenticated_user = True


@login_required
def home(request):
    links = [link for link in HOME_LINKS if can(request.user, link["action"])]
    return render(request, "home.html", {"links": links})


@never_cache
@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
