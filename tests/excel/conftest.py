"""Job files (exports written, uploads kept for the worker) go to a temporary folder."""

import pytest


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
