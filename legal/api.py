"""API of legal aid (API.md "Legal case"): thin serializers and viewsets calling
legal/services.py. Legal cases sync like every record a sub-center creates (idempotent create,
PATCH with `version`, soft delete); lawyers are a read-only city-wide catalogue."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from aidcenter.api import SyncedSerializer, SyncedViewSet
from aidcenter.api_strict import StrictModelSerializer, StrictSerializer
from aidcenter.roles import Action
from aidcenter.scope import scoped
from legal import deadlines, documents, exports, services
from legal.models import (
    Claimant,
    DutySlot,
    Lawyer,
    LegalCase,
    LegalDocument,
    Outcome,
    Stage,
    StageRecord,
)

MONEY = {
    "max_digits": 12,
    "decimal_places": 2,
    "min_value": 0,
    "max_value": Decimal("9999999999.99"),
}
ERRORS_409 = OpenApiResponse(description="Conflict: a body with a machine-readable `code`.")


@extend_schema_field(OpenApiTypes.UUID)
class ScopedPersonField(serializers.PrimaryKeyRelatedField):
    """A person in the caller's scope; anyone else "does not exist"."""

    def get_queryset(self):
        return scoped(self.context["request"].user, services.Person)


class ClaimantSerializer(StrictModelSerializer):
    person = ScopedPersonField()
    amount_claimed = serializers.DecimalField(**MONEY, required=False, default=Decimal("0.00"))
    amount_recovered = serializers.DecimalField(**MONEY, required=False)

    class Meta:
        model = Claimant
        fields = ["person", "amount_claimed", "amount_recovered", "eligibility"]
        read_only_fields = ["eligibility"]


class StageRecordSerializer(StrictModelSerializer):
    class Meta:
        model = StageRecord
        fields = ["stage", "started_on", "ended_on", "result"]


class LegalDocumentSerializer(StrictModelSerializer):
    file = serializers.FileField(write_only=True)
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)

    class Meta:
        model = LegalDocument
        fields = ["id", "stage", "kind", "file", "original_name", "size", "uploaded_at"]
        read_only_fields = ["id", "original_name", "size", "uploaded_at"]


@extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
class TotalField(serializers.Field):
    """The sum of one claimant amount over the (prefetched) claimants, as money."""

    def __init__(self, amount: str, **kwargs):
        self.amount = amount
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, case):
        total = sum((getattr(c, self.amount) for c in case.claimants.all()), Decimal("0"))
        return f"{total:.2f}"


class LegalCaseSerializer(SyncedSerializer):
    claimants = ClaimantSerializer(many=True)
    limitation_restart_reason = serializers.ChoiceField(
        choices=LegalCase._meta.get_field("limitation_restart_reason").choices,
        read_only=True,
        allow_blank=True,
    )
    amount_claimed_total = TotalField("amount_claimed")
    amount_recovered_total = TotalField("amount_recovered")
    employer = serializers.PrimaryKeyRelatedField(
        queryset=services.Employer.objects.all(), allow_null=True, required=False
    )
    lawyer = serializers.PrimaryKeyRelatedField(
        queryset=Lawyer.objects.all(), allow_null=True, required=False
    )
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)
    conflict_override_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000
    )
    opened_on = serializers.DateField(required=False)
    deadline_flag = serializers.SerializerMethodField()
    stages = StageRecordSerializer(many=True, read_only=True)
    documents = LegalDocumentSerializer(many=True, read_only=True)

    class Meta:
        model = LegalCase
        fields = [
            *SyncedSerializer.SYNC_FIELDS,
            "case_type",
            "summary",
            "claimants",
            "amount_claimed_total",
            "amount_recovered_total",
            "employer",
            "stage",
            "lawyer",
            "conflict_override_reason",
            "is_legal_aid",
            "knew_of_violation_on",
            "wages_during_employment",
            "employment_ended_on",
            "limitation_restarted_on",
            "limitation_restart_reason",
            "limitation_ends_on",
            "mediation_applied_on",
            "arbitration_accepted_on",
            "award_extended",
            "award_received_on",
            "next_hearing_on",
            "follow_up_on",
            "next_deadline_on",
            "next_deadline_kind",
            "deadline_flag",
            "outcome",
            "outcome_note",
            "opened_on",
            "closed_on",
            "referred_from",
            "stages",
            "documents",
        ]
        read_only_fields = [
            "is_legal_aid",
            "limitation_restarted_on",
            "limitation_restart_reason",
            "limitation_ends_on",
            "next_deadline_on",
            "next_deadline_kind",
            "closed_on",
            "referred_from",
        ]

    @extend_schema_field(
        serializers.ChoiceField(
            choices=[("missed", "missed"), ("due_soon", "due soon")], allow_null=True
        )
    )
    def get_deadline_flag(self, case):
        if case.stage == Stage.CLOSED:
            return None
        return deadlines.flag(case.next_deadline_on, today=timezone.localdate()) or None


