"""The dashboard pages: cards, monthly trend charts, the table by sub-center, drill-down.

Thin: the figures come from stats/figures.py, scope from aidcenter/scope.py; the charts are
SVG drawn by stats/charts.py and shown as images (no script, no inline style in the page).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from aidcenter.errors import Invalid
from aidcenter.models import OrgUnit
from aidcenter.roles import Action, can
from aidcenter.scope import scoped
from stats import charts, figures
from stats.api import parse_period, resolve_unit
from stats.labels import CHARTS, LABELS, SECTIONS, TABLE

MONEY_KEYS = {"aid.amount", "legal.amount_recovered", "funds.income", "funds.spent"}


def _require_pages(request):
    if not can(request.user, Action.USE_PAGES):
        raise Http404


def _period(request) -> tuple[figures.Period, str]:
    """The period asked for (year, quarter or month of it, or dates); the current year when
    nothing or something wrong is asked (with the message to show)."""
    params = request.GET
    today = timezone.localdate()
    try:
        if params.get("date_from") or params.get("date_to"):
            return parse_period({k: params.get(k, "") for k in ("date_from", "date_to")}), ""
        period = parse_period({"year": params.get("year") or today.year})
        quarter, month = params.get("quarter", ""), params.get("month", "")
        if month:
            if not (month.isdigit() and 1 <= int(month) <= 12):
                raise Invalid({"month": [_("A month from 1 to 12.")]})
            return figures.month_period(period.date_from.year, int(month)), ""
        if quarter:
            if quarter not in {"1", "2", "3", "4"}:
                raise Invalid({"quarter": [_("A quarter from 1 to 4.")]})
            q = int(quarter)
            first = figures.month_period(period.date_from.year, 3 * q - 2)
            last = figures.month_period(period.date_from.year, 3 * q)
            return figures.Period(first.date_from, last.date_to), ""
        return period, ""
    except Invalid as exc:
        return figures.year_period(today.year), exc.message


def _unit(request) -> OrgUnit:
    return resolve_unit(request.user, request.GET.get("org_unit") or None)


def _query(period: figures.Period, unit: OrgUnit, **extra) -> str:
    return urlencode(
        {
            "date_from": period.date_from.isoformat(),
            "date_to": period.date_to.isoformat(),
            "org_unit": unit.code,
            **extra,
        }
    )


def _shown(key: str, value) -> str:
    if value is None:
        return "—"
    if key in MONEY_KEYS or key == "funds.balance":
        return f"{value:,.2f}"
    if key == "cases.satisfaction_avg":
        return f"{value:.2f}"
    return f"{value:,}"


def _change(now, before) -> str:
    if now is None or before is None:
        return ""
    if before == 0:
        return "" if now == 0 else _("new")
    pct = (now - before) * 100 / before
    return f"{pct:+.1f}%"


@login_required
def dashboard(request):
    _require_pages(request)
    period, message = _period(request)
    unit = _unit(request)
    user = request.user
    now = figures.flat(user=user, org_unit=unit, date_from=period.date_from, date_to=period.date_to)
    before_period = figures.Period(
        figures.year_before(period.date_from), figures.year_before(period.date_to)
    )
    before = figures.flat(
        user=user,
        org_unit=unit,
        date_from=before_period.date_from,
        date_to=before_period.date_to,
    )
    drill = reverse("stats:records")

    def item(key, fund=""):
        return {
            "key": key,
            "label": LABELS[key],
            "value": _shown(key, now[key]),
            "before": _shown(key, before[key]),
            "change": _change(now[key], before[key]),
            "url": f"{drill}?{_query(period, unit, key=key)}",
            "sub": key.count(".") > 1,
        }

    order = figures.figure_keys()
    cards = []
    for section, title in SECTIONS.items():
        keys = [k for k in order if k.startswith(section + ".")]
        cards.append({"section": section, "title": title, "items": [item(k) for k in keys]})
    by_fund = figures.funds_by_fund(period, figures.units_for(user, unit))
    funds_rows = [
        {
            "code": code,
            "cells": [
                {
                    "value": _shown("funds.income", row[k]),
                    "url": f"{drill}?{_query(period, unit, key='funds.' + k, fund=code)}",
                }
                for k in ("income", "spent", "balance")
            ],
        }
        for code, row in by_fund.items()
    ]
    table = []
    for child, values in figures.by_unit(
        user=user, org_unit=unit, date_from=period.date_from, date_to=period.date_to
    ):
        if child.pk == unit.pk and not any(values[k] for k in TABLE):
            continue  # the unit keeps nothing itself: no row for it
        table.append(
            {
                "unit": child,
                "own": child.pk == unit.pk,
                "link": f"?{_query(period, child)}" if child.pk != unit.pk else "",
                "cells": [
                    {
                        "value": _shown(k, values[k]),
                        "url": f"{drill}?{_query(period, child, key=k)}"
                        if child.pk != unit.pk
                        else "",
                    }
                    for k in TABLE
                ],
            }
        )
    chart_query = urlencode({"year": period.date_to.year, "org_unit": unit.code})
    context = {
        "period": period,
        "before_period": before_period,
        "unit": unit,
        "units": scoped(user, OrgUnit).order_by("code"),
        "message": message,
        "cards": cards,
        "funds_rows": funds_rows,
        "table": table,
        "table_heads": [LABELS[k] for k in TABLE],
        "charts": [
            {
                "title": SECTIONS[s],
                "url": f"{reverse('stats:chart', args=[s])}?{chart_query}",
            }
            for s in CHARTS
        ],
        "chart_year": period.date_to.year,
        "years": list(range(timezone.localdate().year, timezone.localdate().year - 8, -1)),
        "selected": request.GET,
    }
    return render(request, "stats/dashboard.html", context)


PAGES = {  # records with a page of their own; the others open in the admin
    "cases.Person": "cases:person",
    "cases.Case": "cases:case",
}
DATE_FIELDS = (
    "paid_on",
    "received_at",
    "held_on",
    "reached_on",
    "started_on",
    "starts_on",
    "issued_on",
    "opened_on",
    "recovered_on",
    "booked_on",
    "registered_on",
)


def _admin_url(obj) -> str:
    meta = obj._meta
    if meta.label in PAGES:
        return reverse(PAGES[meta.label], args=[obj.pk])
    try:
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return ""


def _date_of(obj) -> datetime.date | None:
    for name in DATE_FIELDS:
        value = getattr(obj, name, None)
        if value is not None:
            return timezone.localtime(value).date() if hasattr(value, "hour") else value
    return None


@login_required
def drill_down(request):
    """The records behind one number: a list whose count equals it."""
    _require_pages(request)
    key = request.GET.get("key", "")
    if key not in figures.figure_keys():
        raise Http404
    period, message = _period(request)
    if message:
        raise Http404
    unit = _unit(request)
    fund = request.GET.get("fund", "")
    qs = figures.records(
        key,
        user=request.user,
        org_unit=unit,
        date_from=period.date_from,
        date_to=period.date_to,
        fund=fund if key.startswith("funds.") else "",
    )
    total = None
    if key in MONEY_KEYS or key.startswith("aid.by_type.") or key == "funds.balance":
        total = qs.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
        if key == "funds.spent":
            total = -total
    elif key == "jobs.positions":
        total = qs.aggregate(total=Sum("positions"))["total"] or 0
    names = {f.name for f in qs.model._meta.fields}
    order = [f"-{n}" for n in DATE_FIELDS if n in names][:1]
    if not order and "name" in names:
        order = ["name"]
    page = Paginator(qs.order_by(*order, "pk"), 100).get_page(request.GET.get("page"))
    rows = [
        {
            "text": str(obj),
            "unit": getattr(getattr(obj, "org_unit", None), "name", ""),
            "date": _date_of(obj),
            "url": _admin_url(obj),
        }
        for obj in page.object_list
    ]
    base = _query(period, unit, key=key, **({"fund": fund} if fund else {}))
    return render(
        request,
        "stats/records.html",
        {
            "label": LABELS.get(key, key),
            "key": key,
            "fund": fund,
            "period": period,
            "unit": unit,
            "count": page.paginator.count,
            "total": total,
            "rows": rows,
            "page": page,
            "base": base,
            "back": f"{reverse('stats:dashboard')}?{_query(period, unit)}",
        },
    )


@login_required
def chart(request, key):
    """A section's monthly trend for the year, as SVG (text stays text: the browser's CJK
    fonts draw it)."""
    _require_pages(request)
    if key not in CHARTS:
        raise Http404
    raw = request.GET.get("year", "")
    if not (raw.isdigit() and 1900 <= int(raw) <= 2999):
        raise Http404
    unit = _unit(request)
    keys = CHARTS[key]
    series = figures.monthly(user=request.user, org_unit=unit, year=int(raw), keys=keys)
    svg = charts.monthly_svg(
        title=f"{SECTIONS[key]} · {raw}",
        lines=[
            (str(LABELS[k]), [None if v is None else float(v) for v in series[k]]) for k in keys
        ],
        month_label=_("month"),
    )
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=60"
    return response
