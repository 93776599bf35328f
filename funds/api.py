"""API of funds and aid (API.md "Funds and aid applications"): thin serializers and viewsets
that call funds/services.py. Scope comes from aidcenter.scope; bank accounts are shown in full
only to the roles that approve or pay (PIPL art. 28)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import OuterRef, Prefetch, Subquery
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from aidcenter.api import OrgUnitCodeField, SyncedSerializer, SyncedViewSet
from aidcenter.errors import Invalid
from aidcenter.roles import Action
from aidcenter.scope import scoped
from cases.models import Person, Worker
from funds import exports, services
from funds.models import (
    FILE_LEVELS,
    Account,
    AidApplication,
    AidType,
    Approval,
    Fund,
    LedgerEntry,
    Payment,
    PaymentMethod,
)

ERRORS_409 = OpenApiResponse(description="Conflict: a body with a machine-readable `code`.")
MONEY_FIELD = {"max_digits": 12, "decimal_places": 2}


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A link to a record the caller may see; anything else is "does not exist"."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        return scoped(self.context["request"].user, self.model)


@extend_schema_field(OpenApiTypes.STR)
class ScopedFundField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def get_queryset(self):
        return scoped(self.context["request"].user, Fund)


class BankAccountField(serializers.CharField):
    """Full for fund roles, masked (last four digits) for everyone else."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        if services.sees_bank_data(self.context["request"].user):
            return value
        return services.mask_account(value)


# --- Funds ----------------------------------------------------------------------------------
class FundSerializer(serializers.ModelSerializer):
    org_unit = OrgUnitCodeField()
    aid_types = serializers.ListField(
        child=serializers.ChoiceField(choices=AidType.choices), required=False
    )
    file_levels = serializers.ListField(
        child=serializers.ChoiceField(choices=FILE_LEVELS), required=False
    )
    balance = serializers.DecimalField(**MONEY_FIELD, read_only=True)

    class Meta:
        model = Fund
        fields = [
            "code",
            "name",
            "org_unit",
            "source_kind",
            "aid_types",
            "file_levels",
            "requires_file",
            "is_active",
            "balance",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["is_active", "version", "created_at", "updated_at"]
        extra_kwargs = {"code": {"validators": []}}


class IncomeSerializer(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY_FIELD, min_value=Decimal("0.01"))
    received_on = serializers.DateField()
    source = serializers.CharField(max_length=200)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True)


class IncomeResultSerializer(IncomeSerializer):
    id = serializers.IntegerField()
    fund = serializers.CharField(source="fund.code")
    transaction = serializers.IntegerField(source="transaction_id")


class StatementSerializer(serializers.Serializer):
    fund = serializers.CharField()
    period = serializers.DictField()
    opening_balance = serializers.CharField()
    income = serializers.CharField()
    income_reversed = serializers.CharField()
    payments = serializers.DictField(child=serializers.CharField())
    reversed_payments = serializers.DictField(child=serializers.CharField())
    spent = serializers.CharField()
    closing_balance = serializers.CharField()
    budget = serializers.CharField(allow_null=True)


class FundFilter(filters.FilterSet):
    org_unit = filters.CharFilter(field_name="org_unit__code")

    class Meta:
        model = Fund
        fields = ["org_unit", "source_kind", "is_active", "requires_file"]


def _period(request) -> tuple[datetime.date, datetime.date]:
    """`?year=YYYY` or `?date_from=…&date_to=…`; the current year by default."""
    params = request.query_params
    try:
        if params.get("date_from") or params.get("date_to"):
            return (
                datetime.date.fromisoformat(params.get("date_from", "")),
                datetime.date.fromisoformat(params.get("date_to", "")),
            )
        year = int(params.get("year") or services._today().year)
        if not 1900 <= year <= 2999:
            raise ValueError
        return services.year_range(year)
    except ValueError:
        raise Invalid({"year": [_("Give a year, or both dates as YYYY-MM-DD.")]}) from None


