"""Django settings, all read from the environment (see README "Configuration").

Zero-setup defaults: SQLite under ./var and Celery's filesystem broker, so the
service runs without PostgreSQL or Redis. Production sets DATABASE_URL and
CELERY_BROKER_URL (Redis).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from imagestreams.operations.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def envfloat(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from None


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)
DATA_DIR = Path(env("DATA_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "imagestreams.operator_admin.OperatorAdminConfig",  # django.contrib.admin, superusers only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "imagestreams",
    "triggers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Inside HtmxMiddleware: needs request.htmx to add flash messages to htmx responses.
    "imagestreams.web.middleware.HtmxMessagesMiddleware",
    # A database that does not answer makes views 503, not 500 (imagestreams.unavailable).
    "imagestreams.unavailable.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "imagestreams.urls"
WSGI_APPLICATION = "imagestreams.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several processes (web, worker, beat) share one SQLite file. WAL lets readers
    # go on while one process writes; IMMEDIATE makes every transaction that may
    # write take the write lock when it begins, where SQLite's busy timeout applies
    # (a deferred transaction that upgrades later fails at once with "database is
    # locked"); the timeout is long enough that requests queue instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": envfloat("SQLITE_BUSY_TIMEOUT_SECONDS", 60.0),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests use a file too (not a shared-cache in-memory database, whose table
    # locks ignore the busy timeout), so that threads and processes behave as in use.
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME", str(Path(DATABASES["default"]["NAME"]).with_suffix(".test.sqlite3"))
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:projects"
LOGOUT_REDIRECT_URL = "login"

REST_FRAMEWORK = {
    # Bearer first: its WWW-Authenticate challenge makes unauthenticated calls 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "imagestreams.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["imagestreams.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "imagestreams.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "imagestreams.api.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Image Streams API",
    "DESCRIPTION": "OpenShift-style image streams: tags pinned by digest, history, imports.",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Anyone may read the schema and the docs page; the API itself needs a login.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI from our own static files (drf-spectacular-sidecar), no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PATH_CONVERTER_OVERRIDES": {
        "project": {"type": "string", "pattern": "^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$"},
        "stream": {"type": "string", "pattern": "^[a-z0-9]+(?:[._-][a-z0-9]+)*$"},
        "object": {"type": "string", "description": "stream:tag or stream@digest"},
    },
}

# --- Celery -----------------------------------------------------------------
# The filesystem broker ignores the host; naming one spares kombu's warning
# "No hostname was supplied" at every start of every process.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://localhost/")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND") or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ACKS_LATE = True
# Connections are kept across tasks as across requests (CONN_MAX_AGE, health
# checks): imagestreams/celery.py closes broken or old ones around each task.
CELERY_DB_REUSE_MAX = 10**9
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "imports-reconcile-pending": {
        "task": "imagestreams.tasks.imports_reconcile_pending",
        "schedule": float(envint("IMAGESTREAMS_RECONCILE_SECONDS", 30)),
        "options": {"expires": 25.0},
    },
    # Claims due scheduled tags and hands them to workers (imagestreams.scheduling);
    # a sweep that waited longer than its period is dropped, the next one covers it.
    "scheduled-sweep": {
        "task": "imagestreams.tasks.scheduled_sweep",
        "schedule": envfloat("IMAGESTREAMS_SCHEDULED_SWEEP_SECONDS", 5.0),
        "options": {"expires": envfloat("IMAGESTREAMS_SCHEDULED_SWEEP_SECONDS", 5.0)},
    },
    # Changes not fanned out and deliveries that waited too long (lost enqueue, dead worker).
    "triggers-sweep": {
        "task": "triggers.tasks.triggers_sweep_task",
        "schedule": envfloat("IMAGESTREAMS_TRIGGERS_SWEEP_SECONDS", 30.0),
        "options": {"expires": 25.0},
    },
    # Pushes to the integrated registry that waited too long (lost enqueue, dead worker).
    "registry-events-sweep": {
        "task": "imagestreams.tasks.registry_events_sweep_task",
        "schedule": envfloat("IMAGESTREAMS_REGISTRY_EVENTS_SWEEP_SECONDS", 30.0),
        "options": {"expires": 25.0},
    },
    # Pushes whose notification the integrated registry lost (it forgets them on restart).
    "integrated-registry-reconcile": {
        "task": "imagestreams.tasks.integrated_registry_reconcile_task",
        "schedule": envfloat("IMAGESTREAMS_REGISTRY_RECONCILE_SECONDS", 300.0),
        "options": {"expires": 60.0},
    },
}
# Tasks outside an app's tasks.py (the prune schedule).
CELERY_IMPORTS = ["imagestreams.operations.tasks"]

if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(env("CELERY_FS_DIR", str(DATA_DIR / "celery-broker")))
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    # kombu's transport, writing each message whole (imagestreams.queue_fs).
    CELERY_BROKER_TRANSPORT = "imagestreams.queue_fs:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # One host: producer and consumer share the queue folder.
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # How often an idle worker looks for new messages: each task waits
        # up to this long (a push's webhook goes through two tasks). kombu's
        # default is 1 s; a look is one directory listing (docs/operations.md).
        "polling_interval": envfloat("IMAGESTREAMS_FS_BROKER_POLLING_SECONDS", 0.1),
    }

# --- Image streams ----------------------------------------------------------
# Host (and port) of the integrated registry; used for `referencePolicy: Local`
# pull specs and for the repository shown on each stream. Empty: the host of
# IMAGESTREAMS_INTEGRATED_REGISTRY_URL (imagestreams.integrated_registry), else none.
INTERNAL_REGISTRY_HOSTNAME = env("INTERNAL_REGISTRY_HOSTNAME")
# OpenShift's maxImagesBulkImportedPerRepository; -1 = no limit.
MAX_IMAGES_BULK_IMPORTED = envint("IMAGESTREAMS_MAX_IMAGES_BULK_IMPORTED", 50)
DEFAULT_IMPORT_MODE = env("IMAGESTREAMS_DEFAULT_IMPORT_MODE", "Legacy")
REGISTRY_TIMEOUT = float(envint("IMAGESTREAMS_REGISTRY_TIMEOUT", 10))
# Token server of the integrated registry (Distribution `auth: token`); the key
# and certificate are made by `manage.py registry_keys`.
REGISTRY_TOKEN_KEY_FILE = env(
    "REGISTRY_TOKEN_KEY_FILE", str(DATA_DIR / "registry-token" / "key.pem")
)
REGISTRY_TOKEN_ISSUER = env("REGISTRY_TOKEN_ISSUER", "imagestreams")
REGISTRY_TOKEN_SERVICE = env("REGISTRY_TOKEN_SERVICE", "imagestreams-registry")
REGISTRY_TOKEN_TTL = envint("REGISTRY_TOKEN_TTL", 300)
# Key for registry credentials at rest (Fernet). Defaults to one derived from
# SECRET_KEY; set it explicitly so that rotating SECRET_KEY keeps credentials.
CREDENTIALS_KEY = env("IMAGESTREAMS_CREDENTIALS_KEY")
# Scheduled imports: each scheduled tag is re-checked once per interval (never
# more often than the minimum); failures back off up to SCHEDULED_BACKOFF_MAX.
SCHEDULED_INTERVAL = envfloat("IMAGESTREAMS_SCHEDULED_INTERVAL", 900.0)
SCHEDULED_MINIMUM_INTERVAL = envfloat("IMAGESTREAMS_SCHEDULED_MINIMUM_INTERVAL", 60.0)
SCHEDULED_SWEEP_SECONDS = envfloat("IMAGESTREAMS_SCHEDULED_SWEEP_SECONDS", 5.0)
SCHEDULED_BATCH_SIZE = envint("IMAGESTREAMS_SCHEDULED_BATCH_SIZE", 200)
SCHEDULED_BACKOFF_MAX = envfloat("IMAGESTREAMS_SCHEDULED_BACKOFF_MAX", 21600.0)
# Unchanged checks send their HEADs on an event loop (registry/quick.py, a seventh
# of the CPU of the threaded client); 0 checks every tag in threads.
SCHEDULED_ASYNC_HEADS = envbool("IMAGESTREAMS_SCHEDULED_ASYNC_HEADS", True)
# Politeness towards each registry host: concurrent requests per worker
# process, and requests per second (paced in each worker; the sweep also hands
# out at most this rate of checks per registry across all workers).
REGISTRY_MAX_CONCURRENCY = envint("IMAGESTREAMS_REGISTRY_MAX_CONCURRENCY", 4)
REGISTRY_REQUESTS_PER_SECOND = envfloat("IMAGESTREAMS_REGISTRY_REQUESTS_PER_SECOND", 20.0)
# Tag policies read at most this many upstream tags (following pagination).
POLICY_MAX_TAGS = envint("IMAGESTREAMS_POLICY_MAX_TAGS", 1000)
# Shared secret of the inbound registry webhooks (/hooks/...); empty = disabled.
WEBHOOK_SECRET = env("IMAGESTREAMS_WEBHOOK_SECRET")

# --- Operators (imagestreams.operations) --------------------------------------
# Registries allowed for import, insecure and blocked are not settings: they
# are the image configuration, one row edited in the admin (imagestreams.image_config).
# `manage.py prune_images --confirm` run by beat on this cron schedule
# ("0 0 * * *"); empty = never (the default).
PRUNE_SCHEDULE = env("IMAGESTREAMS_PRUNE_SCHEDULE")
PRUNE_KEEP_TAG_REVISIONS = envint("IMAGESTREAMS_PRUNE_KEEP_TAG_REVISIONS", 3)
PRUNE_KEEP_YOUNGER_THAN = env("IMAGESTREAMS_PRUNE_KEEP_YOUNGER_THAN", "60m")
# When set, /metrics answers only requests with `Authorization: Bearer <token>`.
METRICS_TOKEN = env("IMAGESTREAMS_METRICS_TOKEN")

# --- Integrated registry (imagestreams) and triggers (triggers app) ----------
# API URL of the paired Distribution registry (http://registry:5000); pushes to
# `<project>/<stream>:<tag>` there become history entries. Empty = not paired.
INTEGRATED_REGISTRY_URL = env("IMAGESTREAMS_INTEGRATED_REGISTRY_URL").rstrip("/")
INTEGRATED_REGISTRY_USERNAME = env("IMAGESTREAMS_INTEGRATED_REGISTRY_USERNAME")
INTEGRATED_REGISTRY_PASSWORD = env("IMAGESTREAMS_INTEGRATED_REGISTRY_PASSWORD")
# The registry's notification endpoint must send `Authorization: Bearer <this>`.
REGISTRY_NOTIFICATION_SECRET = env("IMAGESTREAMS_REGISTRY_NOTIFICATION_SECRET")
# Outgoing trigger webhooks (deliveries).
TRIGGER_TIMEOUT = envfloat("IMAGESTREAMS_TRIGGER_TIMEOUT", 10.0)
TRIGGER_MAX_ATTEMPTS = envint("IMAGESTREAMS_TRIGGER_MAX_ATTEMPTS", 8)
TRIGGER_RETRY_BASE_SECONDS = envfloat("IMAGESTREAMS_TRIGGER_RETRY_BASE_SECONDS", 10.0)
TRIGGER_RETRY_MAX_SECONDS = envfloat("IMAGESTREAMS_TRIGGER_RETRY_MAX_SECONDS", 3600.0)
TRIGGER_DISABLE_AFTER_FAILURES = envint("IMAGESTREAMS_TRIGGER_DISABLE_AFTER", 5)
# Refuse deliveries to loopback/private/link-local addresses (SSRF) unless
# allowed; allowed by default in development, like imports (see Security below),
# so that a receiver on the same machine works when trying things out.
TRIGGER_ALLOW_PRIVATE_ADDRESSES = envbool("IMAGESTREAMS_TRIGGER_ALLOW_PRIVATE_ADDRESSES", DEBUG)
# Git write-back triggers: the longest one attempt may take (every git command
# included), the largest file they edit, and how often a rejected push is
# fetched, re-applied and pushed again within one attempt.
TRIGGER_GIT_TIMEOUT = envfloat("IMAGESTREAMS_TRIGGER_GIT_TIMEOUT", 120.0)
TRIGGER_GIT_MAX_FILE_BYTES = envint("IMAGESTREAMS_TRIGGER_GIT_MAX_FILE_BYTES", 1024 * 1024)
TRIGGER_GIT_PUSH_RETRIES = envint("IMAGESTREAMS_TRIGGER_GIT_PUSH_RETRIES", 5)
# A change not fanned out or a delivery still waiting this long is re-queued by the sweep.
TRIGGERS_REQUEUE_AFTER_SECONDS = envfloat("IMAGESTREAMS_TRIGGERS_REQUEUE_AFTER", 60.0)
# A push to the integrated registry still waiting this long is re-queued by its sweep.
REGISTRY_EVENTS_REQUEUE_AFTER_SECONDS = envfloat("IMAGESTREAMS_REGISTRY_EVENTS_REQUEUE_AFTER", 60.0)

if PRUNE_SCHEDULE:
    _cron = PRUNE_SCHEDULE.split()
    try:
        if len(_cron) != 5:
            raise ValueError("it needs five fields")
        _prune_when = crontab(
            minute=_cron[0],
            hour=_cron[1],
            day_of_month=_cron[2],
            month_of_year=_cron[3],
            day_of_week=_cron[4],
        )
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"IMAGESTREAMS_PRUNE_SCHEDULE must be a cron expression such as '0 0 * * *', "
            f"got {PRUNE_SCHEDULE!r}: {_error}"
        ) from None
    CELERY_BEAT_SCHEDULE["prune-images"] = {
        "task": "imagestreams.operations.tasks.prune_images_task",
        "schedule": _prune_when,
        "options": {"expires": 3600.0},
    }

DATA_DIR.mkdir(parents=True, exist_ok=True)

# LOG_FORMAT=json: one JSON object per line, with project/stream/tag fields
# on import and delivery lines (imagestreams.operations.logs).
LOG_FORMAT = env("LOG_FORMAT", "plain").lower()
try:
    LOGGING = logging_config(log_format=LOG_FORMAT, level=env("LOG_LEVEL", "INFO"))
except ValueError as _error:
    raise ImproperlyConfigured(str(_error)) from None

# --- Security (docs/reliability.md) -------------------------------------------
# Imports may connect to loopback, private, link-local and metadata addresses
# only when allowed (SSRF, imagestreams.registry.netguard); allowed by default
# in development, where the registry often runs on the same machine.
IMPORT_ALLOW_PRIVATE_ADDRESSES = envbool("IMAGESTREAMS_IMPORT_ALLOW_PRIVATE_ADDRESSES", DEBUG)

# How long a web process trusts an API token it has checked (revocation,
# expiry and disabled accounts take effect within this); 0: check every request.
AUTH_CACHE_SECONDS = envfloat("IMAGESTREAMS_AUTH_CACHE_SECONDS", 10.0)

# The cache holds the rate limits' counters: shared by every web process
# through Redis when REDIS_URL is set, per process otherwise.
REDIS_URL = env("REDIS_URL")
CACHES = {
    "default": (
        {
            "BACKEND": "imagestreams.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "imagestreams"),
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# "<attempts>/<seconds>" (imagestreams.ratelimit). Failed password checks
# (sign-in forms, HTTP Basic on the API, /registry/token) per username and
# client address, and per client address whatever the username; API token
# creations per user.
RATE_LIMIT_SIGNIN = env("IMAGESTREAMS_RATE_LIMIT_SIGNIN", "10/300")
RATE_LIMIT_SIGNIN_ADDRESS = env("IMAGESTREAMS_RATE_LIMIT_SIGNIN_ADDRESS", "30/300")
RATE_LIMIT_TOKENS = env("IMAGESTREAMS_RATE_LIMIT_TOKENS", "20/600")
# Reverse proxies in front of the web processes: the client address is then
# the one this many hops from the end of X-Forwarded-For.
TRUSTED_PROXIES = envint("IMAGESTREAMS_TRUSTED_PROXIES", 0)

# Headers (SecurityMiddleware, imagestreams.security). The proxy in front
# terminates TLS: name the header it sets to "https" (X-Forwarded-Proto).
if _proxy_header := env("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Scripts and styles come from our own static files only; inline styles are
# allowed for the API docs (Swagger UI). Empty: no header.
CONTENT_SECURITY_POLICY = env(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'",
)
MIDDLEWARE.insert(1, "imagestreams.security.ContentSecurityPolicyMiddleware")

if not DEBUG:
    SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    # Callers inside the deployment that speak plain HTTP and follow no
    # redirect: the integrated registry's notifications, probes, scrapers.
    SECURE_REDIRECT_EXEMPT = envlist(
        "SECURE_REDIRECT_EXEMPT", r"^hooks/registry/?$,^healthz?(/|$),^metrics/?$"
    )
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
