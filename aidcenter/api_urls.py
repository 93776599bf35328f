"""The API router: each app registers its viewsets here (API.md "Resources")."""

from rest_framework.routers import DefaultRouter

from aidcenter.api_views import OrgUnitViewSet
from cases.api import register as register_cases
from funds.api import register as register_funds
from jobs.api import register as register_jobs
from legal.api import register as register_legal
from training.api import register as register_training

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("org-units", OrgUnitViewSet, basename="org-unit")
register_cases(router)
register_jobs(router)
register_training(router)
register_funds(router)
register_legal(router)
