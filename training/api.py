"""API of skills training (API.md "Other records": Course, Class, Enrolment, Certificate): thin
serializers and viewsets that call training/services.py."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from aidcenter.api import CallerUnitDefault, OrgUnitCodeField, SyncedSerializer, SyncedViewSet
from aidcenter.api_strict import StrictModelSerializer, StrictSerializer
from aidcenter.errors import Invalid
from aidcenter.roles import Action
from cases.models import Person
from jobs.apibase import ERRORS_409, CatalogueViewSet, ExportMixin, ScopedRelatedField, label
from training import services
from training.models import Certificate, Course, Enrolment, TrainingClass

MONEY = {"max_digits": 10, "decimal_places": 2, "min_value": 0, "max_value": 99999999}
CATALOGUE_FIELDS = ["id", "version", "created_at", "updated_at"]


def _unit(record):
    return record.org_unit.code


def _yes_no(value):
    return "" if value is None else str(_("yes") if value else _("no"))


# --- Courses --------------------------------------------------------------------------------
class CourseSerializer(StrictModelSerializer):
    version = serializers.IntegerField(read_only=True)

    class Meta:
        model = Course
        fields = [*CATALOGUE_FIELDS, "name", "level", "kind", "provider", "certificate_name"]


class CourseViewSet(ExportMixin, CatalogueViewSet):
    """The city-wide course catalogue."""

    serializer_class = CourseSerializer
    filterset_fields = ["level", "kind"]
    search_fields = ["name", "provider"]
    ordering_fields = ["name", "level", "updated_at"]
    ordering = ["name", "level"]
    write_action = Action.RUN_SERVICES
    export_name = "courses"
    export_columns = [
        (_("name"), lambda c: c.name),
        (_("level"), lambda c: label(Course.Level.choices)(c.level)),
        (_("kind"), lambda c: label(Course.Kind.choices)(c.kind)),
        (_("provider"), lambda c: c.provider),
        (_("certificate awarded"), lambda c: c.certificate_name),
    ]

    def perform_create_record(self, serializer, *, create_digest):
        return services.course_create(by=self.request.user, data=serializer.validated_data)

    def perform_update_record(self, serializer):
        return services.course_update(
            by=self.request.user, course=serializer.instance, data=serializer.validated_data
        )


# --- Classes --------------------------------------------------------------------------------
class TrainingClassSerializer(StrictModelSerializer):
    version = serializers.IntegerField(read_only=True)
    org_unit = OrgUnitCodeField(default=CallerUnitDefault())
    course_name = serializers.CharField(source="course.name", read_only=True)
    capacity = serializers.IntegerField(min_value=1, max_value=10000)
    fee = serializers.DecimalField(**MONEY, required=False)
    subsidy = serializers.DecimalField(**MONEY, required=False)
    enrolled = serializers.IntegerField(read_only=True)
    waiting = serializers.IntegerField(read_only=True)

    class Meta:
        model = TrainingClass
        fields = [
            *CATALOGUE_FIELDS,
            "org_unit",
            "course",
            "course_name",
            "name",
            "starts_on",
            "ends_on",
            "capacity",
            "venue",
            "fee",
            "subsidy",
            "enrolled",
            "waiting",
        ]


class TrainingClassFilter(filters.FilterSet):
    org_unit = filters.CharFilter(field_name="org_unit__code")
    starts_from = filters.DateFilter(field_name="starts_on", lookup_expr="gte")
    starts_to = filters.DateFilter(field_name="starts_on", lookup_expr="lte")

    class Meta:
        model = TrainingClass
        fields = ["org_unit", "course", "starts_from", "starts_to"]


class TrainingClassViewSet(ExportMixin, CatalogueViewSet):
    """Training classes: announced city-wide, run by the organising unit's caseworkers."""

    serializer_class = TrainingClassSerializer
    filterset_class = TrainingClassFilter
    search_fields = ["name", "course__name", "venue"]
    ordering_fields = ["starts_on", "updated_at"]
    ordering = ["-starts_on"]
    write_action = Action.RUN_SERVICES
    export_name = "classes"
    export_columns = [
        (_("course"), lambda c: c.course.name),
        (_("name"), lambda c: c.name),
        (_("starts on"), lambda c: c.starts_on),
        (_("ends on"), lambda c: c.ends_on),
        (_("capacity"), lambda c: c.capacity),
        (_("places taken"), lambda c: c.enrolled),
        (_("on the waiting list"), lambda c: c.waiting),
        (_("fee per trainee"), lambda c: c.fee),
        (_("subsidy per trainee"), lambda c: c.subsidy),
        (_("venue"), lambda c: c.venue),
        (_("unit"), _unit),
    ]

    def queryset_base(self):
        from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
        from django.db.models.functions import Coalesce

        # A subquery, not an aggregate: PATCH locks the row (SELECT … FOR UPDATE), which
        # PostgreSQL refuses on a GROUP BY query.
        waiting = (
            Enrolment.objects.filter(
                training_class=OuterRef("pk"), status="waiting", deleted_at__isnull=True
            )
            .order_by()
            .values("training_class")
            .annotate(n=Count("id"))
            .values("n")
        )
        return TrainingClass.objects.select_related("org_unit", "course").annotate(
            waiting=Coalesce(Subquery(waiting, output_field=IntegerField()), Value(0))
        )

    def perform_create_record(self, serializer, *, create_digest):
        data = dict(serializer.validated_data)
        training_class = services.class_create(
            by=self.request.user,
            org_unit=data.pop("org_unit"),
            course=data.pop("course"),
            data=data,
        )
        return self.get_queryset().get(pk=training_class.pk)

    def perform_update_record(self, serializer):
        training_class = services.class_update(
            by=self.request.user,
            training_class=serializer.instance,
            data=dict(serializer.validated_data),
        )
        return self.get_queryset().get(pk=training_class.pk)


