"""API of job placement (API.md "Other records": Employer, Job fair, Vacancy, Job seeker,
Guidance, Intent, Placement): thin serializers and viewsets that call jobs/services.py."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from aidcenter.api import CallerUnitDefault, OrgUnitCodeField, SyncedSerializer, SyncedViewSet
from aidcenter.api_strict import StrictModelSerializer, StrictSerializer
from aidcenter.roles import Action
from cases.models import Person
from jobs import imports, services
from jobs.apibase import (
    XLSX,
    CatalogueViewSet,
    ExportMixin,
    ScopedRelatedField,
    label,
    xlsx_response,
)
from jobs.models import (
    SKILL_LEVELS,
    Employer,
    Guidance,
    Intent,
    JobFair,
    JobSeeker,
    Placement,
    Vacancy,
)

MONEY = {"max_digits": 10, "decimal_places": 2, "min_value": 0, "max_value": 99999999}
CATALOGUE_FIELDS = ["id", "version", "created_at", "updated_at"]


class UnitFilter(filters.FilterSet):
    org_unit = filters.CharFilter(field_name="org_unit__code")


def _unit(record):
    return record.org_unit.code


# --- Employers ------------------------------------------------------------------------------
class EmployerSerializer(StrictModelSerializer):
    version = serializers.IntegerField(read_only=True)
    credit_code = serializers.CharField(max_length=40)  # validated (and kept unique) by services

    class Meta:
        model = Employer
        fields = [
            *CATALOGUE_FIELDS,
            "credit_code",
            "name",
            "industry",
            "contact_name",
            "contact_phone",
            "address",
        ]


class EmployerViewSet(ExportMixin, CatalogueViewSet):
    """The city-wide employer catalogue; one employer per unified social credit code."""

    serializer_class = EmployerSerializer
    filterset_fields = ["industry", "credit_code"]
    search_fields = ["name", "credit_code", "contact_name"]
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["name"]
    write_action = Action.RUN_SERVICES
    export_name = "employers"
    export_columns = [
        (_("unified social credit code"), lambda e: e.credit_code),
        (_("name"), lambda e: e.name),
        (_("industry"), lambda e: e.industry),
        (_("contact person"), lambda e: e.contact_name),
        (_("contact phone"), lambda e: e.contact_phone),
        (_("address"), lambda e: e.address),
    ]

    def perform_create_record(self, serializer, *, create_digest):
        return services.employer_create(by=self.request.user, data=serializer.validated_data)

    def perform_update_record(self, serializer):
        return services.employer_update(
            by=self.request.user, employer=serializer.instance, data=serializer.validated_data
        )


# --- Job fairs ------------------------------------------------------------------------------
class JobFairSerializer(StrictModelSerializer):
    version = serializers.IntegerField(read_only=True)
    org_unit = OrgUnitCodeField(default=CallerUnitDefault())
    employers = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Employer.objects.all(), required=False
    )

    class Meta:
        model = JobFair
        fields = [
            *CATALOGUE_FIELDS,
            "org_unit",
            "name",
            "kind",
            "location",
            "held_on",
            "venue",
            "employers",
        ]


class JobFairFilter(UnitFilter):
    held_from = filters.DateFilter(field_name="held_on", lookup_expr="gte")
    held_to = filters.DateFilter(field_name="held_on", lookup_expr="lte")

    class Meta:
        model = JobFair
        fields = ["org_unit", "kind", "location", "held_from", "held_to"]


class JobFairViewSet(ExportMixin, CatalogueViewSet):
    """Job fairs: the regular Tuesday fair and the special ones; readable by all staff,
    run by the organising unit's caseworkers."""

    serializer_class = JobFairSerializer
    filterset_class = JobFairFilter
    search_fields = ["name", "venue"]
    ordering_fields = ["held_on", "name", "updated_at"]
    ordering = ["-held_on", "name"]
    write_action = Action.RUN_SERVICES
    export_name = "job-fairs"
    export_columns = [
        (_("held on"), lambda f: f.held_on),
        (_("name"), lambda f: f.name),
        (_("kind"), lambda f: label(JobFair.Kind.choices)(f.kind)),
        (_("location"), lambda f: label(JobFair.Location.choices)(f.location)),
        (_("venue"), lambda f: f.venue),
        (_("unit"), _unit),
        (_("employers attending"), lambda f: len(f.employers.all())),
    ]

    def queryset_base(self):
        return JobFair.objects.select_related("org_unit").prefetch_related("employers")

    def perform_create_record(self, serializer, *, create_digest):
        data = dict(serializer.validated_data)
        fair = services.fair_create(
            by=self.request.user,
            org_unit=data.pop("org_unit"),
            employers=data.pop("employers", ()),
            data=data,
        )
        return self.get_queryset().get(pk=fair.pk)

    def perform_update_record(self, serializer):
        data = dict(serializer.validated_data)
        fair = services.fair_update(
            by=self.request.user,
            fair=serializer.instance,
            employers=data.pop("employers", None),
            data=data,
        )
        return self.get_queryset().get(pk=fair.pk)