class LegalCaseFilter(filters.FilterSet):
    org_unit = filters.CharFilter(field_name="org_unit__code")
    deadline = filters.ChoiceFilter(
        choices=[("missed", _("deadline missed")), ("due_soon", _("deadline due soon"))],
        method="filter_deadline",
    )
    opened_from = filters.DateFilter(field_name="opened_on", lookup_expr="gte")
    opened_to = filters.DateFilter(field_name="opened_on", lookup_expr="lte")

    class Meta:
        model = LegalCase
        fields = ["org_unit", "case_type", "stage", "employer", "lawyer", "is_legal_aid", "outcome"]

    def filter_deadline(self, queryset, name, value):
        return queryset.filter(services.deadline_q(value))


class LegalMoveSerializer(StrictSerializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    on = serializers.DateField(required=False)
    result = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False)


class LegalAssignSerializer(StrictSerializer):
    lawyer = serializers.PrimaryKeyRelatedField(queryset=Lawyer.objects.all(), allow_null=True)
    override_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class LegalRestartSerializer(StrictSerializer):
    on = serializers.DateField()
    # Checked by the service; a plain string here keeps one enum name for these codes in the
    # schema (the case's `limitation_restart_reason` carries it).
    reason = serializers.CharField(
        max_length=20, help_text="claim_pressed | relief_sought | employer_agreed"
    )


class LegalRecoverySerializer(StrictSerializer):
    person = ScopedPersonField()
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("-9999999999.99"),
        max_value=MONEY["max_value"],
    )
    recovered_on = serializers.DateField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


def _case_queryset():
    return LegalCase.objects.select_related("org_unit", "employer", "lawyer").prefetch_related(
        Prefetch("claimants", Claimant.objects.select_related("person").order_by("id")),
        Prefetch("stages", StageRecord.objects.order_by("started_on", "id")),
        Prefetch("documents", LegalDocument.objects.order_by("uploaded_at")),
    )


