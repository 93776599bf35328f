"""`GET /api/v1/stats/summary/` (API.md "Stats summary"): parameters checked, the figures
from stats/figures.py, the shape declared field by field so the schema tells the truth."""

from __future__ import annotations

import datetime

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from aidcenter.api_strict import StrictSerializer
from aidcenter.errors import Invalid
from aidcenter.models import OrgUnit
from stats import figures

# --- Parameters -------------------------------------------------------------------------------
FIRST, LAST = datetime.date(1900, 1, 1), datetime.date(2999, 12, 31)


class SummaryQuery(StrictSerializer):
    year = serializers.IntegerField(required=False, min_value=FIRST.year, max_value=LAST.year)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    org_unit = serializers.CharField(required=False, max_length=32)

    def validate_date_from(self, value):
        return _within(value)

    def validate_date_to(self, value):
        return _within(value)


def _within(value: datetime.date) -> datetime.date:
    if not FIRST <= value <= LAST:
        raise serializers.ValidationError("out of range")
    return value


def parse_period(params) -> figures.Period:
    """A year, or date_from and date_to; anything else is refused with a Chinese message."""
    query = SummaryQuery(data=params)
    if not query.is_valid():
        messages = {
            "year": _("A year from 1900 to 2999."),
            "org_unit": _("A unit's code such as PT-CS."),
        }
        raise Invalid(
            {name: [messages.get(name, _("A date as YYYY-MM-DD."))] for name in query.errors}
        )
    data = query.validated_data
    year, start, end = data.get("year"), data.get("date_from"), data.get("date_to")
    if year is not None and (start is not None or end is not None):
        raise Invalid({"year": [_("Give a year or a date range, not both.")]})
    if year is not None:
        return figures.year_period(year)
    if start is None or end is None:
        missing = "date_from" if start is None else "date_to"
        if start is None and end is None:
            raise Invalid({"year": [_("Give a year, or date_from and date_to.")]})
        raise Invalid({missing: [_("Give both date_from and date_to.")]})
    if start > end:
        raise Invalid({"date_to": [_("The period cannot end before it starts.")]})
    return figures.Period(start, end)


def resolve_unit(user, code: str | None) -> OrgUnit:
    """The requested unit, or the caller's own; unknown or outside the scope: not found (the
    same answer for both, so the API never reveals that a unit exists)."""
    if not code:
        profile = getattr(user, "staff", None)
        if profile is not None:
            return profile.org_unit
        root = OrgUnit.objects.filter(parent__isnull=True).order_by("id").first()
        if root is None:
            raise Http404
        return root
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise Http404
    try:
        figures.units_for(user, unit)
    except figures.OutOfScope:
        raise Http404 from None
    return unit


# --- The answer's shape -----------------------------------------------------------------------
def _counts(keys, help_text: str = "") -> type[StrictSerializer]:
    fields = {k: serializers.IntegerField(min_value=0, help_text=help_text) for k in keys}
    return type("Counts", (StrictSerializer,), fields)


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=16, decimal_places=2, **kwargs)


class LevelSerializer(_counts(figures.LEVELS, "files at the period's end")):
    pass


class CauseSerializer(_counts(figures.CAUSES, "files at the period's end by main cause")):
    pass


class ChannelSerializer(_counts(figures.CHANNELS, "cases received in the period")):
    pass


class RegistrySerializer(StrictSerializer):
    registered = serializers.IntegerField(help_text="Stock: files registered at the period's end.")
    by_level = LevelSerializer()
    by_main_cause = CauseSerializer()
    migrant = serializers.IntegerField(help_text="Stock: registered files of migrant workers.")
    new = serializers.IntegerField(help_text="Flow: files approved in the period.")
    lifted = serializers.IntegerField(help_text="Flow: files lifted out of hardship.")
    closed = serializers.IntegerField(help_text="Flow: files closed in the period.")


AidTypeSerializer = type(
    "AidTypeSerializer", (StrictSerializer,), {t: _money() for t in figures.AID_TYPES}
)


class AidSerializer(StrictSerializer):
    persons = serializers.IntegerField(help_text="Distinct beneficiaries paid in the period.")
    person_times = serializers.IntegerField(help_text="Payments made in the period.")
    amount = _money()
    by_type = AidTypeSerializer()


class CasesSerializer(StrictSerializer):
    received = serializers.IntegerField()
    by_channel = ChannelSerializer()
    resolved = serializers.IntegerField(help_text="Received in the period, resolved by its end.")
    overdue = serializers.IntegerField(help_text="Stock: open past a deadline at the end.")
    answered_late = serializers.IntegerField(help_text="Resolved in the period after a deadline.")
    satisfaction_avg = serializers.FloatField(allow_null=True)


class JobsSerializer(_counts(figures.JOBS_KEYS, "flow in the period")):
    pass


class TrainingSerializer(_counts(figures.TRAINING_KEYS, "flow in the period")):
    pass


class LegalSerializer(StrictSerializer):
    cases = serializers.IntegerField(help_text="Opened in the period.")
    closed = serializers.IntegerField()
    amount_recovered = _money()
    migrant_cases = serializers.IntegerField()


class FundFiguresSerializer(StrictSerializer):
    income = _money()
    spent = _money()
    balance = _money(help_text="At the period's end.")


class FundsSerializer(FundFiguresSerializer):
    by_fund = serializers.DictField(
        child=FundFiguresSerializer(), help_text="Every fund managed in the subtree, by code."
    )


# `from` is a Python keyword: the fields are declared by name.
PeriodSerializer = type(
    "PeriodSerializer",
    (StrictSerializer,),
    {"from": serializers.DateField(), "to": serializers.DateField()},
)


class SummarySerializer(StrictSerializer):
    period = PeriodSerializer()
    org_unit = serializers.CharField()
    registry = RegistrySerializer()
    aid = AidSerializer()
    cases = CasesSerializer()
    jobs = JobsSerializer()
    training = TrainingSerializer()
    legal = LegalSerializer()
    funds = FundsSerializer()


# --- The view ---------------------------------------------------------------------------------
class StatsSummaryView(APIView):
    """The dashboard's figures for a period and a unit's subtree (the caller's scope)."""

    @extend_schema(
        operation_id="stats_summary",
        parameters=[
            OpenApiParameter(
                "year",
                {"type": "integer", "minimum": FIRST.year, "maximum": LAST.year},
                description="A calendar year (or date_from and date_to).",
            ),
            OpenApiParameter(
                "date_from", datetime.date, description="First day (Asia/Shanghai), 1900–2999."
            ),
            OpenApiParameter("date_to", datetime.date, description="Last day, included."),
            OpenApiParameter(
                "org_unit", str, description="A unit's code; default: the caller's unit."
            ),
        ],
        responses={200: SummarySerializer},
    )
    def get(self, request):
        period = parse_period(request.query_params)
        unit = resolve_unit(request.user, request.query_params.get("org_unit"))
        data = figures.summary(
            user=request.user, org_unit=unit, date_from=period.date_from, date_to=period.date_to
        )
        return Response(SummarySerializer(data).data)
