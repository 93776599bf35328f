"""The report pages: the annual report (.xlsx), the upward report in the national system's
terms (.xlsx), and the national file numbers assigned back. Thin: the rules are in
stats/annual_report.py and stats/upward.py; the period and unit are read as the dashboard
reads them."""

from __future__ import annotations

import tempfile

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aidcenter import exports
from aidcenter.errors import DomainError
from aidcenter.models import OrgUnit
from aidcenter.roles import Action, can
from aidcenter.scope import scoped
from stats import annual_report, figures, upward
from stats.views import _period, _unit


class NumbersForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Return sheet of the national system (.xlsx)"))


def _reports_only(request) -> None:
    if not (can(request.user, Action.USE_PAGES) and can(request.user, Action.VIEW_REPORTS)):
        raise Http404


def _stamp(period: figures.Period) -> str:
    return f"{period.date_from:%Y%m%d}-{period.date_to:%Y%m%d}"


@login_required
def reports_page(request):
    _reports_only(request)
    period, message = _period(request)
    unit = _unit(request)
    form, outcome, errors = NumbersForm(), None, []
    if request.method == "POST":
        if not can(request.user, Action.REVIEW_FILES):
            raise Http404
        form = NumbersForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                outcome = upward.reconcile(
                    user=request.user, org_unit=unit, upload=form.cleaned_data["file"]
                )
            except DomainError as exc:
                errors = [
                    m for ms in getattr(exc, "errors", {"": [exc.message]}).values() for m in ms
                ]
    labels = upward.outcome_labels()
    context = {
        "period": period,
        "unit": unit,
        "message": message,
        "period_text": _("Period %(start)s to %(end)s.")
        % {"start": period.date_from.isoformat(), "end": period.date_to.isoformat()},
        "units": scoped(request.user, OrgUnit).order_by("code")[:500],
        "years": list(range(timezone.localdate().year, timezone.localdate().year - 6, -1)),
        "query": request.GET.urlencode(),
        "form": form,
        "may_number": can(request.user, Action.REVIEW_FILES),
        "errors": errors,
        "outcome": outcome,
        "counts": [(labels[k], outcome["counts"][k]) for k in upward.OUTCOMES] if outcome else [],
        "listed": [{**r, "label": labels[r["outcome"]]} for r in outcome["rows"]]
        if outcome
        else [],
    }
    return render(request, "reports/reports.html", context)


@login_required
def annual_xlsx(request):
    _reports_only(request)
    period, _message = _period(request)
    unit = _unit(request)
    content = annual_report.build(user=request.user, org_unit=unit, period=period)
    return exports.xlsx_response(content, f"annual-report-{unit.code}-{_stamp(period)}.xlsx")


@login_required
def upward_xlsx(request):
    _reports_only(request)
    period, _message = _period(request)
    unit = _unit(request)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    upward.export_workbook(user=request.user, org_unit=unit, period=period, target=handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"upward-{unit.code}-{_stamp(period)}.xlsx",
        content_type=exports.XLSX,
    )
