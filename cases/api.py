"""API of the registry (API.md "People", "Workers"): thin serializers and viewsets that call
cases/services.py. Scope comes from aidcenter.scope, masking and the access log from
aidcenter.pii."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from aidcenter.api import SyncedSerializer, SyncedViewSet
from aidcenter.api_strict import StrictSerializer
from aidcenter.errors import Invalid, Refused
from aidcenter.models import AccessLog
from aidcenter.pii import log_access, sees_full_ids
from aidcenter.roles import Action, can
from aidcenter.scope import scoped
from cases import desk, documents, idnumbers, services
from cases.models import Case, CaseNote, HouseholdMember, Person, Worker

ERRORS_409 = OpenApiResponse(description="Conflict: a body with a machine-readable `code`.")


class NationalIdField(serializers.CharField):
    """Full for viewers who may see it (counted for the access log), masked for the rest."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        if not value:
            return None
        record = self.parent.instance_being_shown
        context = self.context
        if sees_full_ids(context["request"].user, record.org_unit_id):
            context.setdefault("full_ids_shown", set()).add(record.pk)
            return value
        return idnumbers.mask(value)


class MaskingSerializer(SyncedSerializer):
    def to_representation(self, instance):
        self.instance_being_shown = instance
        return super().to_representation(instance)


# --- People ---------------------------------------------------------------------------------
class PersonSerializer(MaskingSerializer):
    national_id = NationalIdField()
    sex = serializers.CharField(read_only=True)
    birth_date = serializers.DateField(read_only=True, allow_null=True)
    worker = serializers.UUIDField(read_only=True, allow_null=True, source="active_file_id")

    class Meta:
        model = Person
        fields = [
            *SyncedSerializer.SYNC_FIELDS,
            "name",
            "phone",
            "national_id",
            "sex",
            "birth_date",
            "is_migrant",
            "hukou",
            "worker",
        ]
        extra_kwargs = {"name": {"required": True}, "hukou": {"allow_null": True}}


class PersonFilter(filters.FilterSet):
    org_unit = filters.CharFilter(field_name="org_unit__code")

    class Meta:
        model = Person
        fields = ["org_unit", "is_migrant", "hukou", "sex"]


class PiiLoggingMixin:
    """Writes the access-log rows DESIGN.md asks for once the response is serialised."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        shown = getattr(self, "_serializer_context", {}).get("full_ids_shown")
        if shown and 200 <= response.status_code < 300 and request.user.is_authenticated:
            single = len(shown) == 1 and self.action in {"retrieve", "create", "partial_update"}
            kind = (
                AccessLog.Action.VIEW
                if single
                else (AccessLog.Action.SEARCH if self.action == "search" else AccessLog.Action.LIST)
            )
            log_access(
                user=request.user,
                action=kind,
                model=self.serializer_class.Meta.model._meta.label,
                record_id=str(next(iter(shown))) if single else "",
                count=len(shown),
                path=request.path,
            )
        return response

    def get_serializer_context(self):
        if not hasattr(self, "_serializer_context"):
            self._serializer_context = super().get_serializer_context()
        return self._serializer_context


def active_file_subquery():
    return Subquery(
        HouseholdMember.objects.filter(person=OuterRef("pk"), file_active=True).values("worker_id")[
            :1
        ]
    )


class SearchSerializer(StrictSerializer):
    q = serializers.CharField(max_length=50, trim_whitespace=True)


class LookupSerializer(StrictSerializer):
    national_id = serializers.CharField(max_length=32)


class PersonViewSet(PiiLoggingMixin, SyncedViewSet):
    """Everyone the center serves. Searches that may hold an ID number are posted (`search/`)."""

    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    search_fields = ["name", "phone"]
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["name", "id"]
    action_permissions = {"search": Action.READ, "lookup": Action.READ}

    def queryset_base(self):
        return Person.objects.select_related("org_unit").annotate(
            active_file_id=active_file_subquery()
        )

    def perform_create_record(self, serializer, *, create_digest):
        data = dict(serializer.validated_data)
        return services.person_create(
            by=self.request.user,
            org_unit=data.pop("org_unit"),
            data=data,
            id=data.pop("id", None),
            create_digest=create_digest,
        )

    def perform_update_record(self, serializer):
        person = services.person_update(
            by=self.request.user, person=serializer.instance, data=dict(serializer.validated_data)
        )
        return self.get_queryset().get(pk=person.pk)

    @extend_schema(request=SearchSerializer, responses=PersonSerializer(many=True))
    @action(detail=False, methods=["post"], url_path="search")
    def search(self, request):
        """People in scope matching an ID number (full, partial, last 4–6 characters), a name or
        a phone. Posted, so ID numbers never enter a URL."""
        form = SearchSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        people = services.search_people(user=request.user, q=form.validated_data["q"])
        people = people.select_related("org_unit").annotate(active_file_id=active_file_subquery())
        page = self.paginate_queryset(people)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=LookupSerializer,
        responses=inline_serializer(
            "LookupResult",
            {
                "exists": serializers.BooleanField(),
                "org_unit": serializers.CharField(required=False),
                "file_status": serializers.CharField(required=False, allow_null=True),
            },
        ),
    )
    @action(detail=False, methods=["post"], url_path="lookup")
    def lookup(self, request):
        """City-wide, beyond scope: whether the ID number is known, which unit keeps the file,
        and the file's status — nothing more."""
        form = LookupSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        result = services.person_lookup(
            user=request.user, national_id=form.validated_data["national_id"]
        )
        log_access(
            user=request.user,
            action=AccessLog.Action.LOOKUP,
            model="cases.Person",
            count=1,
            path=request.path,
        )
        return Response(result)


