"""Excel pages of the registry: import household files (with the template), and the queue's
export. Thin: the rules are in cases/imports.py and aidcenter/exports.py."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aidcenter import exports
from aidcenter import imports as shared
from aidcenter.errors import DomainError
from aidcenter.models import OrgUnit
from aidcenter.pii import sees_full_ids
from aidcenter.roles import Action, can
from aidcenter.scope import scoped
from cases import desk, idnumbers, imports, services


class ImportForm(forms.Form):
    org_unit = forms.ModelChoiceField(
        label=gettext_lazy("Unit of files without a unit code"), queryset=OrgUnit.objects.none()
    )
    file = forms.FileField(label=gettext_lazy("Workbook (.xlsx)"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = scoped(user, OrgUnit).order_by("code")
        self.fields["org_unit"].initial = user.staff.org_unit_id if hasattr(user, "staff") else None


def _may_import(request) -> None:
    if not (can(request.user, Action.USE_PAGES) and can(request.user, Action.ENTER)):
        raise Http404


@login_required
def registry_template(request):
    _may_import(request)
    return exports.xlsx_response(imports.template_bytes(), "registry-import-template.xlsx")


@login_required
def registry_import(request):
    """Upload the workbook: every row checked, errors listed by row; saved all or nothing.
    Large files go to the task worker and the job's page shows their progress."""
    _may_import(request)
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    errors, result = [], None
    if request.method == "POST" and form.is_valid():
        upload, unit = form.cleaned_data["file"], form.cleaned_data["org_unit"]
        if upload.size > imports.ASYNC_BYTES:
            job = shared.start_import(
                user=request.user,
                source="cases.registry",
                params={"org_unit": unit.pk, "language": translation.get_language()},
                upload=upload,
                title=_("Registry import: %(name)s") % {"name": upload.name[:100]},
            )
            return redirect("excel-job", pk=job.pk)
        try:
            result = imports.registry_import(by=request.user, org_unit=unit, upload=upload)
        except DomainError as exc:
            errors = [m for ms in getattr(exc, "errors", {"": [exc.message]}).values() for m in ms]
        else:
            messages.success(request, _("Imported."))
    context = {"form": form, "errors": errors, "result": result}
    context["summary"] = imports.summary(result) if result else ""
    return render(request, "excel/registry_import.html", context)


# --- The queue's export ---------------------------------------------------------------------
@exports.register("cases.queue")
def _queue_export(user, params: dict) -> exports.Export:
    """The queue page as it shows: the same cases (its first 200), the same columns."""
    cases = list(desk.queue(user=user)[:200])
    full = sees_full_ids(user)

    def shown_id(person):
        if person is None or not person.national_id:
            return ""
        if full and sees_full_ids(user, person.org_unit_id):
            return person.national_id
        return idnumbers.mask(person.national_id)

    rows = (
        [
            c.reference,
            c.get_urgency_display(),
            c.get_category_display(),
            c.person.name if c.person else "",
            shown_id(c.person),
            c.get_status_display(),
            c.current_deadline,
            c.assignee.username if c.assignee else "",
            c.org_unit.code,
        ]
        for c in cases
    )
    return exports.Export(
        title=_("My queue"),
        header=[
            _("Reference number"),
            _("urgency"),
            _("Need"),
            _("Person"),
            _("ID number"),
            _("Status"),
            _("Deadline"),
            _("Assigned to"),
            _("unit"),
        ],
        rows=rows,
        count=len(cases),
        model="cases.Case",
        full_ids=full,
        filename="queue",
    )


@login_required
def queue_export(request):
    if not can(request.user, Action.USE_PAGES):
        raise Http404
    return exports.deliver(request, "cases.queue", {})


# --- The search results' export -------------------------------------------------------------
@exports.register("cases.search")
def _search_export(user, params: dict) -> exports.Export:
    """The search page's results as shown: the same first 50, IDs as the page shows them."""
    people = list(
        services.search_people(user=user, q=params.get("q", "")).select_related("org_unit")[:50]
    )
    full = sees_full_ids(user)

    def shown_id(person):
        if not person.national_id:
            return ""
        if full and sees_full_ids(user, person.org_unit_id):
            return person.national_id
        return idnumbers.mask(person.national_id)

    return exports.Export(
        title=_("Find a person"),
        header=[_("Name"), _("ID number"), _("Phone"), _("Unit"), _("migrant")],
        rows=(
            [p.name, shown_id(p), p.phone, p.org_unit.name, _("yes") if p.is_migrant else ""]
            for p in people
        ),
        count=len(people),
        model="cases.Person",
        full_ids=full,
        filename="people",
    )


@login_required
@require_POST
def search_export(request):
    """Posted like the search itself, so an ID number never enters a URL."""
    if not can(request.user, Action.USE_PAGES):
        raise Http404
    q = request.POST.get("q", "").strip()
    return exports.deliver(request, "cases.search", {"q": q}, threshold=10**9)
