"""One settings module for every environment, read from the environment (twelve-factor).

Integrations switch on when their URL is present; nothing exists only in production.
The embedded default (no environment at all) is what `make run` serves: SQLite under var/.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("KOTACERDAS_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# The embedded default makes its own secret in var/ on first run (see `make run`); production
# sets SECRET_KEY explicitly.
_secret_file = VAR_DIR / "secret_key"
SECRET_KEY = env.str(
    "SECRET_KEY",
    default=_secret_file.read_text().strip()
    if _secret_file.exists()
    else "insecure-dev-key-change-me",
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Demo mode seeds demo accounts and shows a "demo" ribbon. Never on in production.
KOTACERDAS_DEMO = env.bool("KOTACERDAS_DEMO", default=False)
KOTACERDAS_REGION_ROOT = env.str("KOTACERDAS_REGION_ROOT", default="62.02")
KOTACERDAS_REGION_NAME = env.str("KOTACERDAS_REGION_NAME", default="Kabupaten Kotawaringin Timur")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "kotacerdas.core",
    "kotacerdas.regions",
    "kotacerdas.facilities",
    "kotacerdas.accounts",
    "kotacerdas.council",
    "kotacerdas.reports",
    "kotacerdas.emergency",
    "kotacerdas.hotspots",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kotacerdas.core.middleware.WhiteNoiseMiddleware",
    "kotacerdas.core.middleware.RequestIdMiddleware",
    "kotacerdas.core.middleware.ApiErrorShapeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "kotacerdas.core.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kotacerdas.core.middleware.MetricsMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last (innermost): keeps the chain in sync mode under ASGI; see kotacerdas.core.middleware.
    "kotacerdas.core.middleware.SyncBoundaryMiddleware",
]

ROOT_URLCONF = "kotacerdas.urls"
ASGI_APPLICATION = "kotacerdas.asgi.application"
WSGI_APPLICATION = "kotacerdas.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kotacerdas" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kotacerdas.core.context_processors.platform",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'kotacerdas.sqlite3'}"),
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while one of them writes; IMMEDIATE makes a
    # write transaction take its lock at BEGIN so concurrent writers queue instead of failing.
    _db.setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    )
elif "postgresql" in _db["ENGINE"]:
    _db["ENGINE"] = "django.db.backends.postgresql"
    if env.bool("DATABASE_POOL", default=False):
        # Under ASGI, connections are per-request; psycopg's pool keeps them warm.
        _db["CONN_MAX_AGE"] = 0
        _db.setdefault("OPTIONS", {})["pool"] = {"min_size": 2, "max_size": 16, "timeout": 10}
    else:
        _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
        _db["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, sessions at scale) ---------------------------------------------------
# Default: the database cache, shared by every process on the machine. REDIS_URL switches to
# Redis for many web nodes.
if env.str("REDIS_URL", default=""):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.str("REDIS_URL"),
        },
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "kotacerdas_cache",
        }
    }

# Rendered fragments that only change with the code (per process, never shared).
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
}
# Public aggregates that may be a minute old (map cells, list counts): per process, no query.
CACHES["aggregates"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "aggregates",
    "TIMEOUT": 60,
}

# --- Tasks --------------------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "notifications"],
    }
}

# --- Accounts, passwords, sessions, 2FA, throttling ------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "kotacerdas.accounts.backends.AccountBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"
# Citizens stay signed in for two weeks on their own phone; staff sessions are a working day
# (set per login in accounts.services).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)
STAFF_SESSION_AGE = env.int("STAFF_SESSION_AGE", default=8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", default=False) else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_CALLABLE = "kotacerdas.accounts.views.lockout_response"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True

OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Kota Cerdas Kotim")
OTP_TOTP_TOLERANCE = 1

RATELIMIT_VIEW = "kotacerdas.core.errors.ratelimited_view"
RATELIMIT_SIGNUP = env.str("RATELIMIT_SIGNUP", default="10/h")
RATELIMIT_LOGIN = env.str("RATELIMIT_LOGIN", default="30/m")


# --- Personal data: NIK/KK encryption and keyed hash ------------------------------------------
# FIELD_ENCRYPTION_KEYS: comma-separated Fernet keys, newest first (MultiFernet rotation).
# PII_HASH_KEY: the HMAC key for exact lookup. Both default to keys derived from SECRET_KEY so
# the embedded default works; production sets them explicitly and keeps them out of backups.
def _derived_key(label: str) -> str:
    digest = hashlib.sha256(f"{label}:{SECRET_KEY}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[_derived_key("fernet")])
PII_HASH_KEY = env.str("PII_HASH_KEY", default=_derived_key("pii-hash"))

# Dukcapil identity verification adapter. The default is the local test double; production
# points DUKCAPIL_URL at the regency's Dukcapil web-service gateway.
DUKCAPIL_URL = env.str("DUKCAPIL_URL", default="")
DUKCAPIL_BACKEND = env.str(
    "DUKCAPIL_BACKEND",
    default=(
        "kotacerdas.accounts.dukcapil.HttpDukcapilAdapter"
        if DUKCAPIL_URL
        else "kotacerdas.accounts.dukcapil.LocalDukcapilDouble"
    ),
)

# --- API --------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 200
API_TOKEN_PREFIX = "kc_"  # noqa: S105 (a public prefix, not a secret)

# --- i18n, time -------------------------------------------------------------------------------
LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

# --- Static files and media ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
# Only built output and images are served; static/src holds sources for esbuild.
STATICFILES_DIRS = [("dist", BASE_DIR / "static" / "dist"), ("img", BASE_DIR / "static" / "img")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "/media/"
WHITENOISE_MAX_AGE = 3600

# Citizen reports: photo limits, rate limits (per account and per IP) and the agency that
# overdue reports escalate to after their agency head. Business policy (SLA days, the
# aspiration threshold, escalation delays) lives in the database (back office).
REPORTS_PHOTO_MAX_BYTES = env.int("REPORTS_PHOTO_MAX_BYTES", default=10 * 1024 * 1024)
REPORTS_PHOTO_MAX_COUNT = 3
REPORTS_RATE_USER = env.str("REPORTS_RATE_USER", default="10/h")
REPORTS_RATE_IP = env.str("REPORTS_RATE_IP", default="30/h")
REPORTS_ESCALATION_AGENCY = env.str("REPORTS_ESCALATION_AGENCY", default="diskominfo")
REPORTS_INDICATOR_CACHE_SECONDS = env.int("REPORTS_INDICATOR_CACHE_SECONDS", default=60)
# Open311 GeoReport v2 (/open311/v2/): the jurisdiction_id this endpoint answers for.
OPEN311_JURISDICTION_ID = env.str("OPEN311_JURISDICTION_ID", default="kotimkab.go.id")

# Travel time (kotacerdas/core/routing.py). By default a straight-line estimate: distance x
# circuity / speed, urban speed when both ends are in a kelurahan, rural otherwise. Set
# ROUTING_OSRM_URL to an OSRM-compatible table service to use real roads instead.
ROUTING_CIRCUITY = env.float("ROUTING_CIRCUITY", default=1.4)
ROUTING_SPEED_URBAN_KMH = env.float("ROUTING_SPEED_URBAN_KMH", default=30.0)
ROUTING_SPEED_RURAL_KMH = env.float("ROUTING_SPEED_RURAL_KMH", default=50.0)
ROUTING_OSRM_URL = env.str("ROUTING_OSRM_URL", default="")
ROUTING_OSRM_PROFILE = env.str("ROUTING_OSRM_PROFILE", default="driving")
ROUTING_OSRM_TIMEOUT = env.float("ROUTING_OSRM_TIMEOUT", default=2.0)
# The 119 desk: how long a citizen's repeated button press counts as the same call, how far
# outside Kotim a crew phone's position is still believed (a unit may drive to Palangka Raya),
# and how often the live board's stream looks for changes.
EMERGENCY_DUPLICATE_CALL_SECONDS = env.int("EMERGENCY_DUPLICATE_CALL_SECONDS", default=300)
EMERGENCY_POSITION_MAX_OUTSIDE_M = env.float("EMERGENCY_POSITION_MAX_OUTSIDE_M", default=150_000.0)
# A red call prefers an ambulance with a paramedic unless a plain one arrives this much sooner.
EMERGENCY_PARAMEDIC_PREFERENCE_SECONDS = env.int(
    "EMERGENCY_PARAMEDIC_PREFERENCE_SECONDS", default=600
)
EMERGENCY_STREAM_POLL_SECONDS = env.float("EMERGENCY_STREAM_POLL_SECONDS", default=0.3)
EMERGENCY_STREAM_MAX_SECONDS = env.float("EMERGENCY_STREAM_MAX_SECONDS", default=300.0)

# Fire detection (kotacerdas/hotspots). Hotspots chain into one fire event when they lie within
# FIRES_EVENT_RADIUS_M and FIRES_EVENT_WINDOW_HOURS of each other (docs/modules/fires.md).
# Where the platform is served, for links in e-mail and SMS (no trailing slash).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
FIRES_EVENT_RADIUS_M = env.float("FIRES_EVENT_RADIUS_M", default=1000.0)
FIRES_EVENT_WINDOW_HOURS = env.float("FIRES_EVENT_WINDOW_HOURS", default=48.0)
# Which agencies' officers see and manage fires regency-wide (BPBD, DLH, Damkar).
FIRES_AGENCY_CODES = env.list("FIRES_AGENCY_CODES", default=["bpbd", "dlh", "damkar"])
# An event alerts when one of its hotspots reaches this confidence (rendah/sedang/tinggi) and
# is of an alerting FIRMS type (0 vegetation fire; empty for NRT files), and only while fresh.
FIRES_ALERT_MIN_CONFIDENCE = env.str("FIRES_ALERT_MIN_CONFIDENCE", default="sedang")
FIRES_ALERT_TYPES = env.list("FIRES_ALERT_TYPES", cast=int, default=[0])
FIRES_ALERT_MAX_AGE_HOURS = env.float("FIRES_ALERT_MAX_AGE_HOURS", default=24.0)
FIRES_ALERT_MAX_ATTEMPTS = env.int("FIRES_ALERT_MAX_ATTEMPTS", default=5)
FIRES_ALERT_RETRY_SECONDS = env.int("FIRES_ALERT_RETRY_SECONDS", default=60)
# A citizen's or caller's fire report is linked to a satellite event this close in space/time.
FIRES_LINK_RADIUS_M = env.float("FIRES_LINK_RADIUS_M", default=3000.0)
FIRES_LINK_WINDOW_HOURS = env.float("FIRES_LINK_WINDOW_HOURS", default=72.0)
FIRES_IMPORT_MAX_BYTES = env.int("FIRES_IMPORT_MAX_BYTES", default=25 * 1024 * 1024)
FIRES_PHOTO_MAX_BYTES = env.int("FIRES_PHOTO_MAX_BYTES", default=10 * 1024 * 1024)
# NASA FIRMS area API: the MAP_KEY (free, from firms.modaps.eosdis.nasa.gov/api/map_key/); empty
# means the scheduled fetch reports that it is not configured and does nothing.
FIRMS_MAP_KEY = env.str("FIRMS_MAP_KEY", default="")
FIRMS_API_URL = env.str("FIRMS_API_URL", default="https://firms.modaps.eosdis.nasa.gov")
FIRMS_SOURCES = env.list("FIRMS_SOURCES", default=["VIIRS_SNPP_NRT", "VIIRS_NOAA20_NRT"])
FIRMS_DAYS = env.int("FIRMS_DAYS", default=2)
FIRMS_TIMEOUT = env.float("FIRMS_TIMEOUT", default=30.0)
# SMS/WhatsApp gateway (a Fonnte-compatible HTTP API). Empty URL: the channel is not used.
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env.str("SMS_GATEWAY_TOKEN", default="")
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=10.0)
# Building sensors: the MQTT broker the listener (manage.py mqtt_listen) subscribes to, how far
# a message's timestamp may be from now, and how many missed heartbeats make a sensor offline.
MQTT_URL = env.str("MQTT_URL", default="mqtt://127.0.0.1:1883")
MQTT_TOPIC_PREFIX = env.str("MQTT_TOPIC_PREFIX", default="kotacerdas/sensors")
SENSOR_REPLAY_WINDOW_SECONDS = env.int("SENSOR_REPLAY_WINDOW_SECONDS", default=300)
SENSOR_MISSED_HEARTBEATS = env.int("SENSOR_MISSED_HEARTBEATS", default=3)

# Base map tiles. Empty by default: the maps draw Kotim's own boundaries and need no network.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="")
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="")
# Point -> desa lookup: a point in no polygon goes to the nearest desa within this many metres
# (the boundary data leaves the Mentaya river partly uncovered; see regions/lookup.py), and
# each process checks for a newly imported region tree at most this often.
REGION_LOOKUP_TOLERANCE_M = env.float("REGION_LOOKUP_TOLERANCE_M", default=250.0)
REGION_LOOKUP_RECHECK_SECONDS = env.float("REGION_LOOKUP_RECHECK_SECONDS", default=30.0)

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="filemail://" + str(VAR_DIR / "mail"))
vars().update(EMAIL_CONFIG)
if EMAIL_CONFIG.get("EMAIL_BACKEND", "").endswith("filebased.EmailBackend"):
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kota Cerdas Kotim <noreply@localhost>")

# --- Operations -------------------------------------------------------------------------------
# /metrics answers staff with the "core.view_metrics" capability, and scrapers presenting
# METRICS_TOKEN as a bearer token (so Prometheus needs no account).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
WORKER_HEARTBEAT_STALE_SECONDS = env.int("WORKER_HEARTBEAT_STALE_SECONDS", default=180)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
    },
}
CSRF_FAILURE_VIEW = "kotacerdas.core.errors.csrf_failure"

# SQLite cannot enforce the membership uniqueness over NULL agency/region (NULLS NOT DISTINCT);
# accounts.services.membership_create checks it under a lock on both databases, and PostgreSQL
# enforces it with the constraint as the last line.
SILENCED_SYSTEM_CHECKS = ["models.W047"]
