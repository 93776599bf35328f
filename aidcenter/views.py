"""The staff shell: login, home, health."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from aidcenter import home as home_page
from aidcenter.roles import Action, can, role_of


def _shared_links() -> None:
    home_page.register_link(
        home_page.Link(
            _("Administration"),
            "admin:index",
            Action.USE_PAGES,
            _("Every record of your scope in the admin: units, staff, people, cases, funds."),
            90,
        )
    )
    home_page.register_link(
        home_page.Link(
            _("API documentation"),
            "api-docs",
            Action.READ,
            _("The REST API the sub-centers sync with."),
            95,
        )
    )
    home_page.register_link(
        home_page.Link(
            _("API keys and units"),
            "admin:aidcenter_apikey_changelist",
            Action.ADMINISTER,
            _("Issue and revoke keys; manage the unit tree."),
            99,
        )
    )


_shared_links()


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
    if not can(request.user, Action.USE_PAGES):  # the sync client works over the API only
        raise Http404
    links = sorted(
        (ln for ln in home_page.LINKS if can(request.user, ln.action)), key=lambda ln: ln.order
    )
    panels = []
    for panel in sorted(home_page.PANELS, key=lambda p: p.order):
        context = panel.context(user=request.user)
        if context is not None:
            panels.append({"template": panel.template, "context": context})
    return render(request, "home.html", {"links": links, "panels": panels})


@never_cache
@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def not_found(request, exception=None):
    """404: JSON on the API (its clients read JSON, even for a URL that matches nothing), the
    usual page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": str(_("Not found."))}, status=404, json_dumps_params={"ensure_ascii": False}
        )
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def server_error(request):
    """500 on the API as JSON; a bug is still a bug, but the client can parse the answer.
    The database being unreachable is no bug: a 503 in Chinese (aidcenter/errors.py)."""
    import sys

    from aidcenter.errors import database_unavailable, unavailable_response

    if database_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": str(_("Internal error; it has been logged."))},
            status=500,
            json_dumps_params={"ensure_ascii": False},
        )
    from django.views.defaults import server_error as default

    return default(request)