PERIOD_PARAMETERS = [
    OpenApiParameter("year", int, description="A calendar year (default: this year)."),
    OpenApiParameter("date_from", datetime.date),
    OpenApiParameter("date_to", datetime.date),
]


class FundViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Earmarked funds managed in the caller's scope, with their balances. Admins create them;
    fund managers record income."""

    serializer_class = FundSerializer
    lookup_field = "code"
    lookup_value_regex = "[A-Z0-9-]+"
    filterset_class = FundFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]
    ordering = ["code"]
    write_action = Action.ADMINISTER
    action_permissions = {"income": Action.MANAGE_FUNDS}

    def get_queryset(self):
        balance = Account.objects.filter(fund=OuterRef("pk"), kind=Account.Kind.FUND)
        return scoped(
            self.request.user,
            Fund.objects.select_related("org_unit").annotate(
                balance=Subquery(balance.values("balance")[:1])
            ),
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        fund = services.fund_create(
            by=self.request.user,
            org_unit=data["org_unit"],
            code=data["code"],
            name=data["name"],
            source_kind=data["source_kind"],
            aid_types=data.get("aid_types", []),
            file_levels=data.get("file_levels", []),
            requires_file=data.get("requires_file", False),
        )
        serializer.instance = self.get_queryset().get(pk=fund.pk)

    @extend_schema(request=IncomeSerializer, responses={201: IncomeResultSerializer})
    @action(detail=True, methods=["post"])
    def income(self, request, code=None):
        """Record income received into the fund (a fund manager in scope)."""
        fund = self.get_object()
        form = IncomeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        income = services.income_record(by=request.user, fund=fund, **form.validated_data)
        return Response(IncomeResultSerializer(income).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=PERIOD_PARAMETERS, responses=StatementSerializer)
    @action(detail=True, methods=["get"])
    def statement(self, request, code=None):
        """Opening balance, income, payments by aid type, reversals, closing balance, budget."""
        date_from, date_to = _period(request)
        statement = services.fund_statement(
            fund=self.get_object(), date_from=date_from, date_to=date_to
        )
        return Response(statement.as_dict())

    @extend_schema(
        parameters=PERIOD_PARAMETERS,
        responses={(200, exports.XLSX): OpenApiResponse(description="The statement as .xlsx")},
    )
    @action(detail=True, methods=["get"], url_path="statement/xlsx")
    def statement_xlsx(self, request, code=None):
        """The statement with every ledger movement of the period, as an Excel workbook."""
        date_from, date_to = _period(request)
        fund = self.get_object()
        statement = services.fund_statement(fund=fund, date_from=date_from, date_to=date_to)
        response = HttpResponse(exports.statement_xlsx(statement), content_type=exports.XLSX)
        name = f"{fund.code}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


# --- Aid applications -----------------------------------------------------------------------
class ApprovalSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username")

    class Meta:
        model = Approval
        fields = ["by", "decision", "opinion", "at"]


class AidApplicationSerializer(SyncedSerializer):
    person = ScopedRelatedField(Person)
    worker = ScopedRelatedField(Worker, required=False, allow_null=True)
    amount = serializers.DecimalField(**MONEY_FIELD, min_value=Decimal("0.01"))
    bank_account = BankAccountField()
    invoice_total = serializers.DecimalField(
        **MONEY_FIELD, min_value=0, required=False, allow_null=True
    )
    insurance_paid = serializers.DecimalField(
        **MONEY_FIELD, min_value=0, required=False, allow_null=True
    )
    civil_affairs_paid = serializers.DecimalField(
        **MONEY_FIELD, min_value=0, required=False, allow_null=True
    )
    entered_by = serializers.CharField(source="entered_by.username", read_only=True)
    approvals = ApprovalSerializer(many=True, read_only=True)

    class Meta:
        model = AidApplication
        fields = [
            *SyncedSerializer.SYNC_FIELDS,
            "person",
            "worker",
            "aid_type",
            "amount",
            "reason",
            "applied_on",
            "status",
            "payment_method",
            "payee_name",
            "bank_name",
            "bank_account",
            "school",
            "invoice_total",
            "insurance_paid",
            "civil_affairs_paid",
            "entered_by",
            "required_approvals",
            "repeat_in_period",
            "approvals",
        ]
        read_only_fields = ["status", "required_approvals", "repeat_in_period"]


class AidApplicationFilter(filters.FilterSet):
    org_unit = filters.CharFilter(field_name="org_unit__code")

    class Meta:
        model = AidApplication
        fields = ["org_unit", "status", "aid_type", "person", "worker", "repeat_in_period"]


class OpinionSerializer(serializers.Serializer):
    opinion = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class PaySerializer(serializers.Serializer):
    fund = ScopedFundField()
    method = serializers.ChoiceField(choices=PaymentMethod.choices, required=False)
    paid_on = serializers.DateField(required=False)


class PaymentSerializer(serializers.ModelSerializer):
    org_unit = serializers.CharField(source="org_unit.code")
    fund = serializers.CharField(source="fund.code")
    bank_account = BankAccountField()
    paid_by = serializers.CharField(source="paid_by.username")
    reversed_by = serializers.CharField(
        source="reversed_by.username", allow_null=True, default=None
    )

    class Meta:
        model = Payment
        fields = [
            "id",
            "org_unit",
            "application",
            "person",
            "worker",
            "fund",
            "aid_type",
            "amount",
            "method",
            "payee_name",
            "bank_name",
            "bank_account",
            "paid_on",
            "paid_by",
            "status",
            "transaction",
            "reversal",
            "failed_transfer",
            "reversal_reason",
            "reversed_by",
            "reversed_at",
        ]
        read_only_fields = fields


class AidApplicationViewSet(SyncedViewSet):
    """Aid applications: entered by front desk, caseworkers and sub-center clients; decided by
    fund approvers; paid by fund managers."""

    serializer_class = AidApplicationSerializer
    filterset_class = AidApplicationFilter
    search_fields = ["person__name", "person__phone"]
    ordering_fields = ["created_at", "updated_at", "applied_on", "amount"]
    ordering = ["-created_at"]
    action_permissions = {
        "submit": Action.ENTER,
        "approve": Action.APPROVE_AID,
        "reject": Action.APPROVE_AID,
        "pay": Action.MANAGE_FUNDS,
    }

    def queryset_base(self):
        return AidApplication.objects.select_related("org_unit", "entered_by").prefetch_related(
            Prefetch("approvals", queryset=Approval.objects.select_related("by"))
        )

    def perform_create_record(self, serializer, *, create_digest):
        data = dict(serializer.validated_data)
        application = services.application_create(
            by=self.request.user,
            org_unit=data.pop("org_unit"),
            person=data.pop("person"),
            worker=data.pop("worker", None),
            data=data,
            id=data.pop("id", None),
            create_digest=create_digest,
        )
        return self.get_queryset().get(pk=application.pk)

    def perform_update_record(self, serializer):
        application = services.application_update(
            by=self.request.user,
            application=serializer.instance,
            data=dict(serializer.validated_data),
        )
        return self.get_queryset().get(pk=application.pk)

    def _respond(self, application):
        return Response(self.get_serializer(self.get_queryset().get(pk=application.pk)).data)

    @extend_schema(request=None, responses={200: AidApplicationSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit a draft for approval."""
        return self._respond(
            services.application_submit(by=request.user, application=self.get_object())
        )

    @extend_schema(
        request=OpinionSerializer, responses={200: AidApplicationSerializer, 409: ERRORS_409}
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """One approval by a fund approver who did not enter it; two are needed above the
        configured amount."""
        form = OpinionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return self._respond(
            services.application_approve(
                by=request.user,
                application=self.get_object(),
                opinion=form.validated_data.get("opinion", ""),
            )
        )

    @extend_schema(
        request=OpinionSerializer, responses={200: AidApplicationSerializer, 409: ERRORS_409}
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject with a written opinion (required)."""
        form = OpinionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return self._respond(
            services.application_reject(
                by=request.user,
                application=self.get_object(),
                opinion=form.validated_data.get("opinion", ""),
            )
        )

    @extend_schema(request=PaySerializer, responses={201: PaymentSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        """Pay an approved application from a fund. 409 codes in this order: already_paid,
        not_approved, earmark, cap, insufficient_funds."""
        application = self.get_object()
        form = PaySerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        payment = services.application_pay(
            by=request.user, application=application, **form.validated_data
        )
        payment = _payments().get(pk=payment.pk)
        return Response(
            PaymentSerializer(payment, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


# --- Payments and the ledger (read-only) ----------------------------------------------------
def _payments():
    return Payment.objects.select_related("org_unit", "fund", "paid_by", "reversed_by")


class PaymentFilter(filters.FilterSet):
    org_unit = filters.CharFilter(field_name="org_unit__code")
    fund = filters.CharFilter(field_name="fund__code")
    paid_from = filters.DateFilter(field_name="paid_on", lookup_expr="gte")
    paid_to = filters.DateFilter(field_name="paid_on", lookup_expr="lte")

    class Meta:
        model = Payment
        fields = ["org_unit", "fund", "application", "person", "worker", "aid_type", "status"]


class ReverseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    failed_transfer = serializers.BooleanField(default=False)


class PaymentViewSet(viewsets.ReadOnlyModelViewSet):
    """Payments (read-only); a fund manager reverses one when a transfer fails or was wrong."""

    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    ordering_fields = ["paid_on", "amount"]
    ordering = ["-paid_on", "-paid_at"]
    action_permissions = {"reverse": Action.MANAGE_FUNDS}

    def get_queryset(self):
        return scoped(self.request.user, _payments())

    @extend_schema(request=ReverseSerializer, responses={200: PaymentSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        """Reverse the payment: a reversing ledger transaction restores the fund, and the
        application returns to approved."""
        form = ReverseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        payment = services.payment_reverse(
            by=request.user, payment=self.get_object(), **form.validated_data
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=payment.pk)).data)


class LedgerEntrySerializer(serializers.ModelSerializer):
    fund = serializers.CharField(source="account.fund.code")
    account = serializers.CharField(source="account.kind")
    reverses = serializers.IntegerField(source="transaction.reverses_id", allow_null=True)
    memo = serializers.CharField(source="transaction.memo")

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "transaction",
            "fund",
            "account",
            "amount",
            "booked_on",
            "kind",
            "aid_type",
            "reverses",
            "memo",
        ]
        read_only_fields = fields


class LedgerFilter(filters.FilterSet):
    fund = filters.CharFilter(field_name="account__fund__code")
    account = filters.CharFilter(field_name="account__kind")
    booked_from = filters.DateFilter(field_name="booked_on", lookup_expr="gte")
    booked_to = filters.DateFilter(field_name="booked_on", lookup_expr="lte")

    class Meta:
        model = LedgerEntry
        fields = ["fund", "account", "kind", "aid_type", "transaction"]


class LedgerViewSet(viewsets.ReadOnlyModelViewSet):
    """The ledger's entries, append-only, of the funds in scope."""

    serializer_class = LedgerEntrySerializer
    filterset_class = LedgerFilter
    ordering_fields = ["id", "booked_on"]
    ordering = ["id"]

    def get_queryset(self):
        return scoped(
            self.request.user,
            LedgerEntry.objects.select_related("account__fund", "transaction"),
        )


def register(router) -> None:
    router.register("funds", FundViewSet, basename="fund")
    router.register("aid-applications", AidApplicationViewSet, basename="aid-application")
    router.register("payments", PaymentViewSet, basename="payment")
    router.register("ledger", LedgerViewSet, basename="ledger-entry")
