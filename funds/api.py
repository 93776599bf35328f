"""API of funds and aid (API.md "Funds and aid applications"): thin serializers and viewsets
that call funds/services.py. Scope comes from aidcenter.scope; bank accounts are shown in full
only to the roles that approve or pay (PIPL art. 28)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, OuterRef, Prefetch, Subquery, Sum
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
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from aidcenter.api import OrgUnitCodeField, SyncedSerializer, SyncedViewSet
from aidcenter.api_strict import StrictModelSerializer, StrictSerializer
from aidcenter.errors import Invalid
from aidcenter.roles import Action, can
from aidcenter.scope import scoped
from cases.models import Person, Worker
from funds import bank, batches, exports, loans, services, yearend
from funds.models import (
    FILE_LEVELS,
    Account,
    AidApplication,
    AidBatch,
    AidDocument,
    AidType,
    Approval,
    BankFile,
    BatchLine,
    BatchRun,
    ClosedYear,
    Fund,
    LedgerEntry,
    Loan,
    LoanInstalment,
    LoanRepayment,
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
class FundSerializer(StrictModelSerializer):
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


class IncomeSerializer(StrictSerializer):
    amount = serializers.DecimalField(**MONEY_FIELD, min_value=Decimal("0.01"))
    received_on = serializers.DateField()
    source = serializers.CharField(max_length=200)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True)


class IncomeResultSerializer(IncomeSerializer):
    id = serializers.IntegerField()
    fund = serializers.CharField(source="fund.code")
    transaction = serializers.IntegerField(source="transaction_id")


class StatementSerializer(StrictSerializer):
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


# --- Funds II: budgets, the closed year, the audit pack -------------------------------------
class BudgetLineSerializer(StrictSerializer):
    aid_type = serializers.CharField()
    budget = serializers.DecimalField(**MONEY_FIELD, allow_null=True)
    paid = serializers.DecimalField(**MONEY_FIELD)
    returned = serializers.DecimalField(**MONEY_FIELD)
    spent = serializers.DecimalField(**MONEY_FIELD)
    left = serializers.DecimalField(**MONEY_FIELD, allow_null=True)


class BudgetSetSerializer(StrictSerializer):
    year = serializers.IntegerField(min_value=1900, max_value=2999)
    aid_type = serializers.ChoiceField(choices=AidType.choices, required=False, allow_blank=True)
    amount = serializers.DecimalField(**MONEY_FIELD, min_value=Decimal("0.00"))


class CloseYearSerializer(StrictSerializer):
    year = serializers.IntegerField(min_value=1900, max_value=2999)


class ClosedYearSerializer(StrictModelSerializer):
    fund = serializers.CharField(source="fund.code")
    closed_by = serializers.CharField(source="closed_by.username")

    class Meta:
        model = ClosedYear
        fields = ["fund", "year", "closing_balance", "closed_by", "closed_at"]
        read_only_fields = fields


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
    action_permissions = {
        "income": Action.MANAGE_FUNDS,
        "budget": Action.MANAGE_FUNDS,
        "close_year": Action.MANAGE_FUNDS,
    }

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

    @extend_schema(
        methods=["GET"],
        parameters=[OpenApiParameter("year", int)],
        request=None,
        responses={200: BudgetLineSerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        request=BudgetSetSerializer,
        responses={200: BudgetLineSerializer(many=True)},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def budget(self, request, code=None):
        """Budget against actual per aid type for a year (the last line: the whole fund, aid
        type ""). `POST {"year", "aid_type", "amount"}` sets one budget (a fund manager)."""
        fund = self.get_object()
        if request.method == "POST":
            form = BudgetSetSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            services.budget_set(by=request.user, fund=fund, **form.validated_data)
            year = form.validated_data["year"]
        else:
            year = _year(request)
        lines = yearend.budget_report(fund=fund, year=year)
        return Response(BudgetLineSerializer(lines, many=True).data)

    @extend_schema(
        request=CloseYearSerializer, responses={201: ClosedYearSerializer, 409: ERRORS_409}
    )
    @action(detail=True, methods=["post"], url_path="close-year")
    def close_year(self, request, code=None):
        """Close a finished year (决算): the ledger then refuses entries dated in it."""
        form = CloseYearSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        closed = yearend.year_close(
            by=request.user, fund=self.get_object(), year=form.validated_data["year"]
        )
        return Response(ClosedYearSerializer(closed).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("year", int)],
        responses={(200, exports.XLSX): OpenApiResponse(description="The audit pack (.xlsx)")},
        filters=False,
    )
    @action(detail=False, methods=["get"], url_path="audit-pack")
    def audit_pack(self, request):
        """The auditors' pack for a year over the funds in scope: statements, budget against
        actual, every payment with its approvals and documents, every reversal."""
        if not any(
            can(request.user, a)
            for a in (Action.MANAGE_FUNDS, Action.VIEW_HISTORY, Action.ADMINISTER)
        ):
            raise PermissionDenied()
        year = _year(request)
        return _xlsx(yearend.audit_pack(user=request.user, year=year), f"audit-{year}.xlsx")


# --- Aid applications -----------------------------------------------------------------------
class ApprovalSerializer(StrictModelSerializer):
    by = serializers.CharField(source="by.username")

    class Meta:
        model = Approval
        fields = ["by", "decision", "opinion", "at"]


class AidDocumentSerializer(StrictModelSerializer):
    uploaded_by = serializers.CharField(source="uploaded_by.username")
    # A plain string here: the upload form carries the enum (one schema component per set).
    kind = serializers.CharField()

    class Meta:
        model = AidDocument
        fields = ["id", "kind", "original_name", "content_type", "size", "uploaded_by"]
        read_only_fields = fields


class DocumentUploadSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=AidDocument.Kind.choices)
    file = serializers.FileField()


def _year(request) -> int:
    try:
        year = int(request.query_params.get("year") or services._today().year)
        if not 1900 <= year <= 2999:
            raise ValueError
    except ValueError:
        raise Invalid({"year": [_("Give a year, or both dates as YYYY-MM-DD.")]}) from None
    return year


def _xlsx(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=exports.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


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
    child = ScopedRelatedField(Person, required=False, allow_null=True)
    out_of_pocket = serializers.DecimalField(**MONEY_FIELD, read_only=True, allow_null=True)
    term_months = serializers.IntegerField(
        min_value=1, max_value=600, required=False, allow_null=True
    )

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
            # Funds II (additive): schooling per child, medical out-of-pocket, loan terms.
            "child",
            "grade",
            "school_year",
            "duplicate_elsewhere",
            "out_of_pocket",
            "term_months",
            "hires_laid_off",
        ]
        read_only_fields = [
            "status",
            "required_approvals",
            "repeat_in_period",
            "school_year",
            "duplicate_elsewhere",
        ]


class AidApplicationFilter(filters.FilterSet):
    org_unit = filters.CharFilter(field_name="org_unit__code")

    class Meta:
        model = AidApplication
        fields = ["org_unit", "status", "aid_type", "person", "worker", "repeat_in_period"]


class OpinionSerializer(StrictSerializer):
    opinion = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class PaySerializer(StrictSerializer):
    fund = ScopedFundField()
    method = serializers.ChoiceField(choices=PaymentMethod.choices, required=False)
    paid_on = serializers.DateField(required=False)


class PaymentSerializer(StrictModelSerializer):
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
        "documents": Action.ENTER,
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

    @extend_schema(methods=["GET"], request=None, responses={200: AidDocumentSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={201: AidDocumentSerializer, 409: ERRORS_409},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser],
        pagination_class=None,
    )
    def documents(self, request, pk=None):
        """The application's documents (admission letter, medical invoices); upload one to a
        draft (multipart: `kind`, `file`)."""
        application = self.get_object()
        if request.method == "GET":
            docs = application.documents.order_by("uploaded_at")
            return Response(AidDocumentSerializer(docs, many=True).data)
        form = DocumentUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        document = services.document_add(
            by=request.user,
            application=application,
            kind=form.validated_data["kind"],
            upload=form.validated_data["file"],
        )
        return Response(AidDocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("year", int, description="Campaign year (default: now).")],
        responses={(200, exports.XLSX): OpenApiResponse(description="Recipients as .xlsx")},
        filters=False,
    )
    @action(detail=False, methods=["get"], url_path="schooling-recipients")
    def schooling_recipients(self, request):
        """The public list of the year's autumn schooling aid recipients in scope, names
        masked as the notice requires (张*明)."""
        year = _year(request)
        rows = (
            scoped(request.user, AidApplication)
            .filter(aid_type=AidType.SCHOOLING, school_year=year, status="paid")
            .select_related("org_unit", "child")
            .order_by("org_unit__code", "school", "child__name")
        )
        return _xlsx(exports.schooling_recipients_xlsx(rows, year=year), f"schooling-{year}.xlsx")


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


class ReverseSerializer(StrictSerializer):
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


class LedgerEntrySerializer(StrictModelSerializer):
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


# --- Funds II: campaign batches -------------------------------------------------------------
class BatchRunSerializer(StrictModelSerializer):
    class Meta:
        model = BatchRun
        fields = ["id", "status", "total", "done", "error", "queued_at", "finished_at"]
        read_only_fields = fields


class AidBatchSerializer(StrictModelSerializer):
    org_unit = OrgUnitCodeField()
    fund = ScopedFundField()
    amount = serializers.DecimalField(
        **MONEY_FIELD, min_value=Decimal("0.01"), required=False, allow_null=True
    )
    method = serializers.ChoiceField(
        choices=[PaymentMethod.CASH, PaymentMethod.VOUCHER], default=PaymentMethod.CASH
    )
    built_by = serializers.CharField(source="built_by.username", read_only=True)
    decided_by = serializers.CharField(
        source="decided_by.username", read_only=True, allow_null=True, default=None
    )
    lines = serializers.IntegerField(source="line_count", read_only=True)
    total = serializers.DecimalField(**MONEY_FIELD, read_only=True)

    class Meta:
        model = AidBatch
        fields = [
            "id",
            "org_unit",
            "fund",
            "kind",
            "name",
            "month",
            "amount",
            "method",
            "status",
            "lines",
            "total",
            "built_by",
            "built_at",
            "decided_by",
            "decided_at",
            "opinion",
            "last_error",
        ]
        read_only_fields = ["status", "built_at", "decided_at", "opinion", "last_error"]


class BatchLineSerializer(StrictModelSerializer):
    org_unit = serializers.CharField(source="org_unit.code")
    status = serializers.CharField(source="application.status", default=None)

    class Meta:
        model = BatchLine
        fields = [
            "id",
            "org_unit",
            "worker",
            "person",
            "payee_name",
            "reason",
            "amount",
            "application",
            "status",
        ]
        read_only_fields = fields


class AidBatchViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Campaign batches (送温暖, supermarket vouchers): a fund manager builds one from the rule
    (`POST`), a fund approver who did not build it approves (freezing the list) or rejects it,
    and a fund manager pays it in one go — a background task, all or nothing (`pay` answers
    202 with the run; `progress` shows it)."""

    serializer_class = AidBatchSerializer
    filterset_fields = ["status", "kind"]
    ordering_fields = ["built_at", "month"]
    ordering = ["-built_at"]
    write_action = Action.MANAGE_FUNDS
    action_permissions = {
        "create": Action.MANAGE_FUNDS,
        "approve": Action.APPROVE_AID,
        "reject": Action.APPROVE_AID,
        "pay": Action.MANAGE_FUNDS,
    }

    def get_queryset(self):
        return scoped(
            self.request.user,
            AidBatch.objects.select_related("org_unit", "fund", "built_by", "decided_by").annotate(
                line_count=Count("lines"), total=Sum("lines__amount")
            ),
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        batch = batches.batch_build(
            by=self.request.user,
            fund=data["fund"],
            org_unit=data["org_unit"],
            kind=data["kind"],
            name=data["name"],
            month=data["month"],
            amount=data.get("amount"),
            method=data.get("method", PaymentMethod.CASH),
        )
        serializer.instance = self.get_queryset().get(pk=batch.pk)

    def _respond(self, batch):
        return Response(self.get_serializer(self.get_queryset().get(pk=batch.pk)).data)

    @extend_schema(request=OpinionSerializer, responses={200: AidBatchSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve and freeze the list and amounts (never by the user who built it)."""
        form = OpinionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        batch = batches.batch_approve(
            by=request.user, batch=self.get_object(), opinion=form.validated_data.get("opinion", "")
        )
        return self._respond(batch)

    @extend_schema(request=OpinionSerializer, responses={200: AidBatchSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject with a written opinion (required)."""
        form = OpinionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        batch = batches.batch_reject(
            by=request.user, batch=self.get_object(), opinion=form.validated_data.get("opinion", "")
        )
        return self._respond(batch)

    @extend_schema(request=None, responses={202: BatchRunSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        """Queue the payment of the whole batch (409 already_paid, not_approved,
        insufficient_funds)."""
        run = batches.batch_pay(by=request.user, batch=self.get_object())
        return Response(BatchRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: BatchRunSerializer})
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        """The latest payment run: lines paid of all, its status and error."""
        run = self.get_object().runs.order_by("-queued_at", "-id").first()
        if run is None:
            raise NotFound(_("This batch has not been sent for payment."))
        return Response(BatchRunSerializer(run).data)

    @extend_schema(responses={200: BatchLineSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def lines(self, request, pk=None):
        """The per-person list, paginated."""
        lines = batches.batch_lines(self.get_object())
        page = self.paginate_queryset(lines)
        return self.get_paginated_response(BatchLineSerializer(page, many=True).data)

    @extend_schema(
        responses={(200, exports.XLSX): OpenApiResponse(description="The list as .xlsx")}
    )
    @action(detail=True, methods=["get"])
    def xlsx(self, request, pk=None):
        """The per-person list as .xlsx."""
        batch = self.get_object()
        content = exports.batch_xlsx(batch, batches.batch_lines(batch))
        return _xlsx(content, f"batch-{batch.month:%Y%m}-{batch.kind}.xlsx")


# --- Funds II: bank files -------------------------------------------------------------------
class BankFileSerializer(StrictModelSerializer):
    fund = ScopedFundField()
    name = serializers.CharField(source="__str__", read_only=True)
    transfers = serializers.IntegerField(source="line_count", read_only=True)
    total = serializers.DecimalField(**MONEY_FIELD, read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = BankFile
        fields = [
            "id",
            "name",
            "fund",
            "layout",
            "status",
            "transfers",
            "total",
            "created_by",
            "created_at",
            "settled_at",
        ]
        read_only_fields = ["layout", "status", "created_at", "settled_at"]


class BankResultSerializer(StrictSerializer):
    file = serializers.FileField()


class BankResultCountsSerializer(StrictSerializer):
    done = serializers.IntegerField()
    failed = serializers.IntegerField()


class BankFileViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Bank transfers leave as one file (`POST` with `{"fund": code}` gathers every bank
    payment of the fund not yet sent; `download` gives it in the configured layout); the
    bank's result file (`results`, multipart `file`) marks each transfer done or failed, and a
    failed one is reversed."""

    serializer_class = BankFileSerializer
    ordering = ["-id"]
    write_action = Action.MANAGE_FUNDS

    def get_queryset(self):
        return scoped(
            self.request.user,
            BankFile.objects.select_related("fund", "created_by").annotate(
                line_count=Count("lines"), total=Sum("lines__payment__amount")
            ),
        )

    def perform_create(self, serializer):
        bank_file = bank.bank_file_create(
            by=self.request.user, fund=serializer.validated_data["fund"]
        )
        serializer.instance = self.get_queryset().get(pk=bank_file.pk)

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(description="The bank file")})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The file for the bank (.csv or .xlsx, as configured)."""
        if not can(request.user, Action.MANAGE_FUNDS):
            raise PermissionDenied()
        content, content_type, name = bank.bank_file_content(self.get_object())
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @extend_schema(
        request={"multipart/form-data": BankResultSerializer},
        responses={200: BankResultCountsSerializer, 400: OpenApiResponse(description="Errors")},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def results(self, request, pk=None):
        """Apply the bank's result file: all rows or, on any error, none."""
        form = BankResultSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        counts = bank.bank_file_apply_results(
            by=request.user,
            bank_file=self.get_object(),
            content=upload.read(),
            filename=upload.name,
        )
        return Response(counts)


# --- Funds II: loans ------------------------------------------------------------------------
class InstalmentSerializer(StrictModelSerializer):
    loan = serializers.UUIDField(source="loan_id")
    borrower = serializers.CharField(source="loan.person.name")

    class Meta:
        model = LoanInstalment
        fields = ["loan", "borrower", "number", "due_on", "amount", "paid"]
        read_only_fields = fields


class LoanInstalmentLineSerializer(StrictSerializer):
    number = serializers.IntegerField()
    due_on = serializers.DateField()
    amount = serializers.CharField()
    paid = serializers.CharField()


class LoanSerializer(StrictModelSerializer):
    org_unit = serializers.CharField(source="org_unit.code")
    fund = serializers.CharField(source="fund.code")
    outstanding = serializers.DecimalField(**MONEY_FIELD, read_only=True)
    instalments = serializers.SerializerMethodField()

    class Meta:
        model = Loan
        fields = [
            "id",
            "org_unit",
            "fund",
            "payment",
            "person",
            "principal",
            "repaid",
            "outstanding",
            "term_months",
            "starts_on",
            "status",
            "instalments",
        ]
        read_only_fields = fields

    @extend_schema_field(LoanInstalmentLineSerializer(many=True))
    def get_instalments(self, loan):
        return [
            {
                "number": i.number,
                "due_on": i.due_on.isoformat(),
                "amount": f"{i.amount:.2f}",
                "paid": f"{i.paid:.2f}",
            }
            for i in loan.instalments.all()
        ]


class RepaySerializer(StrictSerializer):
    amount = serializers.DecimalField(**MONEY_FIELD, min_value=Decimal("0.01"))
    paid_on = serializers.DateField(required=False)


class RepaymentSerializer(StrictModelSerializer):
    class Meta:
        model = LoanRepayment
        fields = ["id", "loan", "amount", "paid_on", "transaction"]
        read_only_fields = fields


class LoanViewSet(viewsets.ReadOnlyModelViewSet):
    """Interest-free loans (opened when a `loan` application is paid) with their schedules;
    a fund manager records repayments, which go back into the fund through the ledger."""

    serializer_class = LoanSerializer
    filterset_fields = ["status", "person"]
    ordering = ["-starts_on"]
    action_permissions = {"repay": Action.MANAGE_FUNDS}

    def get_queryset(self):
        return scoped(
            self.request.user,
            Loan.objects.select_related("org_unit", "fund").prefetch_related("instalments"),
        )

    @extend_schema(request=RepaySerializer, responses={201: RepaymentSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def repay(self, request, pk=None):
        """Record a repayment (applied to the oldest instalments first)."""
        form = RepaySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        repayment = loans.loan_repay(by=request.user, loan=self.get_object(), **form.validated_data)
        return Response(RepaymentSerializer(repayment).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: InstalmentSerializer(many=True)}, filters=False)
    @action(detail=False, methods=["get"])
    def overdue(self, request):
        """Instalments due before today and not fully paid, oldest first."""
        rows = loans.overdue_instalments(user=request.user)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(InstalmentSerializer(page, many=True).data)


def register(router) -> None:
    router.register("funds", FundViewSet, basename="fund")
    router.register("aid-applications", AidApplicationViewSet, basename="aid-application")
    router.register("payments", PaymentViewSet, basename="payment")
    router.register("ledger", LedgerViewSet, basename="ledger-entry")
    router.register("aid-batches", AidBatchViewSet, basename="aid-batch")
    router.register("bank-files", BankFileViewSet, basename="bank-file")
    router.register("loans", LoanViewSet, basename="loan")