# --- Household files ------------------------------------------------------------------------
HEAD_FIELDS = ("national_id", "name", "phone", "is_migrant", "hukou")


class WorkerSerializer(MaskingSerializer):
    person = serializers.UUIDField(read_only=True, source="person_id")
    national_id = NationalIdField(source="person.national_id")
    name = serializers.CharField(source="person.name", max_length=50, required=False)
    sex = serializers.CharField(source="person.sex", read_only=True)
    birth_date = serializers.DateField(source="person.birth_date", read_only=True, allow_null=True)
    phone = serializers.CharField(
        source="person.phone", max_length=20, required=False, allow_blank=True
    )
    is_migrant = serializers.BooleanField(source="person.is_migrant", required=False)
    hukou = serializers.ChoiceField(
        source="person.hukou", choices=["urban", "rural"], required=False, allow_null=True
    )
    household_size = serializers.IntegerField(read_only=True)
    secondary_causes = serializers.ListField(
        child=serializers.ChoiceField(choices=Worker.Cause.choices), required=False
    )
    income_per_head = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True, min_value=Decimal("0")
    )
    status = serializers.CharField(read_only=True)
    last_reviewed_on = serializers.DateField(read_only=True, allow_null=True)
    end_reason = serializers.ChoiceField(
        choices=Worker.EndReason.choices, read_only=True, allow_blank=True
    )

    class Meta:
        model = Worker
        fields = [
            *SyncedSerializer.SYNC_FIELDS,
            "person",
            "national_id",
            "name",
            "sex",
            "birth_date",
            "phone",
            "is_migrant",
            "hukou",
            "address",
            "employer_name",
            "union_member_no",
            "employment_status",
            "household_size",
            "income_per_head",
            "household_income_year",
            "major_costs_year",
            "hardship_level",
            "main_cause",
            "secondary_causes",
            "file_level",
            "national_file_no",
            "is_model_worker",
            "consent_signed_on",
            "home_visit_on",
            "home_visit_note",
            "notice_starts_on",
            "notice_ends_on",
            "status",
            "registered_on",
            "last_reviewed_on",
            "ended_on",
            "end_reason",
            "decision_opinion",
        ]
        read_only_fields = ["registered_on", "ended_on", "end_reason", "decision_opinion"]

    def validate(self, attrs):
        if self.instance is None:
            head = attrs.get("person", {})
            if not head.get("national_id"):
                raise serializers.ValidationError({"national_id": [_("This field is required.")]})
            if not head.get("name"):
                raise serializers.ValidationError({"name": [_("This field is required.")]})
        return attrs