# --- Vacancies ------------------------------------------------------------------------------
class VacancySerializer(StrictModelSerializer):
    version = serializers.IntegerField(read_only=True)
    org_unit = OrgUnitCodeField(default=CallerUnitDefault())
    employer_name = serializers.CharField(source="employer.name", read_only=True)
    salary_min = serializers.DecimalField(**MONEY, required=False, allow_null=True)
    salary_max = serializers.DecimalField(**MONEY, required=False, allow_null=True)
    positions = serializers.IntegerField(min_value=1, max_value=100000)
    opened_on = serializers.DateField(required=False)
    placed = serializers.IntegerField(read_only=True)
    positions_left = serializers.IntegerField(read_only=True)

    class Meta:
        model = Vacancy
        fields = [
            *CATALOGUE_FIELDS,
            "org_unit",
            "employer",
            "employer_name",
            "job_fair",
            "title",
            "positions",
            "salary_min",
            "salary_max",
            "requirements",
            "required_certificate",
            "required_level",
            "opened_on",
            "status",
            "placed",
            "positions_left",
        ]


class VacancyFilter(UnitFilter):
    opened_from = filters.DateFilter(field_name="opened_on", lookup_expr="gte")
    opened_to = filters.DateFilter(field_name="opened_on", lookup_expr="lte")

    class Meta:
        model = Vacancy
        fields = ["org_unit", "status", "employer", "job_fair", "opened_from", "opened_to"]


class ImportSerializer(StrictSerializer):
    file = serializers.FileField()
    org_unit = OrgUnitCodeField(required=False)


class ImportResultSerializer(StrictSerializer):
    created = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class VacancyMatchSerializer(StrictSerializer):
    score = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    seeker = serializers.DictField()


class SeekerMatchSerializer(StrictSerializer):
    score = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    vacancy = serializers.DictField()


