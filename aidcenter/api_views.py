"""API endpoints of the shared package: the org-unit tree and the change feed."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from aidcenter import feed
from aidcenter.api_strict import StrictModelSerializer, StrictSerializer
from aidcenter.models import AccessLog, OrgUnit
from aidcenter.pii import log_access
from aidcenter.scope import scoped


class OrgUnitSerializer(StrictModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

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


class ChangeFeedQuery(StrictSerializer):
    since = serializers.CharField(required=False, allow_blank=True, max_length=100)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=500)


class ChangeSerializer(StrictSerializer):
    resource = serializers.CharField()
    id = serializers.CharField()
    op = serializers.ChoiceField(choices=["upsert", "delete"])
    version = serializers.IntegerField()
    org_unit = serializers.CharField(allow_null=True)
    data = serializers.DictField(allow_null=True)


class ChangeFeedSerializer(StrictSerializer):
    changes = ChangeSerializer(many=True)
    next_cursor = serializers.CharField()
    has_more = serializers.BooleanField()


class ChangeFeedView(APIView):
    """The change feed: follow `next_cursor` until `has_more` is false, again and again, and you
    hold exactly the server's current records in your scope, each at its latest version."""

    @extend_schema(
        parameters=[ChangeFeedQuery],
        responses={200: ChangeFeedSerializer},
        operation_id="sync_changes",
    )
    def get(self, request):
        query = ChangeFeedQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = feed.pull(
            request=request,
            since=query.validated_data.get("since"),
            limit=query.validated_data["limit"],
        )
        shown = getattr(request, "_feed_full_ids", 0)
        if shown:
            log_access(
                user=request.user,
                action=AccessLog.Action.FEED,
                model="sync.changes",
                count=shown,
                path=request.path,
            )
        return Response(page)