class WorkerFilter(filters.FilterSet):
    org_unit = filters.CharFilter(field_name="org_unit__code")
    review_overdue = filters.BooleanFilter(method="filter_review_overdue")

    class Meta:
        model = Worker
        fields = [
            "org_unit",
            "status",
            "hardship_level",
            "main_cause",
            "file_level",
            "employment_status",
            "is_model_worker",
        ]

    def filter_review_overdue(self, queryset, name, value):
        overdue = services.review_overdue_q()
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class ActionSerializer(StrictSerializer):
    opinion = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class EndSerializer(StrictSerializer):
    reason = serializers.ChoiceField(choices=Worker.EndReason.choices)
    on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ReviewSerializer(StrictSerializer):
    on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class DocumentSerializer(StrictSerializer):
    id = serializers.UUIDField(read_only=True)
    kind = serializers.ChoiceField(choices=documents.KINDS)
    file = serializers.FileField(write_only=True)
    original_name = serializers.CharField(read_only=True)
    content_type = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)
    uploaded_at = serializers.DateTimeField(read_only=True)


def _split_head(validated: dict) -> tuple[dict, dict]:
    head = dict(validated.pop("person", {}))
    return head, validated


class WorkerViewSet(PiiLoggingMixin, SyncedViewSet):
    """The hardship-worker registry: household files and their opening workflow."""

    serializer_class = WorkerSerializer
    filterset_class = WorkerFilter
    search_fields = ["person__name", "person__phone", "national_file_no"]
    ordering_fields = [
        "created_at",
        "updated_at",
        "registered_on",
        "last_reviewed_on",
        "person__name",
    ]
    ordering = ["-created_at", "id"]
    action_permissions = {
        "approve": Action.REVIEW_FILES,
        "reject": Action.REVIEW_FILES,
        "lift": Action.REVIEW_FILES,
        "close": Action.REVIEW_FILES,
        "review": Action.RUN_SERVICES,
    }

    def queryset_base(self):
        return Worker.objects.select_related("org_unit", "person").annotate(
            household_size=Worker.household_size_expression()
        )

    def perform_create_record(self, serializer, *, create_digest):
        data = dict(serializer.validated_data)
        org_unit, record_id = data.pop("org_unit"), data.pop("id", None)
        head, fields = _split_head(data)
        worker = services.worker_create(
            by=self.request.user,
            org_unit=org_unit,
            head=head,
            fields=fields,
            id=record_id,
            create_digest=create_digest,
        )
        return self.get_queryset().get(pk=worker.pk)

    def perform_update_record(self, serializer):
        head, fields = _split_head(dict(serializer.validated_data))
        fields.pop("org_unit", None)
        worker = services.worker_update(
            by=self.request.user, worker=serializer.instance, head=head, fields=fields
        )
        return self.get_queryset().get(pk=worker.pk)

    def _respond(self, worker):
        return Response(self.get_serializer(self.get_queryset().get(pk=worker.pk)).data)

    @extend_schema(request=None, responses={200: WorkerSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit the file for review (consent, home visit, notice dates and level recorded)."""
        return self._respond(services.worker_submit(by=request.user, worker=self.get_object()))

    @extend_schema(request=ActionSerializer, responses={200: WorkerSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """A district officer other than the one who entered it approves the file."""
        form = ActionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        worker = services.worker_approve(
            by=request.user,
            worker=self.get_object(),
            opinion=form.validated_data.get("opinion", ""),
        )
        return self._respond(worker)

    @extend_schema(request=ActionSerializer, responses={200: WorkerSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject with a written opinion (required)."""
        form = ActionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        worker = services.worker_reject(
            by=request.user,
            worker=self.get_object(),
            opinion=form.validated_data.get("opinion", ""),
        )
        return self._respond(worker)

    @extend_schema(request=EndSerializer, responses={200: WorkerSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        """Lift the household out of hardship (脱困)."""
        form = EndSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return self._respond(
            services.worker_lift(by=request.user, worker=self.get_object(), **form.validated_data)
        )

    @extend_schema(request=EndSerializer, responses={200: WorkerSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the file with a reason and date."""
        form = EndSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return self._respond(
            services.worker_close(by=request.user, worker=self.get_object(), **form.validated_data)
        )

    @extend_schema(request=ActionSerializer, responses={200: WorkerSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """The household fell back into hardship (返困), or a rejected file is corrected."""
        form = ActionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return self._respond(
            services.worker_reopen(
                by=request.user,
                worker=self.get_object(),
                note=form.validated_data.get("opinion", ""),
            )
        )

    @extend_schema(request=ReviewSerializer, responses={200: WorkerSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """Record the yearly review (年度复核)."""
        form = ReviewSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return self._respond(
            services.worker_review(by=request.user, worker=self.get_object(), **form.validated_data)
        )

    @extend_schema(
        request={"multipart/form-data": DocumentSerializer},
        responses={201: DocumentSerializer, 200: DocumentSerializer(many=True)},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser],
        pagination_class=None,
    )
    def documents(self, request, pk=None):
        """Proof documents: PDF, JPEG or PNG up to 10 MB, kept outside the web root."""
        worker = self.get_object()
        if request.method == "GET":
            return Response(DocumentSerializer(worker.documents.all(), many=True).data)
        form = DocumentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        doc = documents.document_add(
            by=request.user,
            worker=worker,
            kind=form.validated_data["kind"],
            upload=form.validated_data["file"],
        )
        return Response(DocumentSerializer(doc).data, status=status.HTTP_201_CREATED)


# --- Household members ----------------------------------------------------------------------
class MemberSerializer(MaskingSerializer):
    person = serializers.UUIDField(read_only=True, source="person_id")
    national_id = NationalIdField(source="person.national_id")
    name = serializers.CharField(source="person.name", max_length=50, required=False)
    phone = serializers.CharField(
        source="person.phone", max_length=20, required=False, allow_blank=True
    )
    relation = serializers.ChoiceField(
        choices=[c for c in HouseholdMember.Relation.choices if c[0] != "head"]
    )
    # null in answers to the roles that may not see health notes; null sent means "none".
    health_note = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=2000
    )

    class Meta:
        model = HouseholdMember
        fields = [
            *SyncedSerializer.SYNC_FIELDS,
            "person",
            "national_id",
            "name",
            "phone",
            "relation",
            "school",
            "health_note",
        ]

    def validate_health_note(self, value):
        return value or ""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        user = self.context["request"].user
        # Health and disability notes are sensitive: only the roles that work the files see them.
        if not (can(user, Action.ENTER) or can(user, Action.REVIEW_FILES)):
            data["health_note"] = None
        return data


@extend_schema_view(
    **{
        name: extend_schema(parameters=[OpenApiParameter("worker_pk", OpenApiTypes.UUID, "path")])
        for name in ("list", "create", "retrieve", "partial_update", "destroy")
    }
)
class HouseholdViewSet(PiiLoggingMixin, SyncedViewSet):
    """The members of one household file (the head is the file itself)."""

    feed_resource = "household"

    serializer_class = MemberSerializer
    ordering = ["created_at", "id"]
    filter_backends = []

    def worker(self) -> Worker:
        return get_object_or_404(scoped(self.request.user, Worker), pk=self.kwargs["worker_pk"])

    def queryset_base(self):
        return HouseholdMember.objects.select_related("person", "org_unit").exclude(relation="head")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no URL kwargs
            return HouseholdMember.objects.none()
        return super().get_queryset().filter(worker_id=self.kwargs["worker_pk"])

    def feed_queryset(self):
        """Every member in scope, whatever the file (the change feed)."""
        return SyncedViewSet.get_queryset(self)

    def list(self, request, *args, **kwargs):
        self.worker()
        return super().list(request, *args, **kwargs)

    def perform_create_record(self, serializer, *, create_digest):
        data = dict(serializer.validated_data)
        data.pop("org_unit", None)
        person = dict(data.pop("person", {}))
        if not person.get("national_id") or not person.get("name"):
            raise Invalid({"national_id": [_("A member needs a name and an ID number.")]})
        member = services.member_add(
            by=self.request.user,
            worker=self.worker(),
            person_data=person,
            relation=data["relation"],
            school=data.get("school", ""),
            health_note=data.get("health_note", ""),
            id=data.get("id"),
            create_digest=create_digest,
        )
        return self.get_queryset().get(pk=member.pk)

    def perform_update_record(self, serializer):
        data = dict(serializer.validated_data)
        person = dict(data.pop("person", {}))
        data.pop("org_unit", None)
        member = services.member_update(
            by=self.request.user, member=serializer.instance, person_data=person, fields=data
        )
        return self.get_queryset().get(pk=member.pk)


# --- Front-desk cases -----------------------------------------------------------------------
class PersonInScopeField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return scoped(self.context["request"].user, Person)


class StaffUsernameField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "username")
        super().__init__(**kwargs)

    def get_queryset(self):
        from django.contrib.auth import get_user_model

        return get_user_model().objects.filter(is_active=True, staff__isnull=False)


class CaseSerializer(SyncedSerializer):
    reference = serializers.CharField(read_only=True)
    acceptance = serializers.ChoiceField(
        choices=Case.Acceptance.choices, read_only=True, allow_blank=True
    )
    person = PersonInScopeField(required=False, allow_null=True)
    assignee = StaffUsernameField(required=False, allow_null=True)
    received_at = serializers.DateTimeField(required=False)
    received_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Case
        fields = [
            *SyncedSerializer.SYNC_FIELDS,
            "reference",
            "channel",
            "work_order_no",
            "category",
            "person",
            "summary",
            "urgency",
            "status",
            "assignee",
            "received_at",
            "received_by",
            "accept_due_on",
            "acceptance",
            "accepted_on",
            "due_on",
            "extended_to",
            "extension_reason",
            "resolved_at",
            "closed_at",
            "followed_up_at",
            "satisfaction",
            "follow_up_remarks",
        ]
        read_only_fields = [
            "status",
            "accept_due_on",
            "acceptance",
            "accepted_on",
            "due_on",
            "extended_to",
            "extension_reason",
            "resolved_at",
            "closed_at",
            "followed_up_at",
            "satisfaction",
            "follow_up_remarks",
        ]


class CaseFilter(filters.FilterSet):
    org_unit = filters.CharFilter(field_name="org_unit__code")
    overdue = filters.BooleanFilter(method="filter_overdue")
    assignee = filters.CharFilter(field_name="assignee__username")

    class Meta:
        model = Case
        fields = ["org_unit", "status", "channel", "category", "urgency", "assignee", "person"]

    def filter_overdue(self, queryset, name, value):
        queryset = desk.with_deadline(queryset)
        return queryset.filter(desk.overdue_q()) if value else queryset.exclude(desk.overdue_q())


class MoveSerializer(StrictSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class DecideSerializer(StrictSerializer):
    accept = serializers.BooleanField()
    on = serializers.DateField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ExtendSerializer(StrictSerializer):
    days = serializers.IntegerField(min_value=1, max_value=desk.PETITION_MAX_EXTENSION_DAYS)
    reason = serializers.CharField(max_length=2000)


class FollowUpSerializer(StrictSerializer):
    satisfaction = serializers.IntegerField(min_value=1, max_value=5, allow_null=True)
    remarks = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ReferSerializer(StrictSerializer):
    target = serializers.CharField(max_length=20)
    data = serializers.DictField(required=False, child=serializers.CharField(max_length=200))


class ReferralSerializer(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    target = serializers.CharField()
    record_label = serializers.CharField()
    record_id = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class CaseViewSet(SyncedViewSet):
    """Front-desk cases: walk-ins, hotline calls (12351), letters, online messages, referrals."""

    serializer_class = CaseSerializer
    filterset_class = CaseFilter
    search_fields = ["reference", "work_order_no", "person__name", "person__phone"]
    ordering_fields = ["received_at", "updated_at", "due_on", "reference"]
    ordering = ["-received_at", "id"]

    def queryset_base(self):
        return Case.objects.select_related("org_unit", "person", "assignee", "received_by")

    def perform_create_record(self, serializer, *, create_digest):
        data = dict(serializer.validated_data)
        case = desk.case_log(
            by=self.request.user,
            org_unit=data.pop("org_unit"),
            data=data,
            person=data.get("person"),
            received_at=data.get("received_at"),
            assignee=data.get("assignee"),
            id=data.get("id"),
            create_digest=create_digest,
        )
        return self.get_queryset().get(pk=case.pk)

    def perform_update_record(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("org_unit", None)
        case = desk.case_update(by=self.request.user, case=serializer.instance, data=data)
        return self.get_queryset().get(pk=case.pk)

    def _respond(self, case):
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data)

    def _move(self, request, action):
        form = MoveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        case = desk.case_move(
            by=request.user,
            case=self.get_object(),
            action=action,
            note=form.validated_data.get("note", ""),
        )
        return self._respond(case)

    @extend_schema(request=MoveSerializer, responses={200: CaseSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """open → in progress."""
        return self._move(request, "start")

    @extend_schema(request=MoveSerializer, responses={200: CaseSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """→ resolved (a petition only after its acceptance is decided)."""
        return self._move(request, "resolve")

    @extend_schema(request=MoveSerializer, responses={200: CaseSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """resolved → closed."""
        return self._move(request, "close")

    @extend_schema(request=MoveSerializer, responses={200: CaseSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """resolved or closed → in progress."""
        return self._move(request, "reopen")

    @extend_schema(request=DecideSerializer, responses={200: CaseSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def acceptance(self, request, pk=None):
        """A petition: accepted or not, within 15 days, with the petitioner told."""
        form = DecideSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        case = desk.petition_decide(by=request.user, case=self.get_object(), **form.validated_data)
        return self._respond(case)

    @extend_schema(request=ExtendSerializer, responses={200: CaseSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        """A petition's one extension of at most 30 days, with a notice."""
        form = ExtendSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        case = desk.petition_extend(by=request.user, case=self.get_object(), **form.validated_data)
        return self._respond(case)

    @extend_schema(request=FollowUpSerializer, responses={200: CaseSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"], url_path="follow-up")
    def follow_up(self, request, pk=None):
        """The follow-up call after resolution, with satisfaction 1–5."""
        form = FollowUpSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        case = desk.follow_up_record(by=request.user, case=self.get_object(), **form.validated_data)
        return self._respond(case)

    @extend_schema(request=ReferSerializer, responses={201: ReferralSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def refer(self, request, pk=None):
        """Refer to a service (`jobs`, `training`, `legal`, `funds` as they are installed)."""
        form = ReferSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        referral = desk.case_refer(
            by=request.user,
            case=self.get_object(),
            target=form.validated_data["target"],
            data=form.validated_data.get("data", {}),
        )
        return Response(ReferralSerializer(referral).data, status=status.HTTP_201_CREATED)


class NoteSerializer(SyncedSerializer):
    case = serializers.UUIDField(read_only=True, source="case_id")
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CaseNote
        fields = [*SyncedSerializer.SYNC_FIELDS, "case", "body", "created_by"]


@extend_schema_view(
    **{
        name: extend_schema(parameters=[OpenApiParameter("case_pk", OpenApiTypes.UUID, "path")])
        for name in ("list", "create", "retrieve", "partial_update", "destroy")
    }
)
class NoteViewSet(SyncedViewSet):
    """A case's timeline of notes (psychological-aid notes: the counsellor and auditors only)."""

    feed_resource = "notes"

    serializer_class = NoteSerializer
    ordering = ["created_at", "id"]
    filter_backends = []

    def case(self) -> Case:
        return get_object_or_404(scoped(self.request.user, Case), pk=self.kwargs["case_pk"])

    def queryset_base(self):
        return CaseNote.objects.select_related("org_unit", "created_by")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CaseNote.objects.none()
        notes = super().get_queryset().filter(case_id=self.kwargs["case_pk"])
        return desk.visible_notes(self.request.user, notes)

    def feed_queryset(self):
        """Every note in scope that this user may read (the change feed)."""
        return desk.visible_notes(self.request.user, SyncedViewSet.get_queryset(self))

    def list(self, request, *args, **kwargs):
        self.case()
        return super().list(request, *args, **kwargs)

    def perform_create_record(self, serializer, *, create_digest):
        data = serializer.validated_data
        note = desk.note_add(
            by=self.request.user,
            case=self.case(),
            body=data["body"],
            id=data.get("id"),
            create_digest=create_digest,
        )
        return self.get_queryset().get(pk=note.pk)

    def perform_update_record(self, serializer):
        raise Refused(_("Notes are a timeline: add a new note instead of editing one."))


def register(router) -> None:
    router.register("people", PersonViewSet, basename="person")
    router.register("workers", WorkerViewSet, basename="worker")
    router.register(
        r"workers/(?P<worker_pk>[0-9a-f-]{36})/household", HouseholdViewSet, basename="household"
    )
    router.register("cases", CaseViewSet, basename="case")
    router.register(r"cases/(?P<case_pk>[0-9a-f-]{36})/notes", NoteViewSet, basename="note")