class LegalCaseViewSet(SyncedViewSet):
    """Legal aid cases: claimants against an employer, from intake to closing. The front desk
    may open a case (intake); running it takes a caseworker or a sub-center client."""

    serializer_class = LegalCaseSerializer
    filterset_class = LegalCaseFilter
    search_fields = ["employer__name", "claimants__person__name", "summary"]
    ordering_fields = ["opened_on", "next_deadline_on", "updated_at", "created_at"]
    ordering = ["-opened_on", "id"]
    write_action = Action.RUN_SERVICES
    action_permissions = {"create": Action.ENTER}

    def queryset_base(self):
        return _case_queryset()

    def _fresh(self, case):
        return _case_queryset().get(pk=case.pk)

    def _respond(self, case, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self._fresh(case)).data, status=code)

    def perform_create_record(self, serializer, *, create_digest):
        data = dict(serializer.validated_data)
        case = services.legal_case_open(
            by=self.request.user,
            org_unit=data.pop("org_unit"),
            case_type=data.pop("case_type"),
            claimants=data.pop("claimants"),
            employer=data.pop("employer", None),
            opened_on=data.pop("opened_on", None),
            lawyer=data.pop("lawyer", None),
            override_reason=data.pop("conflict_override_reason", ""),
            id=data.pop("id", None),
            data={k: v for k, v in data.items() if k != "stage"},
            create_digest=create_digest,
        )
        return self._fresh(case)

    def perform_update_record(self, serializer):
        data = dict(serializer.validated_data)
        claimants = data.pop("claimants", None)
        for name in ("id", "org_unit", "opened_on"):
            data.pop(name, None)
        case = services.legal_case_update(
            by=self.request.user, case=serializer.instance, data=data, claimants=claimants
        )
        return self._fresh(case)

    def perform_destroy(self, instance):
        services.legal_case_delete(by=self.request.user, case=instance)

    @extend_schema(
        request=LegalMoveSerializer, responses={200: LegalCaseSerializer, 409: ERRORS_409}
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Close the current stage with its result and start the next (allowed moves only:
        409 `invalid_move`)."""
        case = self.get_object()  # out of scope: 404 before anything else is said
        form = LegalMoveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        case = services.stage_move(
            by=request.user,
            case=case,
            to=data["stage"],
            on=data.get("on"),
            result=data.get("result", ""),
            outcome=data.get("outcome", ""),
        )
        return self._respond(case)

    @extend_schema(
        request=LegalAssignSerializer, responses={200: LegalCaseSerializer, 409: ERRORS_409}
    )
    @action(detail=True, methods=["post"], url_path="assign-lawyer")
    def assign_lawyer(self, request, pk=None):
        """Assign the duty lawyer after the conflict check: 409 `lawyer_conflict` when the lawyer
        or their firm acted for the opposing employer, unless `override_reason` is given."""
        case = self.get_object()
        form = LegalAssignSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        case = services.lawyer_assign(
            by=request.user,
            case=case,
            lawyer=form.validated_data["lawyer"],
            override_reason=form.validated_data.get("override_reason", ""),
        )
        return self._respond(case)

    @extend_schema(request=LegalRestartSerializer, responses={200: LegalCaseSerializer})
    @action(detail=True, methods=["post"], url_path="restart-limitation")
    def restart_limitation(self, request, pk=None):
        """The worker pressed the claim or the employer agreed to pay (art. 27 para. 2): the
        one-year arbitration limit runs afresh from `on`."""
        case = self.get_object()
        form = LegalRestartSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        case = services.limitation_restart(by=request.user, case=case, **form.validated_data)
        return self._respond(case)

    @extend_schema(request=LegalRecoverySerializer, responses={201: LegalCaseSerializer})
    @action(detail=True, methods=["post"])
    def recoveries(self, request, pk=None):
        """Money recovered for a claimant on a day (a negative amount corrects a mistake)."""
        case = self.get_object()
        form = LegalRecoverySerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        services.recovery_record(
            by=request.user,
            case=case,
            person=data["person"],
            amount=data["amount"],
            on=data.get("recovered_on"),
            note=data.get("note", ""),
        )
        return self._respond(case, status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": LegalDocumentSerializer},
        responses={201: LegalDocumentSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def documents(self, request, pk=None):
        """A stage's document: PDF, JPEG or PNG up to 10 MB, kept outside the web root."""
        case = self.get_object()
        form = LegalDocumentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        document = documents.document_add(
            by=request.user,
            legal_case=case,
            kind=form.validated_data["kind"],
            upload=form.validated_data["file"],
            stage=form.validated_data.get("stage"),
        )
        return Response(LegalDocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiResponse(description="The file")}
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"documents/(?P<document_id>[0-9a-fA-F-]{36})",
        url_name="document-file",
    )
    def document_file(self, request, pk=None, document_id=None):
        """Download one of the case's documents (scoped like the case itself)."""
        case = self.get_object()
        document = case.documents.filter(pk=document_id).first()
        if document is None:
            raise Http404
        response = FileResponse(
            document.file.open("rb"), content_type=document.content_type, as_attachment=True
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{document.pk}.{document.file.name.rsplit(".", 1)[-1]}"'
        )
        return response

    @extend_schema(
        responses={(200, exports.XLSX): OpenApiResponse(description="The filtered list as .xlsx")},
        filters=True,
    )
    @action(detail=False, methods=["get"])
    def export(self, request):
        """The list with the same filters as an Excel workbook."""
        content = exports.xlsx_bytes(self.filter_queryset(self.get_queryset()))
        response = HttpResponse(content, content_type=exports.XLSX)
        stamp = timezone.localdate().strftime("%Y%m%d")
        response["Content-Disposition"] = f'attachment; filename="legal-cases-{stamp}.xlsx"'
        return response


# --- Lawyers --------------------------------------------------------------------------------
class DutySlotSerializer(StrictModelSerializer):
    org_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = DutySlot
        fields = ["org_unit", "weekday"]


class LawyerSerializer(StrictModelSerializer):
    duty_days = DutySlotSerializer(many=True, read_only=True, source="duty_slots")

    class Meta:
        model = Lawyer
        fields = ["id", "version", "name", "firm", "licence_no", "phone", "is_active", "duty_days"]


class LawyerFilter(filters.FilterSet):
    on_duty = filters.DateFilter(method="filter_on_duty", label=_("on duty on"))

    class Meta:
        model = Lawyer
        fields = ["is_active", "firm"]

    def filter_on_duty(self, queryset, name, value):
        return queryset.filter(pk__in=services.lawyers_on_duty(on=value).values("pk"))


class LawyerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The duty lawyers (律师坐堂) and their duty days; read-only, city-wide."""

    serializer_class = LawyerSerializer
    filterset_class = LawyerFilter
    search_fields = ["name", "firm"]
    ordering_fields = ["name"]
    ordering = ["name", "id"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return scoped(self.request.user, Lawyer).prefetch_related(
            Prefetch("duty_slots", DutySlot.objects.select_related("org_unit"))
        )


def register(router) -> None:
    router.register("legal-cases", LegalCaseViewSet, basename="legal-case")
    router.register("lawyers", LawyerViewSet, basename="lawyer")