class VacancyViewSet(ExportMixin, CatalogueViewSet):
    """Vacancies with their positions and how many are placed; readable by all staff, entered
    by the organising unit's caseworkers, one by one or from an Excel file."""

    serializer_class = VacancySerializer
    filterset_class = VacancyFilter
    search_fields = ["title", "employer__name", "requirements"]
    ordering_fields = ["opened_on", "title", "positions", "updated_at"]
    ordering = ["-opened_on", "title"]
    write_action = Action.RUN_SERVICES
    action_permissions = {"import_xlsx": Action.RUN_SERVICES}
    export_name = "vacancies"
    export_columns = [
        (_("opened on"), lambda v: v.opened_on),
        (_("employer"), lambda v: v.employer.name),
        (_("unified social credit code"), lambda v: v.employer.credit_code),
        (_("job title"), lambda v: v.title),
        (_("positions"), lambda v: v.positions),
        (_("placed"), lambda v: v.placed),
        (_("salary from"), lambda v: v.salary_min),
        (_("salary up to"), lambda v: v.salary_max),
        (_("requirements"), lambda v: v.requirements),
        (_("certificate required"), lambda v: v.required_certificate),
        (_("skill level required"), lambda v: label(SKILL_LEVELS)(v.required_level)),
        (_("job fair"), lambda v: v.job_fair.name if v.job_fair else ""),
        (_("status"), lambda v: label(Vacancy.Status.choices)(v.status)),
        (_("unit"), _unit),
    ]

    def queryset_base(self):
        return Vacancy.objects.select_related("org_unit", "employer", "job_fair")

    def perform_create_record(self, serializer, *, create_digest):
        data = dict(serializer.validated_data)
        vacancy = services.vacancy_create(
            by=self.request.user,
            org_unit=data.pop("org_unit"),
            employer=data.pop("employer"),
            job_fair=data.pop("job_fair", None),
            data=data,
        )
        return self.get_queryset().get(pk=vacancy.pk)

    def perform_update_record(self, serializer):
        vacancy = services.vacancy_update(
            by=self.request.user, vacancy=serializer.instance, data=dict(serializer.validated_data)
        )
        return self.get_queryset().get(pk=vacancy.pk)

    @extend_schema(responses=VacancyMatchSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def matches(self, request, pk=None):
        """Job seekers in your scope who fit this vacancy, best first, each with the reasons."""
        vacancy = self.get_object()
        found = services.match_seekers(user=request.user, vacancy=vacancy)
        context = self.get_serializer_context()
        return Response(
            [
                {
                    "score": seeker.score,
                    "reasons": services.reasons_of(seeker),
                    "seeker": JobSeekerSerializer(seeker, context=context).data,
                }
                for seeker in found
            ]
        )

    @extend_schema(
        responses={(200, XLSX): OpenApiResponse(description="The import template (.xlsx)")},
        filters=False,
    )
    @action(detail=False, methods=["get"], url_path="import-template")
    def import_template(self, request):
        """The Excel template for importing vacancies, with an example row."""
        return xlsx_response(imports.template_bytes(), "vacancy-import-template.xlsx")

    @extend_schema(
        request={"multipart/form-data": ImportSerializer},
        responses={200: ImportResultSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_xlsx(self, request):
        """Import vacancies from the template: every row is checked first and errors come back
        by row number; nothing is saved unless every row is right. Importing the same file
        again changes nothing."""
        form = ImportSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        unit = form.validated_data.get("org_unit") or request.user.staff.org_unit
        result = imports.vacancies_import(
            by=request.user, org_unit=unit, upload=form.validated_data["file"]
        )
        return Response(result, status=status.HTTP_200_OK)


# --- Job seekers ----------------------------------------------------------------------------
class JobSeekerSerializer(SyncedSerializer):
    person = ScopedRelatedField(Person)
    person_name = serializers.CharField(source="person.name", read_only=True)
    is_migrant = serializers.BooleanField(source="person.is_migrant", read_only=True)
    registered_on = serializers.DateField(required=False)

    class Meta:
        model = JobSeeker
        fields = [
            *SyncedSerializer.SYNC_FIELDS,
            "person",
            "person_name",
            "is_migrant",
            "desired_job",
            "registered_on",
            "notes",
        ]


class JobSeekerFilter(UnitFilter):
    class Meta:
        model = JobSeeker
        fields = ["org_unit", "person"]


class JobSeekerViewSet(ExportMixin, SyncedViewSet):
    """Job-seeker registrations of people in scope."""

    serializer_class = JobSeekerSerializer
    filterset_class = JobSeekerFilter
    search_fields = ["person__name", "person__phone", "desired_job"]
    ordering_fields = ["registered_on", "created_at", "updated_at"]
    ordering = ["-registered_on"]
    export_name = "job-seekers"
    export_columns = [
        (_("registered on"), lambda s: s.registered_on),
        (_("name"), lambda s: s.person.name),
        (_("phone"), lambda s: s.person.phone),
        (_("migrant worker"), lambda s: str(_("yes")) if s.person.is_migrant else ""),
        (_("desired job"), lambda s: s.desired_job),
        (_("unit"), _unit),
    ]

    def queryset_base(self):
        return JobSeeker.objects.select_related("org_unit", "person")

    def perform_create_record(self, serializer, *, create_digest):
        data = dict(serializer.validated_data)
        seeker = services.seeker_register(
            by=self.request.user,
            person=data["person"],
            org_unit=data["org_unit"],
            desired_job=data.get("desired_job", ""),
            registered_on=data.get("registered_on"),
            notes=data.get("notes", ""),
            id=data.get("id"),
            create_digest=create_digest,
        )
        return self.get_queryset().get(pk=seeker.pk)

    def perform_update_record(self, serializer):
        data = dict(serializer.validated_data)
        if "person" in data and data["person"] != serializer.instance.person:
            raise serializers.ValidationError({"person": [_("The person cannot be changed.")]})
        seeker = services.seeker_update(by=self.request.user, seeker=serializer.instance, data=data)
        return self.get_queryset().get(pk=seeker.pk)

    @extend_schema(responses=SeekerMatchSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def matches(self, request, pk=None):
        """Open vacancies with positions left that fit this seeker, best first, with reasons."""
        seeker = self.get_object()
        return Response(
            [
                {
                    "score": vacancy.score,
                    "reasons": services.reasons_of(vacancy),
                    "vacancy": VacancySerializer(vacancy).data,
                }
                for vacancy in services.match_vacancies(seeker=seeker)
            ]
        )


# --- Guidance, intents, placements ----------------------------------------------------------
class GuidanceSerializer(SyncedSerializer):
    seeker = ScopedRelatedField(JobSeeker)

    class Meta:
        model = Guidance
        fields = [*SyncedSerializer.SYNC_FIELDS, "seeker", "held_on", "notes"]


class GuidanceFilter(UnitFilter):
    held_from = filters.DateFilter(field_name="held_on", lookup_expr="gte")
    held_to = filters.DateFilter(field_name="held_on", lookup_expr="lte")

    class Meta:
        model = Guidance
        fields = ["org_unit", "seeker", "held_from", "held_to"]


class GuidanceViewSet(ExportMixin, SyncedViewSet):
    """Guidance sessions with job seekers; the figures count them as person-times."""

    serializer_class = GuidanceSerializer
    filterset_class = GuidanceFilter
    search_fields = ["seeker__person__name", "notes"]
    ordering_fields = ["held_on", "created_at", "updated_at"]
    ordering = ["-held_on"]
    write_action = Action.RUN_SERVICES
    export_name = "guidance"
    export_columns = [
        (_("held on"), lambda g: g.held_on),
        (_("name"), lambda g: g.seeker.person.name),
        (_("desired job"), lambda g: g.seeker.desired_job),
        (_("notes"), lambda g: g.notes),
        (_("unit"), _unit),
    ]

    def queryset_base(self):
        return Guidance.objects.select_related("org_unit", "seeker__person")

    def perform_create_record(self, serializer, *, create_digest):
        data = dict(serializer.validated_data)
        session = services.guidance_record(
            by=self.request.user,
            seeker=data["seeker"],
            held_on=data["held_on"],
            notes=data.get("notes", ""),
            org_unit=data["org_unit"],
            id=data.get("id"),
            create_digest=create_digest,
        )
        return self.get_queryset().get(pk=session.pk)

    def perform_update_record(self, serializer):
        session = services.guidance_update(
            by=self.request.user, session=serializer.instance, data=serializer.validated_data
        )
        return self.get_queryset().get(pk=session.pk)


class IntentSerializer(SyncedSerializer):
    seeker = ScopedRelatedField(JobSeeker)
    is_migrant = serializers.BooleanField(source="seeker.person.is_migrant", read_only=True)

    class Meta:
        model = Intent
        fields = [*SyncedSerializer.SYNC_FIELDS, "seeker", "vacancy", "reached_on", "is_migrant"]


class IntentFilter(UnitFilter):
    reached_from = filters.DateFilter(field_name="reached_on", lookup_expr="gte")
    reached_to = filters.DateFilter(field_name="reached_on", lookup_expr="lte")

    class Meta:
        model = Intent
        fields = ["org_unit", "seeker", "vacancy", "reached_from", "reached_to"]


class IntentViewSet(ExportMixin, SyncedViewSet):
    """Intents reached between seekers and employers, usually at a fair."""

    serializer_class = IntentSerializer
    filterset_class = IntentFilter
    search_fields = ["seeker__person__name", "vacancy__title"]
    ordering_fields = ["reached_on", "created_at", "updated_at"]
    ordering = ["-reached_on"]
    write_action = Action.RUN_SERVICES
    export_name = "intents"
    export_columns = [
        (_("reached on"), lambda i: i.reached_on),
        (_("name"), lambda i: i.seeker.person.name),
        (_("migrant worker"), lambda i: str(_("yes")) if i.seeker.person.is_migrant else ""),
        (_("employer"), lambda i: i.vacancy.employer.name),
        (_("job title"), lambda i: i.vacancy.title),
        (_("unit"), _unit),
    ]

    def queryset_base(self):
        return Intent.objects.select_related(
            "org_unit", "seeker__person", "vacancy__employer", "vacancy__job_fair"
        )

    def perform_create_record(self, serializer, *, create_digest):
        data = dict(serializer.validated_data)
        intent = services.intent_record(
            by=self.request.user,
            seeker=data["seeker"],
            vacancy=data["vacancy"],
            reached_on=data["reached_on"],
            org_unit=data["org_unit"],
            id=data.get("id"),
            create_digest=create_digest,
        )
        return self.get_queryset().get(pk=intent.pk)

    def perform_update_record(self, serializer):
        raise serializers.ValidationError(
            {"detail": [_("An intent is not edited; delete it and record it again.")]}
        )


class PlacementSerializer(SyncedSerializer):
    seeker = ScopedRelatedField(JobSeeker)
    follow_up_due_on = serializers.DateField(read_only=True)
    employed_at_follow_up = serializers.BooleanField(required=False, allow_null=True)

    class Meta:
        model = Placement
        fields = [
            *SyncedSerializer.SYNC_FIELDS,
            "seeker",
            "vacancy",
            "started_on",
            "follow_up_due_on",
            "followed_up_on",
            "employed_at_follow_up",
        ]


class PlacementFilter(UnitFilter):
    follow_up_due = filters.BooleanFilter(method="filter_follow_up_due")
    started_from = filters.DateFilter(field_name="started_on", lookup_expr="gte")
    started_to = filters.DateFilter(field_name="started_on", lookup_expr="lte")

    class Meta:
        model = Placement
        fields = ["org_unit", "seeker", "vacancy", "started_from", "started_to", "follow_up_due"]

    def filter_follow_up_due(self, queryset, name, value):
        due = services.follow_ups_due(user=self.request.user).values("pk")
        return queryset.filter(pk__in=due) if value else queryset.exclude(pk__in=due)


class PlacementViewSet(ExportMixin, SyncedViewSet):
    """Placements, and their follow-up three months after the start (`?follow_up_due=true`)."""

    serializer_class = PlacementSerializer
    filterset_class = PlacementFilter
    search_fields = ["seeker__person__name", "vacancy__title", "vacancy__employer__name"]
    ordering_fields = ["started_on", "created_at", "updated_at"]
    ordering = ["-started_on"]
    write_action = Action.RUN_SERVICES
    export_name = "placements"
    export_columns = [
        (_("started on"), lambda p: p.started_on),
        (_("name"), lambda p: p.seeker.person.name),
        (_("employer"), lambda p: p.vacancy.employer.name),
        (_("job title"), lambda p: p.vacancy.title),
        (_("follow-up due on"), lambda p: p.follow_up_due_on),
        (_("followed up on"), lambda p: p.followed_up_on),
        (
            _("still employed at follow-up"),
            lambda p: (
                ""
                if p.employed_at_follow_up is None
                else str(_("yes") if p.employed_at_follow_up else _("no"))
            ),
        ),
        (_("unit"), _unit),
    ]

    def queryset_base(self):
        return Placement.objects.select_related("org_unit", "seeker__person", "vacancy__employer")

    def perform_create_record(self, serializer, *, create_digest):
        data = dict(serializer.validated_data)
        placement = services.placement_create(
            by=self.request.user,
            seeker=data["seeker"],
            vacancy=data["vacancy"],
            started_on=data["started_on"],
            org_unit=data["org_unit"],
            id=data.get("id"),
            create_digest=create_digest,
        )
        if "followed_up_on" in data:
            placement = services.placement_follow_up(
                by=self.request.user,
                placement=placement,
                followed_up_on=data["followed_up_on"],
                employed=data.get("employed_at_follow_up"),
            )
        return self.get_queryset().get(pk=placement.pk)

    def perform_update_record(self, serializer):
        data = dict(serializer.validated_data)
        for fixed in ("seeker", "vacancy"):
            if fixed in data and data[fixed] != getattr(serializer.instance, fixed):
                raise serializers.ValidationError(
                    {fixed: [_("Delete the placement and enter it again instead.")]}
                )
        placement = services.placement_update(
            by=self.request.user, placement=serializer.instance, data=data
        )
        return self.get_queryset().get(pk=placement.pk)


def register(router) -> None:
    router.register("employers", EmployerViewSet, basename="employer")
    router.register("job-fairs", JobFairViewSet, basename="job-fair")
    router.register("vacancies", VacancyViewSet, basename="vacancy")
    router.register("job-seekers", JobSeekerViewSet, basename="job-seeker")
    router.register("guidance", GuidanceViewSet, basename="guidance")
    router.register("intents", IntentViewSet, basename="intent")
    router.register("placements", PlacementViewSet, basename="placement")
