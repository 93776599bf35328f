"""Settings come from the environment and fail loudly on bad values."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings


def run_django(args, **env):
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "aidcenter.settings", **env}
    # The browser tests' Playwright needs this in-process; a deploy check rightly warns on it.
    full_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env=full_env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DEBUG": "0", "SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"DEBUG": "maybe"}, "DEBUG must be 0 or 1"),
        ({"SECRET_KEY": "short"}, "at least 50 characters"),
        ({"DEBUG": "0", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS must be set"),
        ({"DATABASE_URL": "sqlite:///x.db"}, "must point at PostgreSQL"),
    ],
)
def test_bad_settings_fail_loudly(env, message):
    result = run_django(["check"], **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_deploy_check_passes_in_production_mode():
    result = run_django(
        ["check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="aid.example.org",
        SECURE_SSL="1",
    )
    assert result.returncode == 0, result.stdout + result.stderr
