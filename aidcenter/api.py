"""The DRF base every app's API builds on: scoped querysets and the synced-record behaviour of
API.md (idempotent creates, optimistic concurrency, soft deletes). Permission, pagination,
throttling and error shapes are in aidcenter/api_policy.py."""

from __future__ import annotations

import hashlib
import json
import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.response import Response

from aidcenter.api_strict import StrictModelSerializer, is_json_body
from aidcenter.errors import DomainError, Invalid
from aidcenter.models import OrgUnit
from aidcenter.scope import in_scope, scoped


class OrgUnitCodeField(serializers.SlugRelatedField):
    """`org_unit` as its code; defaults to the caller's unit; must lie in the caller's scope."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        kwargs.setdefault("queryset", OrgUnit.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        unit = super().to_internal_value(data)
        request = self.context.get("request")
        if request is not None and not in_scope(request.user, unit.pk):
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return unit


class CallerUnitDefault:
    requires_context = True

    def __call__(self, serializer_field):
        user = serializer_field.context["request"].user
        return getattr(getattr(user, "staff", None), "org_unit", None)


class SyncedSerializer(StrictModelSerializer):
    """Fields every synced record has (API.md "Records that sync")."""

    id = serializers.UUIDField(required=False)
    org_unit = OrgUnitCodeField(default=CallerUnitDefault())
    version = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    SYNC_FIELDS = ["id", "org_unit", "version", "created_at", "updated_at"]

    def get_unique_together_validators(self):
        # DRF would turn the contract's 409s into 400s; uniqueness is the services' job.
        return []

    def get_unique_for_date_validators(self):
        return []


def payload_digest(data) -> str:
    """A stable digest of a create request's content, to recognise a replayed create."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class SyncedViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """List, read, create (idempotent), PATCH (with `version`) and soft delete of a synced record.

    Subclasses set `queryset_base()` (select_related etc.), `serializer_class`, and implement
    `perform_create_record(serializer)` / `perform_update_record(serializer)` by calling the
    app's service, which returns the saved record."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_converter = "uuid"

    def queryset_base(self):
        return self.serializer_class.Meta.model.objects.all()

    def get_queryset(self):
        return scoped(self.request.user, self.queryset_base())

    # --- create --------------------------------------------------------------------------
    def create(self, request, *args, **kwargs):
        model = self.serializer_class.Meta.model
        digest = payload_digest(request.data)
        raw_id = request.data.get("id") if isinstance(request.data, dict) else None
        if raw_id not in (None, ""):
            try:
                record_id = uuid.UUID(str(raw_id))
            except ValueError:
                raise Invalid({"id": [_("Must be a valid UUID.")]}) from None
            existing = model._default_manager.filter(pk=record_id).first()
            if existing is not None:
                return self._replayed_create(existing, digest)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = self.perform_create_record(serializer, create_digest=digest)
        return Response(self.get_serializer(record).data, status=status.HTTP_201_CREATED)

    def _replayed_create(self, existing, digest):
        visible = self.get_queryset().filter(pk=existing.pk).first()
        if visible is None or existing.create_digest != digest:
            raise DomainError(code="id_conflict")
        return Response(self.get_serializer(visible).data, status=status.HTTP_200_OK)

    def perform_create_record(self, serializer, *, create_digest: str):
        return serializer.save(create_digest=create_digest)

    # --- update --------------------------------------------------------------------------
    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            raise exceptions.MethodNotAllowed(request.method)
        seen = request.data.get("version") if isinstance(request.data, dict) else None
        if seen is None:
            raise Invalid({"version": [_("This field is required.")]})
        allowed = int if is_json_body(request.data) else int | str
        if isinstance(seen, bool) or not isinstance(seen, allowed) or not str(seen).isdigit():
            raise Invalid({"version": [_("A valid integer is required.")]})
        with transaction.atomic():
            record = self.get_object()
            # Lock the row, then compare: two clients patching at once cannot both win.
            record = self.get_queryset().select_for_update(of=("self",)).get(pk=record.pk)
            if record.version != int(seen):
                raise DomainError(
                    code="stale_version", extra={"current": self.get_serializer(record).data}
                )
            serializer = self.get_serializer(record, data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            record = self.perform_update_record(serializer)
        return Response(self.get_serializer(record).data)

    def perform_update_record(self, serializer):
        return serializer.save()

    # --- delete --------------------------------------------------------------------------
    def perform_destroy(self, instance):
        instance.deleted_at = timezone.now()
        instance.save(update_fields=["deleted_at", "updated_at"])
