"""API endpoints of the shared package: the org-unit tree."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from aidcenter.models import OrgUnit
from aidcenter.scope import scoped


class OrgUnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = OrgUnit
        fields = ["code", "name", "kind", "parent", "version", "updated_at"]


class OrgUnitViewSet(viewsets.ReadOnlyModelViewSet):
    """The unit tree, read-only: the caller's unit and every unit below it."""

    serializer_class = OrgUnitSerializer
    lookup_field = "code"
    lookup_value_regex = "[A-Z0-9-]+"
    filterset_fields = ["kind"]
    ordering_fields = ["code", "name"]
    search_fields = ["code", "name"]

    def get_queryset(self):
        return scoped(self.request.user, OrgUnit.objects.select_related("parent"))