# --- Enrolments -----------------------------------------------------------------------------
class EnrolmentSerializer(SyncedSerializer):
    person = ScopedRelatedField(Person)
    person_name = serializers.CharField(source="person.name", read_only=True)
    status = serializers.CharField(read_only=True)
    subsidy_amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, read_only=True, allow_null=True
    )
    sessions_attended = serializers.IntegerField(min_value=0, max_value=1000, required=False)
    subsidy_application = serializers.UUIDField(
        source="subsidy_application_id", read_only=True, allow_null=True
    )

    class Meta:
        model = Enrolment
        fields = [
            *SyncedSerializer.SYNC_FIELDS,
            "training_class",
            "person",
            "person_name",
            "status",
            "queued_at",
            "sessions_attended",
            "exam_passed",
            "subsidy_amount",
            "subsidy_application",
        ]
        read_only_fields = ["queued_at"]


class EnrolmentFilter(filters.FilterSet):
    org_unit = filters.CharFilter(field_name="org_unit__code")

    class Meta:
        model = Enrolment
        fields = ["org_unit", "training_class", "person", "status", "exam_passed"]


class CompleteSerializer(StrictSerializer):
    exam_passed = serializers.BooleanField(allow_null=True)


class EnrolmentViewSet(ExportMixin, SyncedViewSet):
    """Enrolments of people in classes, and the waiting lists. Seen by the enrolling unit and
    by the unit running the class. Deleting (or dropping) an enrolment moves the waiting list."""

    serializer_class = EnrolmentSerializer
    filterset_class = EnrolmentFilter
    search_fields = ["person__name", "training_class__course__name"]
    ordering_fields = ["queued_at", "created_at", "updated_at"]
    ordering = ["training_class", "queued_at"]
    action_permissions = {
        "partial_update": Action.RUN_SERVICES,
        "complete": Action.RUN_SERVICES,
        "drop": Action.ENTER,
    }
    export_name = "enrolments"
    export_columns = [
        (_("class"), lambda e: str(e.training_class)),
        (_("name"), lambda e: e.person.name),
        (_("migrant worker"), lambda e: _yes_no(e.person.is_migrant or None)),
        (_("status"), lambda e: label(Enrolment.Status.choices)(e.status)),
        (_("sessions attended"), lambda e: e.sessions_attended),
        (_("exam passed"), lambda e: _yes_no(e.exam_passed)),
        (_("fee subsidy granted"), lambda e: e.subsidy_amount),
        (_("unit"), _unit),
    ]

    def queryset_base(self):
        return Enrolment.objects.select_related("org_unit", "person", "training_class__course")

    def perform_create_record(self, serializer, *, create_digest):
        data = dict(serializer.validated_data)
        enrolment = services.enrolment_create(
            by=self.request.user,
            person=data["person"],
            training_class=data["training_class"],
            org_unit=data["org_unit"],
            id=data.get("id"),
            create_digest=create_digest,
        )
        return self.get_queryset().get(pk=enrolment.pk)

    def perform_update_record(self, serializer):
        data = dict(serializer.validated_data)
        for fixed in ("person", "training_class"):
            if fixed in data and data[fixed] != getattr(serializer.instance, fixed):
                raise Invalid({fixed: [str(_("Drop this enrolment and enrol again instead."))]})
        enrolment = services.enrolment_update(
            by=self.request.user, enrolment=serializer.instance, data=data
        )
        return self.get_queryset().get(pk=enrolment.pk)

    def perform_destroy(self, instance):
        services.enrolment_delete(by=self.request.user, enrolment=instance)

    def _respond(self, enrolment):
        return Response(self.get_serializer(self.get_queryset().get(pk=enrolment.pk)).data)

    @extend_schema(request=None, responses={200: EnrolmentSerializer, 409: ERRORS_409})
    @action(detail=True, methods=["post"])
    def drop(self, request, pk=None):
        """The person leaves the class or its waiting list; the first one waiting moves up."""
        return self._respond(services.enrolment_drop(by=request.user, enrolment=self.get_object()))

    @extend_schema(
        request=CompleteSerializer, responses={200: EnrolmentSerializer, 409: ERRORS_409}
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """The trainee completed the class, with the exam result (or null without an exam)."""
        form = CompleteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return self._respond(
            services.enrolment_complete(
                by=request.user,
                enrolment=self.get_object(),
                exam_passed=form.validated_data["exam_passed"],
            )
        )


# --- Certificates ---------------------------------------------------------------------------
class CertificateSerializer(SyncedSerializer):
    enrolment = ScopedRelatedField(Enrolment)
    person = serializers.UUIDField(source="person_id", read_only=True)
    person_name = serializers.CharField(source="person.name", read_only=True)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    number = serializers.CharField(max_length=50)

    class Meta:
        model = Certificate
        fields = [
            *SyncedSerializer.SYNC_FIELDS,
            "enrolment",
            "person",
            "person_name",
            "kind",
            "name",
            "number",
            "issued_on",
            "expires_on",
        ]


class CertificateFilter(filters.FilterSet):
    org_unit = filters.CharFilter(field_name="org_unit__code")

    class Meta:
        model = Certificate
        fields = ["org_unit", "kind", "person", "enrolment"]


class CertificateViewSet(ExportMixin, SyncedViewSet):
    """Certificates earned in classes; special-operation licences expire and are renewed."""

    serializer_class = CertificateSerializer
    filterset_class = CertificateFilter
    search_fields = ["number", "name", "person__name"]
    ordering_fields = ["issued_on", "expires_on", "updated_at"]
    ordering = ["-issued_on"]
    write_action = Action.RUN_SERVICES
    export_name = "certificates"
    export_columns = [
        (_("name"), lambda c: c.person.name),
        (_("kind"), lambda c: label(Certificate.Kind.choices)(c.kind)),
        (_("certificate"), lambda c: c.name),
        (_("certificate number"), lambda c: c.number),
        (_("issued on"), lambda c: c.issued_on),
        (_("expires on"), lambda c: c.expires_on),
        (_("unit"), _unit),
    ]

    def queryset_base(self):
        return Certificate.objects.select_related("org_unit", "person")

    def perform_create_record(self, serializer, *, create_digest):
        data = dict(serializer.validated_data)
        certificate = services.certificate_issue(
            by=self.request.user,
            enrolment=data["enrolment"],
            kind=data["kind"],
            number=data["number"],
            issued_on=data["issued_on"],
            expires_on=data.get("expires_on"),
            name=data.get("name", ""),
            id=data.get("id"),
            create_digest=create_digest,
        )
        return self.get_queryset().get(pk=certificate.pk)

    def perform_update_record(self, serializer):
        data = dict(serializer.validated_data)
        if set(data) - {"expires_on", "number", "org_unit"} or "expires_on" not in data:
            raise Invalid(
                {"expires_on": [str(_("Only a renewal (a new expiry date) can be recorded."))]}
            )
        certificate = services.certificate_renew(
            by=self.request.user,
            certificate=serializer.instance,
            expires_on=data["expires_on"],
            number=data.get("number"),
        )
        return self.get_queryset().get(pk=certificate.pk)

    @extend_schema(
        parameters=[OpenApiParameter("within_days", OpenApiTypes.INT, default=90)],
        responses=CertificateSerializer(many=True),
        filters=False,
    )
    @action(detail=False, methods=["get"])
    def expiring(self, request):
        """Licences in scope expiring within `within_days` (default 90) or expired: to renew."""
        raw = request.query_params.get("within_days", "90")
        if not raw.isdigit() or int(raw) > 3650:
            raise Invalid({"within_days": [str(_("Enter a whole number of days up to 3650."))]})
        found = services.certificates_expiring(user=request.user, within_days=int(raw))
        page = self.paginate_queryset(found)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def register(router) -> None:
    router.register("courses", CourseViewSet, basename="course")
    router.register("classes", TrainingClassViewSet, basename="training-class")
    router.register("enrolments", EnrolmentViewSet, basename="enrolment")
    router.register("certificates", CertificateViewSet, basename="certificate")
