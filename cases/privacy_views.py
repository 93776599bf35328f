"""The person's data under PIPL: download all that is held (JSON), and erasure (admins)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from aidcenter.errors import DomainError
from aidcenter.roles import Action, can
from aidcenter.scope import scoped
from cases import privacy
from cases.models import Person


@login_required
def person_export(request, pk):
    """Everything held about the person that the viewer may see, as one JSON file."""
    if not can(request.user, Action.USE_PAGES):
        raise Http404
    person = get_object_or_404(scoped(request.user, Person), pk=pk)
    response = HttpResponse(
        privacy.export_json(by=request.user, person=person),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="person-{person.pk}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def person_erase(request, pk):
    """Ask, then erase the person's identifying data everywhere (administrators only)."""
    if not (can(request.user, Action.USE_PAGES) and can(request.user, Action.ERASE_PERSONAL_DATA)):
        raise Http404
    person = get_object_or_404(scoped(request.user, Person), pk=pk)
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip()
        if not reason:
            messages.error(request, _("Give the reason for the erasure (e.g. the request's date)."))
        else:
            try:
                privacy.erase(by=request.user, person=person, reason=reason)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("The person's identifying data has been erased."))
                return redirect("cases:person", pk=person.pk)
    return render(request, "cases/privacy_erase.html", {"person": person})
