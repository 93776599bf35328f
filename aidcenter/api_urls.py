"""The API router: each app registers its viewsets here (API.md "Resources")."""

from rest_framework.routers import DefaultRouter

from aidcenter.api_views import OrgUnitViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("org-units", OrgUnitViewSet, basename="org-unit")
