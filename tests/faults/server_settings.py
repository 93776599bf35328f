"""The production settings (DEBUG=0) for the fault tests' live server, with plain static files:
a test run has no `collectstatic` manifest, and static files are not what is under test."""

from aidcenter.settings import *  # noqa: F403
from aidcenter.settings import STORAGES

STORAGES = {  # noqa: F811
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
