"""Settings for Resonance, read from the environment with safe embedded defaults.

Development (the default) runs on SQLite with Celery tasks executed in-process, so a
fresh checkout works with no servers. Production (``DJANGO_ENV=production``) refuses to
start without a real ``SECRET_KEY`` and turns on the secure cookie/HSTS settings.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from resonance import indicators

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
IS_PRODUCTION = DJANGO_ENV == "production"

# Local state (SQLite file, uploads, generated secret) lives under var/, never served.
VAR_DIR = Path(env.str("RESONANCE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _development_secret_key() -> str:
    """A random key generated once per checkout, so no secret is committed."""
    from django.core.management.utils import get_random_secret_key

    key_file = VAR_DIR / "dev-secret-key"
    if not key_file.exists():
        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if IS_PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production.")
    SECRET_KEY = _development_secret_key()
elif IS_PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured("SECRET_KEY is too weak for production (use 50+ random chars).")

# Earlier keys still accepted for signatures and still able to decrypt integration secrets:
# rotate SECRET_KEY by moving the old one here.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

DEBUG = env.bool("DEBUG", default=not IS_PRODUCTION)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "accounts",
    "teams",
    "inference",
    "metrics",
    "alerts",
    "excuses",
    "training",
    "demo",
    "audit",
    "outbox",
    "sso",
    "provisioning",
    "chat",
    "calendars",
    # Company sign-in (sso): only the providers' sign-in routes are mounted (sso/urls.py).
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "resonance.middleware.SignedInPagesAreNotStored",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "sso.middleware.ProviderLogoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, so that lockouts see the authenticated request.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "resonance.urls"
WSGI_APPLICATION = "resonance.wsgi.application"

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
                "resonance.context_processors.signal_profile",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'resonance.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if IS_PRODUCTION else 0)
# A persistent connection the database has dropped (a restart, a failover) is replaced at the
# start of the next request instead of failing it with a 500.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the in-process worker and the web request share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
# A streaming replica for the read-heavy team pages (resonance/db_router.py): the dashboard,
# its CSV export and the heatmap API read published team figures from it; every write, and
# every read of users, sessions and personal data, stays on the primary.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_HEALTH_CHECKS"]
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["resonance.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Refuses password sign-in when LOCAL_PASSWORDS=false (exempt accounts excepted).
    "sso.backends.LocalPasswordPolicy",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}


def _immutable_static(path: str, url: str) -> bool:
    """Cache forever: files with a content hash in the name (collectstatic's manifest), and the
    vendored ONNX Runtime Web, whose folder names its version."""
    import re

    return bool(re.search(r"\.[0-9a-f]{12}\.\w+$", url)) or "/vendor/onnxruntime-web/" in url


WHITENOISE_IMMUTABLE_FILE_TEST = _immutable_static
# Uploads (biometric media) live outside any served folder; no URL ever maps to them.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Required by Django; no URL pattern maps it, so uploads are never served.
MEDIA_URL = "/media-is-never-served/"

# --- Uploads --------------------------------------------------------------
# Checked by our own code while streaming; Django's limits don't count files.
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
# Keep raw images/audio after scoring for this many days (0 = delete right after scoring).
MEDIA_RETENTION_DAYS = env.int("MEDIA_RETENTION_DAYS", default=0)
# A check-in still pending after this long never reached a worker; the sweep re-enqueues it.
CHECKIN_PENDING_SWEEP_SECONDS = env.int("CHECKIN_PENDING_SWEEP_SECONDS", default=60)
# Scoring a check-in takes well under a second; a claim older than the hard limit plus a grace
# (metrics.services.scoring.CLAIM_GRACE_SECONDS) belongs to a worker that died, and the sweep
# (every 30 s) hands it to another: a killed worker's check-in is picked up within 2 minutes.
# /healthz reports the outbox as failing when a task has waited longer than this to be sent.
OUTBOX_STALE_SECONDS = env.int("OUTBOX_STALE_SECONDS", default=60)
CHECKIN_SCORING_SOFT_TIME_LIMIT = env.int("CHECKIN_SCORING_SOFT_TIME_LIMIT", default=45)
CHECKIN_SCORING_TIME_LIMIT = env.int("CHECKIN_SCORING_TIME_LIMIT", default=60)

# --- REST API -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.RevocableJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "resonance.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "checkin": env.str("CHECKIN_RATE", default="30/hour"),
        # Checking a photo before sending it (a retake each time the gate says no).
        "photo_check": env.str("PHOTO_CHECK_RATE", default="120/hour"),
        "excuse": env.str("EXCUSE_RATE", default="30/hour"),
        # Scores computed on a device cannot be checked against media: fewer per day.
        "device_checkin": env.str("DEVICE_CHECKIN_RATE", default="12/day"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Rate-limit counters live here: set CACHE_URL (e.g. redis://host:6379/1) when several web
# processes serve traffic, otherwise each process counts on its own.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
_PER_PROCESS_CACHES = ("LocMemCache", "DummyCache")
if IS_PRODUCTION and CACHES["default"]["BACKEND"].rsplit(".", 1)[-1] in _PER_PROCESS_CACHES:
    raise ImproperlyConfigured(
        "Set CACHE_URL to a shared cache (e.g. redis://redis:6379/1) when DJANGO_ENV=production: "
        "rate limits are counted there, and a per-process cache lets every web process count "
        "on its own."
    )
SPECTACULAR_SETTINGS = {
    "TITLE": "Resonance API",
    "DESCRIPTION": "Daily check-ins, team aggregates, alerts and meeting-excuse emails.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "resonance.schema.add_error_responses",
    ],
}

# Access tokens are never checked against the blacklist, so they stay short.
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=env.int("JWT_REFRESH_HOURS", default=24)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": SECRET_KEY,
    "TOKEN_OBTAIN_SERIALIZER": "accounts.serializers.TokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "accounts.serializers.TokenRefreshSerializer",
}
# Rotation resets the refresh expiry each time; this caps a login session absolutely.
JWT_SESSION_MAX_HOURS = env.int("JWT_SESSION_MAX_HOURS", default=24 * 7)

# --- Brute-force protection (django-axes) ---------------------------------
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

# --- Celery ---------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# No broker configured: run tasks in-process (the embedded default).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers unacked tasks after this; every time limit stays well below it.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_TASK_DEFAULT_QUEUE = "resonance"
# Where Celery beat keeps its last-run times: under var/, not the working directory.
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The whole periodic schedule, in one place, in CELERY_TIMEZONE.
CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-checkins": {
        "task": "metrics.tasks.sweep_stuck_checkins",
        "schedule": timedelta(seconds=30),
    },
    # The relay_outbox process sends queued tasks within a fraction of a second; this catches
    # up if it is not running.
    "relay-outbox": {
        "task": "outbox.tasks.relay_outbox",
        "schedule": timedelta(seconds=10),
    },
    "daily-alert-evaluation": {
        "task": "alerts.tasks.evaluate_all_alerts",
        "schedule": crontab(hour=env.int("ALERTS_DAILY_HOUR", default=6), minute=0),
    },
    "daily-checkin-reminders": {
        "task": "alerts.tasks.send_checkin_reminders",
        "schedule": crontab(hour=env.int("REMINDER_HOUR", default=16), minute=0),
    },
    # Slack and Teams reminders go out from CHAT_REMINDER_HOUR in each employee's own time
    # zone, so the task looks every hour (at most one a day each).
    "chat-checkin-reminders": {
        "task": "chat.tasks.queue_chat_reminders",
        "schedule": crontab(minute=env.int("CHAT_REMINDER_MINUTE", default=5)),
    },
    # Publishes team weeks and months as they close around the world (idempotent; see
    # teams.publication).
    "publish-team-days": {
        "task": "teams.tasks.publish_team_days",
        "schedule": crontab(minute=env.int("PUBLICATION_MINUTE", default=15)),
    },
    # PostgreSQL: monthly partitions of daily metrics and published periods, created ahead
    # (resonance.partitions).
    "daily-metric-partitions": {
        "task": "metrics.tasks.maintain_partitions",
        "schedule": crontab(hour=2, minute=30),
    },
    # Meeting load from every connected calendar, read once a day (calendars.tasks).
    "daily-calendar-sync": {
        "task": "calendars.tasks.sync_all_calendars",
        "schedule": crontab(hour=env.int("CALENDAR_SYNC_HOUR", default=5), minute=40),
    },
}
# Months of daily-metric partitions kept ready ahead of today, and how many months back they
# stay attached (0: all); a detached month stays a plain table, to archive or drop.
DAILY_METRIC_PARTITIONS_AHEAD = env.int("DAILY_METRIC_PARTITIONS_AHEAD", default=3)
DAILY_METRIC_RETENTION_MONTHS = env.int("DAILY_METRIC_RETENTION_MONTHS", default=0)

# --- Inference ------------------------------------------------------------
MODELS_DIR = Path(env.str("MODELS_DIR", default=str(BASE_DIR / "models")))
# ONNX Runtime threads per session: worker concurrency x threads must not exceed cores.
ORT_INTRA_OP_THREADS = env.int("ORT_INTRA_OP_THREADS", default=1)
# Exact int8 kernels: "auto" uses them on x86 CPUs without VNNI only (where the fast ones
# saturate), "on" everywhere, "off" nowhere (see inference.sessions.exact_int8_kernels_needed).
ORT_EXACT_INT8 = env.str("ORT_EXACT_INT8", default="auto")
# The bundled voice-activity model (Silero VAD, pinned by sha256 in inference/vad.py). Not under
# MODELS_DIR: that folder holds registered, replaceable models and may be a separate volume.
VAD_MODEL_PATH = Path(
    env.str("VAD_MODEL_PATH", default=str(BASE_DIR / "models" / "vad" / "silero_vad.onnx"))
)
# The bundled face detector and face mesh (MediaPipe's, converted to ONNX; manifest.json pins
# their sha256). Shipped with the code for the same reason.
FACE_MODELS_DIR = Path(env.str("FACE_MODELS_DIR", default=str(BASE_DIR / "models" / "face")))
# The bundled pretrained voice encoder (resemblyzer's, converted to ONNX; manifest.json pins it).
VOICE_ENCODER_DIR = Path(
    env.str("VOICE_ENCODER_DIR", default=str(BASE_DIR / "models" / "voice_encoder"))
)

# --- Product rules --------------------------------------------------------
# Aggregates over fewer distinct employees than this are suppressed everywhere.
MIN_GROUP_SIZE = env.int("MIN_GROUP_SIZE", default=5)
if MIN_GROUP_SIZE < 3:
    raise ImproperlyConfigured("MIN_GROUP_SIZE must be at least 3 to protect privacy.")
# --- Published team aggregates (what managers see) ------------------------
# A team-day is published this long after it has ended in every member's time zone, so the
# last check-ins of the day are scored first. Published days never change afterwards.
PUBLICATION_GRACE_HOURS = env.int("PUBLICATION_GRACE_HOURS", default=6)
# How far back the publication task looks for closed days not yet published.
PUBLICATION_LOOKBACK_DAYS = env.int("PUBLICATION_LOOKBACK_DAYS", default=100)
# Teams per page of the team dashboard (an admin sees every team: a page at a time).
DASHBOARD_TEAMS_PER_PAGE = env.int("DASHBOARD_TEAMS_PER_PAGE", default=25)
# Differential privacy, accounted per person (teams/publication.py, docs/privacy.md).
# What one release costs each person whose data is in it; a person's spending is capped per
# calendar month and per year, and a release that would pass a cap is withheld.
PRIVACY_CAP_MONTH = env.float("PRIVACY_CAP_MONTH", default=10.0)
PRIVACY_CAP_YEAR = env.float("PRIVACY_CAP_YEAR", default=120.0)
# Weekly FlowScore cells: the noisy contributor count and the noisy FlowScore sum.
PRIVACY_EPSILON_WEEK_COUNT = env.float("PRIVACY_EPSILON_WEEK_COUNT", default=0.55)
PRIVACY_EPSILON_WEEK_FLOW = env.float("PRIVACY_EPSILON_WEEK_FLOW", default=0.95)
# Monthly cells: a noisy roster band for every team (charged to every member); the other
# components (count and sum
# together, each), the contributor count and the at-risk count only for teams with at least
# PRIVACY_MONTH_MIN_GROUP contributors, where that much noise still leaves a readable figure.
PRIVACY_EPSILON_MONTH_ROSTER = env.float("PRIVACY_EPSILON_MONTH_ROSTER", default=0.5)
PRIVACY_EPSILON_MONTH_COMPONENT = env.float("PRIVACY_EPSILON_MONTH_COMPONENT", default=0.4)
PRIVACY_EPSILON_MONTH_COUNT = env.float("PRIVACY_EPSILON_MONTH_COUNT", default=0.1)
PRIVACY_EPSILON_MONTH_AT_RISK = env.float("PRIVACY_EPSILON_MONTH_AT_RISK", default=0.5)
PRIVACY_MONTH_MIN_GROUP = env.int("PRIVACY_MONTH_MIN_GROUP", default=20)
for _name in (
    "PRIVACY_CAP_MONTH",
    "PRIVACY_CAP_YEAR",
    "PRIVACY_EPSILON_WEEK_COUNT",
    "PRIVACY_EPSILON_WEEK_FLOW",
    "PRIVACY_EPSILON_MONTH_ROSTER",
    "PRIVACY_EPSILON_MONTH_COMPONENT",
    "PRIVACY_EPSILON_MONTH_COUNT",
    "PRIVACY_EPSILON_MONTH_AT_RISK",
):
    if not 0 < globals()[_name] <= 1000:
        raise ImproperlyConfigured(f"{_name} must be above 0.")
# The lawful profile (resonance/indicators.py, docs/compliance.md): "standard" computes every
# indicator; "eu" leaves out emotion inference (voice stress), which the EU AI Act prohibits at
# work (Art. 5(1)(f)). Production must choose explicitly: the two differ in what is lawful.
SIGNAL_PROFILE = env.str("SIGNAL_PROFILE", default="standard")
if SIGNAL_PROFILE not in indicators.PROFILES:
    raise ImproperlyConfigured(
        f"SIGNAL_PROFILE must be one of {', '.join(indicators.PROFILES)}, not {SIGNAL_PROFILE!r}."
    )
if IS_PRODUCTION and "SIGNAL_PROFILE" not in os.environ:
    raise ImproperlyConfigured(
        "Set SIGNAL_PROFILE (standard or eu) when DJANGO_ENV=production: 'eu' leaves out the "
        "emotion inference the EU AI Act prohibits at work; see docs/compliance.md."
    )
# FlowScore component weights (risk is the weighted mean of the components present), one
# FLOW_WEIGHT_<INDICATOR> each over the defaults declared in resonance/indicators.py.
FLOW_WEIGHTS = {
    key: env.float(f"FLOW_WEIGHT_{key.upper()}", default=weight)
    for key, weight in indicators.default_flow_weights().items()
}
# Alert rule thresholds (alerts/rules.py); windows are in days, FlowScore in points 0-100.
ALERT_THRESHOLDS = {
    "window_days": env.int("ALERT_WINDOW_DAYS", default=7),
    "min_days": env.int("ALERT_MIN_DAYS", default=3),
    "sustained_burnout": env.float("ALERT_SUSTAINED_BURNOUT", default=0.7),
    "sustained_of_last": env.int("ALERT_SUSTAINED_OF_LAST", default=5),
    "sustained_min_hits": env.int("ALERT_SUSTAINED_MIN_HITS", default=3),
    "low_flow_medium": env.float("ALERT_LOW_FLOW_MEDIUM", default=40.0),
    "low_flow_high": env.float("ALERT_LOW_FLOW_HIGH", default=30.0),
    "decline_points": env.float("ALERT_DECLINE_POINTS", default=15.0),
    "team_low_flow": env.float("ALERT_TEAM_LOW_FLOW", default=50.0),
    "team_decline_points": env.float("ALERT_TEAM_DECLINE_POINTS", default=10.0),
    "team_at_risk_share": env.float("ALERT_TEAM_AT_RISK_SHARE", default=0.30),
}

# --- Email ----------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Resonance <no-reply@resonance.local>")
if "EMAIL_URL" in env:
    vars().update(env.email_url("EMAIL_URL"))

# Optional OpenAI-compatible endpoint for meeting-excuse wording.
EXCUSE_LLM_URL = env.str("EXCUSE_LLM_URL", default="")
EXCUSE_LLM_MODEL = env.str("EXCUSE_LLM_MODEL", default="default")
EXCUSE_LLM_API_KEY = env.str("EXCUSE_LLM_API_KEY", default="")
EXCUSE_LLM_TIMEOUT = min(env.float("EXCUSE_LLM_TIMEOUT", default=8.0), 10.0)

# --- Private mode (check-ins scored on the employee's device) ---------------
# off: media go to the server (default); optional: each employee chooses on My data;
# required: every browser check-in is scored on the device and only scores are sent.
PRIVATE_MODE = env.str("PRIVATE_MODE", default="off")
if PRIVATE_MODE not in ("off", "optional", "required"):
    raise ImproperlyConfigured("PRIVATE_MODE must be off, optional or required.")

# --- Security ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if IS_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Container health checks call http://127.0.0.1:8000/healthz from inside the container:
    # no TLS and no public host name there, so the probe is neither redirected nor refused.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    ALLOWED_HOSTS += [
        host
        for host in env.list("HEALTHCHECK_HOSTS", default=["127.0.0.1", "localhost"])
        if host not in ALLOWED_HOSTS
    ]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# No inline scripts anywhere; plotly.js and page scripts are static files.
# Plotly sets inline styles, hence 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"expected_client_errors": {"()": "resonance.logging.ExpectedClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"filters": ["expected_client_errors"]},
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# Integration secrets (bot tokens, webhook URLs, calendar passwords, provisioning tokens) are
# stored encrypted with keys derived from SECRET_KEY (and SECRET_KEY_FALLBACKS, for rotation).
SALT_KEY = env.list("FIELD_ENCRYPTION_SALTS", default=["resonance-integration-secrets"])

# --- Company sign-in (sso) ---
# OpenID Connect through django-allauth (docs/sign-in.md). With OIDC_SERVER_URL unset there is
# no company button and sign-in works exactly as before.
# The issuer URL; discovery reads <url>/.well-known/openid-configuration.
OIDC_SERVER_URL = env.str("OIDC_SERVER_URL", default="").rstrip("/")
# Shown on the button: "Sign in with <name>".
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="your company account")
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_SCOPES = env.list("OIDC_SCOPES", default=["openid", "profile", "email"])
# Names the stored identities (SocialAccount.provider) and the callback route; changing it
# after people have signed in makes them new identities, so it is fixed here.
OIDC_PROVIDER_ID = "company"
# A claim naming the person's team: a string, or a list (groups) of which the first that names
# a team is used. Empty: teams are left as they are.
OIDC_TEAM_CLAIM = env.str("OIDC_TEAM_CLAIM", default="")
# Create a team the claim names when none has that name (off: only existing teams are used).
OIDC_CREATE_TEAMS = env.bool("OIDC_CREATE_TEAMS", default=False)
# A claim (string or list) and the claim values that make someone a manager or an admin;
# everyone else is an employee. Empty claim: roles are managed in admin and never changed here.
OIDC_ROLE_CLAIM = env.str("OIDC_ROLE_CLAIM", default="")
OIDC_MANAGER_VALUES = env.list("OIDC_MANAGER_VALUES", default=[])
OIDC_ADMIN_VALUES = env.list("OIDC_ADMIN_VALUES", default=[])
# First sign-in of someone unknown creates their account (off: only existing accounts).
OIDC_CREATE_USERS = env.bool("OIDC_CREATE_USERS", default=True)
# Link an existing account by email, only when the provider says the address is verified.
OIDC_MATCH_VERIFIED_EMAIL = env.bool("OIDC_MATCH_VERIFIED_EMAIL", default=True)
# Signing out also signs out at the provider when it offers an end_session_endpoint.
OIDC_PROVIDER_LOGOUT = env.bool("OIDC_PROVIDER_LOGOUT", default=True)
# false: no password form, and password sign-in (web, admin, JWT API) only for superusers and
# members of LOCAL_PASSWORD_GROUP (service accounts of API clients).
LOCAL_PASSWORDS = env.bool("LOCAL_PASSWORDS", default=True)
LOCAL_PASSWORD_GROUP = env.str("LOCAL_PASSWORD_GROUP", default="Password sign-in")
if OIDC_SERVER_URL and not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET):
    raise ImproperlyConfigured("OIDC_SERVER_URL is set: set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET.")
if OIDC_SERVER_URL and IS_PRODUCTION and not OIDC_SERVER_URL.startswith("https://"):
    raise ImproperlyConfigured("OIDC_SERVER_URL must use https:// when DJANGO_ENV=production.")
# Timeout of each server-side request to the provider (OIDC discovery and tokens, SAML metadata).
SOCIALACCOUNT_REQUESTS_TIMEOUT = env.int("OIDC_TIMEOUT_SECONDS", default=5)

# SAML 2.0 through django-allauth's saml provider (python3-saml). With SAML_IDP_ENTITY_ID unset
# there is no SAML button and its routes answer 404.
# The IdP's entity ID (Issuer); with SAML_IDP_METADATA_URL the IdP's metadata gives the rest,
# otherwise SAML_IDP_SSO_URL (HTTP-Redirect) and SAML_IDP_X509CERT (its signing certificate).
SAML_IDP_ENTITY_ID = env.str("SAML_IDP_ENTITY_ID", default="")
SAML_IDP_METADATA_URL = env.str("SAML_IDP_METADATA_URL", default="")
SAML_IDP_SSO_URL = env.str("SAML_IDP_SSO_URL", default="")
SAML_IDP_X509CERT = env.str("SAML_IDP_X509CERT", default="")
# Where the IdP takes the answer to its single logout (HTTP-Redirect); from metadata otherwise.
SAML_IDP_SLO_URL = env.str("SAML_IDP_SLO_URL", default="")
# Shown on the button: "Sign in with <name>".
SAML_PROVIDER_NAME = env.str("SAML_PROVIDER_NAME", default="your company account")
# Our entity ID at the IdP; empty: the SP metadata URL (https://<host>/sso/saml/company/metadata/).
SAML_SP_ENTITY_ID = env.str("SAML_SP_ENTITY_ID", default="")
# The slug in the SAML routes and the name of stored identities (SocialAccount.provider); fixed
# for the same reason as OIDC_PROVIDER_ID.
SAML_APP_SLUG = "company"
SAML_PROVIDER_ID = "company-saml"
# Attribute names (comma-separated, first present wins) for each field; the defaults cover
# Entra ID, Okta and the LDAP/eduPerson OIDs. No uid attribute: the NameID is the subject, so
# ask the IdP for a persistent NameID (an email NameID changes when the address does).
SAML_ATTRIBUTE_UID = env.list(
    "SAML_ATTRIBUTE_UID", default=["urn:oasis:names:tc:SAML:attribute:subject-id"]
)
SAML_ATTRIBUTE_EMAIL = env.list(
    "SAML_ATTRIBUTE_EMAIL",
    default=[
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "urn:oid:0.9.2342.19200300.100.1.3",
        "email",
    ],
)
SAML_ATTRIBUTE_FIRST_NAME = env.list(
    "SAML_ATTRIBUTE_FIRST_NAME",
    default=[
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "urn:oid:2.5.4.42",
        "firstName",
    ],
)
SAML_ATTRIBUTE_LAST_NAME = env.list(
    "SAML_ATTRIBUTE_LAST_NAME",
    default=[
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "urn:oid:2.5.4.4",
        "lastName",
    ],
)
SAML_ATTRIBUTE_USERNAME = env.list("SAML_ATTRIBUTE_USERNAME", default=[])
# Exact attribute names (SAML names contain dots, so no nested paths) whose values give the
# team and the role, as OIDC_TEAM_CLAIM and OIDC_ROLE_CLAIM do.
SAML_TEAM_ATTRIBUTE = env.str("SAML_TEAM_ATTRIBUTE", default="")
SAML_ROLE_ATTRIBUTE = env.str("SAML_ROLE_ATTRIBUTE", default="")
SAML_MANAGER_VALUES = env.list("SAML_MANAGER_VALUES", default=[])
SAML_ADMIN_VALUES = env.list("SAML_ADMIN_VALUES", default=[])
SAML_CREATE_USERS = env.bool("SAML_CREATE_USERS", default=True)
SAML_CREATE_TEAMS = env.bool("SAML_CREATE_TEAMS", default=False)
# SAML has no email_verified: link existing accounts by address only when the IdP's addresses
# are ones the company controls (its own directory), never when people can edit them.
SAML_EMAIL_VERIFIED = env.bool("SAML_EMAIL_VERIFIED", default=False)
# Assertions must always be signed; some IdPs can also sign the whole Response.
SAML_WANT_MESSAGES_SIGNED = env.bool("SAML_WANT_MESSAGES_SIGNED", default=False)
SAML_ENABLED = bool(SAML_IDP_ENTITY_ID)
if SAML_ENABLED and not (SAML_IDP_METADATA_URL or (SAML_IDP_SSO_URL and SAML_IDP_X509CERT)):
    raise ImproperlyConfigured(
        "SAML_IDP_ENTITY_ID is set: set SAML_IDP_METADATA_URL, or SAML_IDP_SSO_URL and "
        "SAML_IDP_X509CERT."
    )
if not SAML_ENABLED and (SAML_IDP_METADATA_URL or SAML_IDP_SSO_URL):
    raise ImproperlyConfigured("SAML is half configured: set SAML_IDP_ENTITY_ID.")
if IS_PRODUCTION and any(
    url and not url.startswith("https://") for url in (SAML_IDP_METADATA_URL, SAML_IDP_SSO_URL)
):
    raise ImproperlyConfigured("SAML IdP URLs must use https:// when DJANGO_ENV=production.")
if not LOCAL_PASSWORDS and not (OIDC_SERVER_URL or SAML_ENABLED):
    raise ImproperlyConfigured(
        "LOCAL_PASSWORDS=false needs company sign-in: set OIDC_SERVER_URL or SAML_IDP_ENTITY_ID "
        "(docs/sign-in.md)."
    )
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "APPS": [
            {
                "provider_id": OIDC_PROVIDER_ID,
                "name": OIDC_PROVIDER_NAME,
                "client_id": OIDC_CLIENT_ID,
                "secret": OIDC_CLIENT_SECRET,
                "settings": {
                    "server_url": OIDC_SERVER_URL,
                    "oauth_pkce_enabled": True,
                    "scope": OIDC_SCOPES,
                },
            }
        ]
        if OIDC_SERVER_URL
        else [],
    },
    "saml": {
        "APPS": [
            {
                "provider_id": SAML_PROVIDER_ID,
                "client_id": SAML_APP_SLUG,
                "name": SAML_PROVIDER_NAME,
                "settings": {
                    "idp": {
                        "entity_id": SAML_IDP_ENTITY_ID,
                        "metadata_url": SAML_IDP_METADATA_URL,
                        "metadata_request_timeout": SOCIALACCOUNT_REQUESTS_TIMEOUT,
                        "sso_url": SAML_IDP_SSO_URL,
                        "x509cert": SAML_IDP_X509CERT,
                        "slo_url": SAML_IDP_SLO_URL,
                    },
                    "sp": {"entity_id": SAML_SP_ENTITY_ID},
                    "attribute_mapping": {
                        "uid": SAML_ATTRIBUTE_UID,
                        "email": SAML_ATTRIBUTE_EMAIL,
                        "first_name": SAML_ATTRIBUTE_FIRST_NAME,
                        "last_name": SAML_ATTRIBUTE_LAST_NAME,
                        "username": SAML_ATTRIBUTE_USERNAME,
                    },
                    "advanced": {
                        "strict": True,
                        "want_assertion_signed": True,
                        "want_message_signed": SAML_WANT_MESSAGES_SIGNED,
                        "reject_idp_initiated_sso": True,
                        "reject_deprecated_algorithm": True,
                    },
                },
            }
        ]
        if SAML_ENABLED
        else [],
    },
}
# Accounts are created and matched by sso.adapters only; allauth's own sign-up, email and
# password pages are not mounted.
SOCIALACCOUNT_ADAPTER = "sso.adapters.CompanySocialAccountAdapter"
ACCOUNT_ADAPTER = "sso.adapters.NoSignupAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
# Chromium applies form-action to the redirect after the sign-in button's POST, so the origins
# the buttons redirect to are allowed.
for _url, _extra in (
    (OIDC_SERVER_URL, "OIDC_EXTRA_FORM_ACTION"),
    (SAML_IDP_SSO_URL or SAML_IDP_METADATA_URL if SAML_ENABLED else "", "SAML_EXTRA_FORM_ACTION"),
):
    if _url:
        from urllib.parse import urlsplit as _urlsplit

        _parts = _urlsplit(_url)
        _form_action = CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"]
        for _origin in (f"{_parts.scheme}://{_parts.netloc}", *env.list(_extra, default=[])):
            if _origin not in _form_action:
                _form_action.append(_origin)

# --- Provisioning (provisioning) ---
# SCIM 2.0 at /scim/v2/ (provisioning/, docs/provisioning.md). Identity providers page
# through people and teams; no list answer holds more than this many resources.
SCIM_MAX_RESULTS = env.int("SCIM_MAX_RESULTS", default=100)

# --- Slack and Microsoft Teams (chat) ---
# The Slack Web API the bot token talks to (tests point it at a local server).
SLACK_API_URL = env.str("SLACK_API_URL", default="https://slack.com/api/")
# Link to Resonance in chat messages ("Check in", "Open the dashboard"); empty: no link.
CHAT_SITE_URL = env.str("CHAT_SITE_URL", default="").rstrip("/")
# Local hour (the employee's time zone) from which the day's chat reminder may go out.
CHAT_REMINDER_HOUR = env.int("CHAT_REMINDER_HOUR", default=16)
# Seconds one request to Slack or a Teams webhook may take before it counts as failed.
CHAT_REQUEST_TIMEOUT = env.float("CHAT_REQUEST_TIMEOUT", default=10.0)
# Retries of a message after a rate limit, a server error or a refused connection, with
# exponential backoff from CHAT_RETRY_BACKOFF seconds (a longer Retry-After wins), at most
# CHAT_RETRY_BACKOFF_MAX seconds apart.
CHAT_MAX_RETRIES = env.int("CHAT_MAX_RETRIES", default=6)
CHAT_RETRY_BACKOFF = env.float("CHAT_RETRY_BACKOFF", default=15.0)
CHAT_RETRY_BACKOFF_MAX = env.float("CHAT_RETRY_BACKOFF_MAX", default=900.0)
# Days a Slack user id found by email is trusted before it is looked up again.
SLACK_USER_CACHE_DAYS = env.int("SLACK_USER_CACHE_DAYS", default=7)
# /healthz reports a destination kind as failing when its last delivery within this many hours
# failed.
CHAT_HEALTH_WINDOW_HOURS = env.int("CHAT_HEALTH_WINDOW_HOURS", default=24)
# Teams webhook URLs must use HTTPS unless this is on (local test servers only).
CHAT_ALLOW_HTTP_WEBHOOKS = env.bool("CHAT_ALLOW_HTTP_WEBHOOKS", default=False)

# --- Calendars (calendars) ---
# Calendar URLs are fetched by the server: only https:// to globally routable addresses,
# unless this is on (tests, a calendar server inside the company network).
CALENDAR_ALLOW_PRIVATE_URLS = env.bool("CALENDAR_ALLOW_PRIVATE_URLS", default=False)
# Narrower: host names (exact, comma-separated) exempt from both rules, e.g. an on-premises
# CalDAV server (caldav.corp.internal); every other host stays under them.
CALENDAR_TRUSTED_HOSTS = env.list("CALENDAR_TRUSTED_HOSTS", default=[])
# A PEM bundle of the certificate authorities calendar servers are checked against, for a
# server with a company CA; empty: the public authorities (certifi).
CALENDAR_CA_BUNDLE = env.str("CALENDAR_CA_BUNDLE", default="")
# What one calendar fetch may cost: the body's size, connect and read timeouts, and a deadline
# for the whole fetch (a CalDAV account's requests together), so a hostile server cannot stall
# a worker.
CALENDAR_MAX_BYTES = env.int("CALENDAR_MAX_BYTES", default=5_000_000)
CALENDAR_CONNECT_TIMEOUT = env.float("CALENDAR_CONNECT_TIMEOUT", default=5.0)
CALENDAR_READ_TIMEOUT = env.float("CALENDAR_READ_TIMEOUT", default=10.0)
CALENDAR_TOTAL_TIMEOUT = env.float("CALENDAR_TOTAL_TIMEOUT", default=30.0)
# Days before today each sync reads again (invitations are accepted and declined late).
CALENDAR_SYNC_DAYS = env.int("CALENDAR_SYNC_DAYS", default=14)
if CALENDAR_SYNC_DAYS < 14:
    raise ImproperlyConfigured("CALENDAR_SYNC_DAYS must be at least 14.")
# Days after today read too: the week's meetings already planned (My trends shows them as
# coming; they are overwritten as the days pass). 0: up to today only.
CALENDAR_SYNC_DAYS_AHEAD = env.int("CALENDAR_SYNC_DAYS_AHEAD", default=7)
# The working day in each person's own time zone: meetings outside it are after-hours, and the
# longest focus block is looked for inside it.
CALENDAR_WORKDAY_START = env.str("CALENDAR_WORKDAY_START", default="09:00")
CALENDAR_WORKDAY_END = env.str("CALENDAR_WORKDAY_END", default="18:00")
CALENDAR_WORKDAYS = env.list("CALENDAR_WORKDAYS", default=["mon", "tue", "wed", "thu", "fri"])


def _minutes_of_day(value: str, name: str) -> int:
    hours, _, minutes = value.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        raise ImproperlyConfigured(f"{name} must be a time like 09:00, not {value!r}.")
    return int(hours) * 60 + int(minutes)


if _minutes_of_day(CALENDAR_WORKDAY_START, "CALENDAR_WORKDAY_START") >= _minutes_of_day(
    CALENDAR_WORKDAY_END, "CALENDAR_WORKDAY_END"
):
    raise ImproperlyConfigured("CALENDAR_WORKDAY_START must be before CALENDAR_WORKDAY_END.")
if not set(CALENDAR_WORKDAYS) <= {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}:
    raise ImproperlyConfigured("CALENDAR_WORKDAYS lists days as mon,tue,wed,thu,fri,sat,sun.")
