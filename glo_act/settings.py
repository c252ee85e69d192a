"""Settings for GLO.ACT Case Coordination, read from the environment (see README, Configuration).

Safe development defaults; production (`DEBUG` off) refuses to start with a default secret.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from glo_act.env import (
    email_settings,
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

# Development defaults. They are public, so production refuses them (see the end of this file).
DEV_SECRET_KEY = "dev-only-secret-key-not-for-production-use-0123456789abcdef"
DEV_FIELD_ENCRYPTION_KEY = "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZC0="
DEV_BLIND_INDEX_KEY = "dev-only-blind-index-key"

# Development is the default, so `manage.py` works in a fresh checkout with no configuration;
# production sets DEBUG=0 (docker-compose and the Dockerfile do) and then must bring its own keys.
# DEBUG on is refused for any host but this machine (below), so forgetting DEBUG=0 in a real
# deployment stops the process instead of serving debug pages with public keys.
DEBUG = env_bool("DEBUG", default=True)
TESTING = env_bool("GLO_ACT_TESTING", default=False)
SECRET_KEY = env_secret("SECRET_KEY", DEV_SECRET_KEY)
# Newest key first; older keys still decrypt, so a key can be rotated without a migration.
FIELD_ENCRYPTION_KEYS = [
    key.strip()
    for key in env_secret("FIELD_ENCRYPTION_KEY", DEV_FIELD_ENCRYPTION_KEY).split(",")
    if key.strip()
]
BLIND_INDEX_KEY = env_secret("BLIND_INDEX_KEY", DEV_BLIND_INDEX_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
BENCH_VIEWS = env_bool("BENCH_VIEWS", default=False)

INSTALLED_APPS = [
    "liaison_offices.apps.HQAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "simple_history",
    "glo_act",
    "liaison_offices",
    "cases",
    "victims",
    "accounts",
    "evidence",
    "audit",
    "people",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the body or the database: API request limits (413/415 answers)
    # and 503 with Retry-After while the database is unreachable (glo_act/middleware.py).
    "glo_act.middleware.ResilienceMiddleware",
    # Personal data no configured key opens: a clear 503 page or problem, not a 500.
    "victims.middleware.PersonalDataUnreadableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language from the cookie the switcher sets, else the browser's Accept-Language
    # (the API's messages too); English when neither names Urdu (docs/i18n.md).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A signed-in person's language and time zone, from their session (accounts/middleware.py).
    "accounts.middleware.PreferenceMiddleware",
    # A session signed in with a password only reaches the sign-in pages (accounts/middleware.py).
    "accounts.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks, so it sees the final authentication result.
    "axes.middleware.AxesMiddleware",
]

# Forms render <select> in Python (the same HTML; glo_act/form_renderer.py says why).
FORM_RENDERER = "glo_act.form_renderer.PageFormRenderer"
ROOT_URLCONF = "glo_act.urls"
WSGI_APPLICATION = "glo_act.wsgi.application"

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
                "liaison_offices.context_processors.navigation",
                "accounts.context_processors.sign_in",
                "django.template.context_processors.i18n",
            ],
            # `{% form_token %}` in every page form (docs/forms.md), `|when` for times and the
            # translation tags (docs/i18n.md), without a `{% load %}`.
            "builtins": [
                "glo_act.templatetags.form_token",
                "glo_act.templatetags.local_time",
                "glo_act.templatetags.names",
                "django.templatetags.i18n",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASE_URL = env_url(
    "DATABASE_URL",
    f"sqlite:///{VAR_DIR / 'glo_act.sqlite3'}",
    schemes={"sqlite", "postgres", "postgresql", "pgsql"},
)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
# A database that accepts connections and never answers must not hold a request (or /readyz)
# forever: connecting gives up after this many seconds (libpq counts 2 as its least), and
# any one statement is cancelled after DATABASE_STATEMENT_TIMEOUT_MS (0: no limit, e.g. for
# a long migration). Either answers the API's 503 (docs/resilience.md).
DATABASE_CONNECT_TIMEOUT_SECONDS = env_int("DATABASE_CONNECT_TIMEOUT_SECONDS", 5)
DATABASE_STATEMENT_TIMEOUT_MS = env_int("DATABASE_STATEMENT_TIMEOUT_MS", 30_000)
if DATABASE_CONNECT_TIMEOUT_SECONDS < 1:
    raise ImproperlyConfigured("DATABASE_CONNECT_TIMEOUT_SECONDS must be 1 or more.")
if DATABASE_STATEMENT_TIMEOUT_MS < 0:
    raise ImproperlyConfigured("DATABASE_STATEMENT_TIMEOUT_MS must be 0 (no limit) or more.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT over-estimates the OR-EXISTS visibility count and compiles it on every
    # request (docs/performance.md#the-planners-just-in-time-compiler). Off on our connections.
    # Our prepared statements (glo_act/db.py) are planned once, generically: left to choose,
    # the planner re-plans the list page of a user with many desks on every call, its generic
    # estimate for `= ANY($1)` being pessimistic (docs/performance.md#prepared-statements).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        options=(
            f"-c jit=off -c statement_timeout={DATABASE_STATEMENT_TIMEOUT_MS} "
            "-c plan_cache_mode=force_generic_plan"
        ),
        connect_timeout=DATABASE_CONNECT_TIMEOUT_SECONDS,
    )
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Several test runs may share one server (developers, CI, helpers): each process gets its
    # own test database unless one is named.
    DATABASES["default"]["TEST"] = {
        "NAME": env_str("TEST_DATABASE_NAME", f"test_glo_act_{os.getpid()}" if TESTING else None)
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache --------------------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", None, schemes={"redis", "rediss"})
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Authentication -----------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Hashing the cast's passwords with PBKDF2 dominates the suite's set-up; tests do not
    # exercise the hash's strength.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
SESSION_ENGINE = "django.contrib.sessions.backends.db"  # HQ's resets end sessions by user
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
GUARDIAN_ANONYMOUS_USER_NAME = None  # nobody anonymous holds object permissions here
ANONYMOUS_USER_NAME = None

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The lock page says for how long and how to reach HQ (accounts.views.locked_out).
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False

# Two-factor sign-in (accounts/two_factor.py): authenticator apps (TOTP) and recovery codes.
OTP_TOTP_ISSUER = "GLO.ACT Case Coordination"
# Security keys (WebAuthn, django-otp-webauthn) as a second factor beside the app, never instead
# of the password (accounts/webauthn.py). The relying party is the site's host name; the
# browser's origin must be one of WEBAUTHN_ORIGINS (default: SITE_URL's). A key cannot be bound
# to an IP address: `make run`'s 127.0.0.1 becomes localhost (open the site as localhost).
_SITE = urlsplit(SITE_URL)
_SITE_HOST = "localhost" if _SITE.hostname in (None, "127.0.0.1", "::1") else _SITE.hostname
OTP_WEBAUTHN_RP_NAME = "GLO.ACT Case Coordination"
OTP_WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID", _SITE_HOST)
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list(
    "WEBAUTHN_ORIGINS",
    [f"{_SITE.scheme}://{_SITE_HOST}" + (f":{_SITE.port}" if _SITE.port else "")],
)
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = "accounts.webauthn"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Revealing a victim's personal data asks for the code again when the session's last
# second-factor check is older than this.
REVEAL_STEP_UP_MINUTES = env_int("REVEAL_STEP_UP_MINUTES", 15)
# The demo users' authenticator secret (base32), for `make run`; seed_demo only.
DEMO_TOTP_SECRET = env_str("DEMO_TOTP_SECRET", "GLOACTDEMOTWOFACTORSECRETKEYAAAA")
# HQ's one-time password links work this long (and only until used).
PASSWORD_RESET_TIMEOUT = 60 * 60 * env_int("PASSWORD_LINK_HOURS", 24)
# HQ's weekly digest lists whoever read more than this many victims they have no case or
# referral for (audit/digest.py).
UNUSUAL_READING_MIN = env_int("UNUSUAL_READING_MIN", 10)
# How a locked-out or stuck person reaches HQ, shown on the sign-in pages.
HQ_CONTACT = env_str(
    "HQ_CONTACT", "the HQ duty officer, Immigration Wing, FIA Headquarters, Islamabad"
)

# --- Retention (liaison_offices/retention.py, docs/retention.md) ---------------------------------
# How long operational rows are kept before the daily purge deletes them; 0 keeps them for good.
# Cases, victims, their history and timelines, and the personal-data access log never expire.
RETENTION_INBOX_DAYS = env_int("RETENTION_INBOX_DAYS", 180)
RETENTION_DELIVERY_DAYS = env_int("RETENTION_DELIVERY_DAYS", 365)
RETENTION_EVENT_DAYS = env_int("RETENTION_EVENT_DAYS", 365)
RETENTION_IDEMPOTENCY_HOURS = env_int("RETENTION_IDEMPOTENCY_HOURS", 48)
RETENTION_FORM_SUBMISSION_DAYS = env_int("RETENTION_FORM_SUBMISSION_DAYS", 30)
# Sessions and API tokens: counted from their expiry, not their creation.
RETENTION_EXPIRED_SESSION_DAYS = env_int("RETENTION_EXPIRED_SESSION_DAYS", 1)
RETENTION_EXPIRED_TOKEN_DAYS = env_int("RETENTION_EXPIRED_TOKEN_DAYS", 30)
RETENTION_ACCESS_ATTEMPT_DAYS = env_int("RETENTION_ACCESS_ATTEMPT_DAYS", 90)
RETENTION_ACCESS_LOG_DAYS = env_int("RETENTION_ACCESS_LOG_DAYS", 730)
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 2000)
for _name, _value in {
    "RETENTION_INBOX_DAYS": RETENTION_INBOX_DAYS,
    "RETENTION_DELIVERY_DAYS": RETENTION_DELIVERY_DAYS,
    "RETENTION_EVENT_DAYS": RETENTION_EVENT_DAYS,
    "RETENTION_IDEMPOTENCY_HOURS": RETENTION_IDEMPOTENCY_HOURS,
    "RETENTION_FORM_SUBMISSION_DAYS": RETENTION_FORM_SUBMISSION_DAYS,
    "RETENTION_EXPIRED_SESSION_DAYS": RETENTION_EXPIRED_SESSION_DAYS,
    "RETENTION_EXPIRED_TOKEN_DAYS": RETENTION_EXPIRED_TOKEN_DAYS,
    "RETENTION_ACCESS_ATTEMPT_DAYS": RETENTION_ACCESS_ATTEMPT_DAYS,
    "RETENTION_ACCESS_LOG_DAYS": RETENTION_ACCESS_LOG_DAYS,
}.items():
    if _value < 0:
        raise ImproperlyConfigured(f"{_name} must be 0 (keep for good) or more.")
if RETENTION_ACCESS_ATTEMPT_DAYS and timedelta(days=RETENTION_ACCESS_ATTEMPT_DAYS) <= (
    AXES_COOLOFF_TIME
):
    raise ImproperlyConfigured("RETENTION_ACCESS_ATTEMPT_DAYS must outlast AXES_COOLOFF_MINUTES.")
if RETENTION_BATCH_SIZE < 1:
    raise ImproperlyConfigured("RETENTION_BATCH_SIZE must be 1 or more.")
# An event takes its deliveries and inbox lines with it: it cannot go before them.
if RETENTION_EVENT_DAYS and (
    not RETENTION_DELIVERY_DAYS
    or not RETENTION_INBOX_DAYS
    or max(RETENTION_DELIVERY_DAYS, RETENTION_INBOX_DAYS) > RETENTION_EVENT_DAYS
):
    raise ImproperlyConfigured(
        "RETENTION_EVENT_DAYS must be at least RETENTION_DELIVERY_DAYS and RETENTION_INBOX_DAYS "
        "(deleting an event deletes its deliveries and inbox lines), or 0."
    )

# --- Statistics --------------------------------------------------------------------------------
# No published count (statistics page, its CSVs, the anonymised record export) is below this,
# except 0: CTDC's threshold for trafficking data.
STATS_MIN_CELL = env_int("STATS_MIN_CELL", 11)
if STATS_MIN_CELL < 1:
    raise ImproperlyConfigured("STATS_MIN_CELL must be 1 or more.")

# --- Sessions, cookies, security headers --------------------------------------------------------
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "glo_act.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Evidence files (encrypted before they are written, evidence/storage.py): the file system under
# var/evidence by default, S3-compatible object storage with EVIDENCE_STORAGE=s3.
EVIDENCE_STORAGE = env_str("EVIDENCE_STORAGE", "filesystem")
if EVIDENCE_STORAGE == "s3":
    EVIDENCE_STORAGE_BACKEND = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("EVIDENCE_S3_BUCKET", "glo-act-evidence"),
            "endpoint_url": env_str("EVIDENCE_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("EVIDENCE_S3_REGION", "") or None,
            "access_key": env_secret("EVIDENCE_S3_ACCESS_KEY", "") or None,
            "secret_key": env_secret("EVIDENCE_S3_SECRET_KEY", "") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif EVIDENCE_STORAGE == "filesystem":
    EVIDENCE_STORAGE_BACKEND = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env_str(
                "EVIDENCE_ROOT",
                str(
                    Path(tempfile.gettempdir()) / f"glo_act_evidence_{os.getpid()}"
                    if TESTING
                    else VAR_DIR / "evidence"
                ),
            ),
            "directory_permissions_mode": 0o700,
            "file_permissions_mode": 0o600,
        },
    }
else:
    raise ImproperlyConfigured("EVIDENCE_STORAGE must be filesystem or s3.")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "evidence": EVIDENCE_STORAGE_BACKEND,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "glo_act.storage.GzipManifestStaticFilesStorage"
        )
    },
}

# --- Evidence files: size limit, malware scanner (evidence/scanning.py) --------------------------
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_MB", 25) * 1024 * 1024
# clamd in production; the development scanner (EICAR only, said on every upload form) while
# DEBUG is on, so `make run` needs no daemon.
EVIDENCE_SCANNER = env_str("EVIDENCE_SCANNER", "development" if DEBUG else "clamd")
CLAMD_ADDRESS = env_str("CLAMD_ADDRESS", "")
# Uploads stay in memory (bounded by the limit), never in a plaintext temporary file.
FILE_UPLOAD_HANDLERS = ["evidence.uploads.BoundedMemoryUploadHandler"]

LANGUAGE_CODE = "en-gb"
# English stays the default; Urdu for HQ's and Pakistan's caseworkers (docs/i18n.md).
LANGUAGES = [("en", "English"), ("ur", "اردو")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "glo_act_language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
# The admin writes times on the 24-hour clock, as the pages do (glo_act/formats).
FORMAT_MODULE_PATH = ["glo_act.formats"]
# Stored and computed in UTC; each page shows times in its reader's zone (accounts/preferences.py).
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Email --------------------------------------------------------------------------------------
EMAIL_URL = env_url(
    "EMAIL_URL",
    "console://",
    schemes={"smtp", "smtp+tls", "smtp+ssl", "console", "locmem", "dummy", "file"},
)
globals().update(email_settings(EMAIL_URL))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "GLO.ACT Case Coordination <noreply@fia.gov.pk>")

# --- Celery -------------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
# kombu's Redis transport, fixed so that a worker lives through a Redis restart (glo_act/broker.py).
CELERY_BROKER_TRANSPORT = "glo_act.broker:Transport" if REDIS_URL else None
CELERY_RESULT_BACKEND = None  # tasks record their outcome in our own tables
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None  # no Redis: run at commit, in-process
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True  # every task is idempotent, so a redelivery is harmless
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 30
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "glo_act")
# Webhooks go to "<CELERY_QUEUE>_webhooks", served by their own workers (glo_act/celery.py).
CELERY_TASK_ROUTES = ["glo_act.celery.route_task"]
# At most this many webhook deliveries to one partner in flight at once, across all webhook
# workers; the others wait their turn (0: no bound).
WEBHOOK_PARTNER_CONCURRENCY = env_int("WEBHOOK_PARTNER_CONCURRENCY", 2)
if WEBHOOK_PARTNER_CONCURRENCY < 0:
    raise ImproperlyConfigured("WEBHOOK_PARTNER_CONCURRENCY must be 0 (no bound) or more.")
# Longer than the longest retry countdown (liaison_offices.delivery.RETRY_MAX_COUNTDOWN, 30 min)
# plus a claim lease, or Redis would hand an unacknowledged task to a second worker while the
# first still waits to retry it (a test pins this).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
# Notification delivery retries: the first waits 5-10 s, then doubling (with jitter), capped at
# 30 minutes, 8 attempts per delivery. Lowered only by tests that watch a worker retry.
NOTIFICATIONS_RETRY_BASE_SECONDS = env_int("NOTIFICATIONS_RETRY_BASE_SECONDS", 10)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # Each expires before the next is due: while no worker runs, beat keeps sending, and a
    # worker coming back discards the stale copies instead of running them back to back.
    "sweep-undelivered-events": {
        "task": "liaison_offices.tasks.sweep_undelivered_events",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    "send-due-reminders": {
        "task": "liaison_offices.tasks.send_due_reminders",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},
    },
    "scan-files-being-checked": {
        "task": "evidence.tasks.scan_files_being_checked",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
    "send-unusual-reading-digest": {
        "task": "audit.tasks.send_unusual_reading_digest",
        "schedule": crontab(day_of_week="mon", hour=6, minute=30),
        "options": {"expires": 6 * 60 * 60},
    },
    "send-daily-digests": {
        "task": "liaison_offices.tasks.send_daily_digests",
        "schedule": crontab(hour=6, minute=0),
        "options": {"expires": 6 * 60 * 60},
    },
    "purge-expired": {
        "task": "liaison_offices.retention.purge_expired",
        "schedule": crontab(hour=2, minute=30),
        "options": {"expires": 6 * 60 * 60},
    },
}
# Task modules beyond each app's tasks.py.
CELERY_IMPORTS = ["liaison_offices.retention"]

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "liaison_offices.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["glo_act.drf_defaults.FilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["glo_act.drf_defaults.TokenRateThrottle"],
    # JSON only (a view that takes uploads names its own parsers): a form's repeated fields
    # and strings-for-everything do not match the documented JSON schema (415 otherwise).
    "DEFAULT_PARSER_CLASSES": ["glo_act.drf_defaults.DepthLimitedJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_THROTTLE_RATES": {"token": env_str("API_THROTTLE_RATE", "600/min")},
    "EXCEPTION_HANDLER": "glo_act.api.problem_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "glo_act.drf_defaults.BoundedCountPagination",
    "PAGE_SIZE": 25,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Request limits on the API: a body longer than this is refused with 413 before it is read
# (a multipart upload, where a view accepts one, is bounded by Django's upload settings
# instead), and JSON nested deeper than API_MAX_JSON_DEPTH with 400 before it is parsed.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1024 * 1024)
API_MAX_JSON_DEPTH = env_int("API_MAX_JSON_DEPTH", 32)
if API_MAX_BODY_BYTES < 1024:
    raise ImproperlyConfigured("API_MAX_BODY_BYTES must be 1024 or more.")
if not 2 <= API_MAX_JSON_DEPTH <= 500:
    raise ImproperlyConfigured("API_MAX_JSON_DEPTH must be between 2 and 500.")
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env_int("API_TOKEN_TTL_DAYS", 90)),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "GLO.ACT Case Coordination API",
    "DESCRIPTION": "Cases, cooperation requests, referrals and notifications shared with "
    "embassy focal points, partner agencies and service providers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",  # tags and operation ids from the resource name
    # The overview for partners' developers, token scheme and common headers (glo_act.api).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "glo_act.api.describe_api",
    ],
    # Choice sets that share a field name ("kind", "status") get names a reader understands.
    "ENUM_NAME_OVERRIDES": {
        "CaseKindEnum": "cases.constants.CaseKind",
        "CaseStatusEnum": "cases.constants.CaseStatus",
        "RequestKindEnum": "cases.constants.RequestKind",
        "RequestStatusEnum": "cases.constants.RequestStatus",
        "PartnerKindEnum": "liaison_offices.constants.PartnerKind",
        "OfficeStatusEnum": "liaison_offices.constants.OfficeStatus",
        "ReferralStatusEnum": "victims.constants.ReferralStatus",
        "ReferralUpdateKindEnum": "victims.constants.UpdateKind",
        "EventKindEnum": "liaison_offices.constants.EventKind",
        "HandOverStatusEnum": "cases.constants.HandOverStatus",
        "KeptShareCodeEnum": "cases.constants.KEPT_SHARE_CODES",
        "FileKindEnum": "evidence.constants.FileKind",
        "RecordTypeEnum": "evidence.constants.RecordType",
        "SourceReliabilityEnum": "cases.constants.SourceReliability",
        "InformationAccuracyEnum": "cases.constants.InformationAccuracy",
        "SuspectRoleEnum": "cases.constants.SuspectRole",
        "ExploitationEnum": "cases.constants.Exploitation",
        "LabourSectorEnum": "cases.constants.LabourSector",
        "OnlinePlatformEnum": "cases.constants.OnlinePlatform",
        "IdentifierKindEnum": "people.constants.IdentifierKind",
        "PersonRoleEnum": "people.constants.PersonRole",
    },
}

# --- Logging: no personal data is ever logged (see victims/) -------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # The case file's PDF: WeasyPrint reports each layout step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Production guard ---------------------------------------------------------------------------
LOCAL_HOSTS = {"127.0.0.1", "localhost", "testserver", "[::1]", "::1"}
if DEBUG and not set(ALLOWED_HOSTS) <= LOCAL_HOSTS:
    raise ImproperlyConfigured(
        "DEBUG is on (development mode) but ALLOWED_HOSTS names "
        f"{sorted(set(ALLOWED_HOSTS) - LOCAL_HOSTS)}; set DEBUG=0 for a real deployment."
    )
if not DEBUG:
    if SECRET_KEY == DEV_SECRET_KEY:
        raise ImproperlyConfigured("DEBUG is off but SECRET_KEY is the public development key.")
    if DEV_FIELD_ENCRYPTION_KEY in FIELD_ENCRYPTION_KEYS:
        raise ImproperlyConfigured(
            "DEBUG is off but FIELD_ENCRYPTION_KEY is the public development key."
        )
    if BLIND_INDEX_KEY == DEV_BLIND_INDEX_KEY:
        raise ImproperlyConfigured(
            "DEBUG is off but BLIND_INDEX_KEY is the public development key."
        )
    if EVIDENCE_SCANNER != "clamd":
        raise ImproperlyConfigured("DEBUG is off: EVIDENCE_SCANNER must be clamd.")
    if not CLAMD_ADDRESS:
        raise ImproperlyConfigured(
            "DEBUG is off but CLAMD_ADDRESS is not set (unix:///path/to/socket or tcp://host:port)."
        )
    if BENCH_VIEWS and not env_bool("BENCH_VIEWS_I_KNOW", default=False):
        raise ImproperlyConfigured("BENCH_VIEWS is for benchmarks; set BENCH_VIEWS_I_KNOW=1 too.")
