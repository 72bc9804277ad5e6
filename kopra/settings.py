"""Settings, read from the environment (12-factor) with defaults that run the embedded demo.

The embedded default is SQLite under ``var/`` and Celery's filesystem transport, so
nothing but Python is needed. Production sets ``KOPRA_ENV=production`` plus
``DATABASE_URL``, ``CELERY_BROKER_URL`` and ``SECRET_KEY``, and refuses to boot with
DEBUG on or a default secret.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

VAR_DIR = Path(env.str("KOPRA_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

KOPRA_ENV = env.str("KOPRA_ENV", default="development")
PRODUCTION = KOPRA_ENV == "production"

# Development only: refused in production by the check below.
INSECURE_DEFAULT_SECRET_KEY = "insecure-kopra-development-key-change-me-0123456789abcdef"
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("KOPRA_ENV=production refuses DEBUG=true.")
    if SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "KOPRA_ENV=production needs SECRET_KEY set to a random value of 50+ characters."
        )

INSTALLED_APPS = [
    "kopra.apps.KopraAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "kopra.apps.TwoFactorConfig",  # django_otp.plugins.otp_totp, named for staff
    "django_htmx",
    "kopra.apps.SignInLockoutConfig",  # axes, named for staff
    "core",
    "snap",
    "billers",
    "quota",
    "reminders",
    "notifications",
    "staffmail",
    "settlement",
    "console",
]

MIDDLEWARE = [
    "core.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core.sessions.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kopra.urls"
WSGI_APPLICATION = "kopra.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "console.context_processors.console",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'kopra.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: wait for the writer instead of failing, and
    # take the write lock at BEGIN so two writers never deadlock on an upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so a real worker process can see the test database too; one
    # per test run, so two runs on one machine never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-kopra-{os.getpid()}.sqlite3")}
else:
    # One test database per test run, so two runs against one server never collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users, login, sessions -----------------------------------------------------------
AUTH_USER_MODEL = "billers.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "billers.auth.CompanyUserBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
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

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True  # the idle clock restarts on every request
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Lockout: 5 failures within 15 minutes lock the (Company ID, User ID) for 15 minutes,
# whether or not such a user exists.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
# A user is locked from the address that failed, not everywhere: a stranger who knows a
# User ID cannot lock its owner out. One address failing across many users is stopped by
# billers.auth (SIGN_IN_FAILURES_PER_ADDRESS). A lockout ends when it said it would.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
SIGN_IN_FAILURES_PER_ADDRESS = env.int("SIGN_IN_FAILURES_PER_ADDRESS", default=30)
AXES_USERNAME_CALLABLE = "billers.auth.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "billers.auth.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0)

OTP_TOTP_ISSUER = "Kopra Bill Reminder"
OTP_TOTP_THROTTLE_FACTOR = 1

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("id", _("Bahasa Indonesia"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

# --- Bill file uploads ----------------------------------------------------------------
# Limits of one uploaded bill file (docs/file-format.md): data rows, and size in bytes.
UPLOAD_MAX_ROWS = env.int("UPLOAD_MAX_ROWS", default=1_000_000)
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=100 * 1024 * 1024)
# The limit is kept while a file streams in (core.upload_limit), then Django's own handlers.
FILE_UPLOAD_HANDLERS = [
    "core.upload_limit.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# A check or decision on an upload whose task was lost (a broker that dropped the message, a
# worker that died) is queued again once it has been quiet this long; a check renews its lease
# with every batch of rows, so a live one is never taken over.
UPLOAD_LEASE_SECONDS = env.int("UPLOAD_LEASE_SECONDS", default=300)
# /readyz answers 503 once the heartbeat task (sent by beat every 30 s, run by a worker) has
# not run for this long, or, where it never ran, once the web process has been up this long:
# beat or the workers are down or stuck, and an orchestrator should restart them.
SCHEDULER_STALE_AFTER_SECONDS = env.int("SCHEDULER_STALE_AFTER_SECONDS", default=180)
# The stored file, problem list and staged rows of a finished upload are removed this many
# days after the upload (they hold payers' personal data); the upload with its totals, its
# bills and the audit log stay.
UPLOAD_RETENTION_DAYS = env.int("UPLOAD_RETENTION_DAYS", default=90)

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "kopra" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing folder
MEDIA_ROOT = VAR_DIR / "media"
if env.bool("KOPRA_STATIC_FINDERS", default=False):
    # Tests serve assets straight from the source folders instead of a collectstatic run.
    STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    WHITENOISE_USE_FINDERS = True

# --- Security -------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Composite (Company ID, User ID) logins are unique through a constraint on the user
# model, not through a unique USERNAME_FIELD; the custom backend authenticates them.
SILENCED_SYSTEM_CHECKS = [
    "auth.W004",
    # Lockout is per (Company ID, User ID) on purpose: many users of one company sign in
    # from one office address, so locking the address would lock the whole company out.
    "axes.W006",
]

# --- Secrets at rest ------------------------------------------------------------------
# First key encrypts, every key decrypts: prepend a new key to rotate.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# --- Outbound requests to addresses users give (callback URLs: core.outbound) ------------
# Only public internet addresses; a receiver on this machine or a private network is for
# tests and a developer's demo, and production refuses it.
OUTBOUND_ALLOW_LOCAL = env.bool("OUTBOUND_ALLOW_LOCAL", default=False)
if PRODUCTION and OUTBOUND_ALLOW_LOCAL:
    raise ImproperlyConfigured(
        "KOPRA_ENV=production refuses OUTBOUND_ALLOW_LOCAL=true: callback URLs could then reach the bank's "
        "own network."
    )

# --- Operations -----------------------------------------------------------------------
# Prometheus scrapes /metrics with "Authorization: Bearer <METRICS_TOKEN>".
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- The bank: gateways and the sandbox ----------------------------------------------
# The sandbox bank (``livin``: Livin' payer pages, payment pages, its API) and the demo that
# relies on it are for demos and trials; on by default except in production.
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=not PRODUCTION)
if SANDBOX_ENABLED:
    INSTALLED_APPS += ["livin", "demo"]
SANDBOX_GATEWAYS = {
    "LIVIN_GATEWAY": "livin.gateways.SandboxLivinGateway",
    "PAYMENTS_GATEWAY": "livin.gateways.SandboxPaymentsGateway",
}
# Dotted paths of the gateways the product talks to the bank through (core.plugins); unset
# or empty: the sandbox's while it is enabled, none otherwise, and then pushes and top-ups are
# refused with a message naming the setting. ``notifications.gateway.HttpLivinGateway`` calls
# a bank's Livin' API at LIVIN_BASE_URL.
LIVIN_GATEWAY = env.str("LIVIN_GATEWAY", default="") or (SANDBOX_GATEWAYS["LIVIN_GATEWAY"] if SANDBOX_ENABLED else "")
PAYMENTS_GATEWAY = env.str("PAYMENTS_GATEWAY", default="") or (
    SANDBOX_GATEWAYS["PAYMENTS_GATEWAY"] if SANDBOX_ENABLED else ""
)
for _setting, _path in (("LIVIN_GATEWAY", LIVIN_GATEWAY), ("PAYMENTS_GATEWAY", PAYMENTS_GATEWAY)):
    if _path.startswith("livin.") and not SANDBOX_ENABLED:
        raise ImproperlyConfigured(
            f"KOPRA_ENV=production refuses {_setting}={_path}: it is the sandbox bank, which takes no real "
            f"money and shows nothing to real payers. Name the bank's gateway in {_setting}, or set "
            "SANDBOX_ENABLED=true to run a trial against the sandbox."
            if PRODUCTION else
            f"{_setting}={_path} is the sandbox bank, which is not installed: set SANDBOX_ENABLED=true "
            f"or name the bank's gateway in {_setting}."
        )
LIVIN_BASE_URL = env.str("LIVIN_BASE_URL", default="http://127.0.0.1:8000")

# Where billers reach the console: links the portal sends out (an upload's report in the
# upload.processed callback) start with it.
CONSOLE_BASE_URL = env.str("CONSOLE_BASE_URL", default="http://127.0.0.1:8000")

# E-mail to biller staff (staffmail): EMAIL_URL names the server, e.g.
# smtp+tls://user:password@smtp.example.co.id:587; without it each message is written as a
# file under var/mail/, where the demo's mail can be read.
MAIL_DIR = VAR_DIR / "mail"
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(MAIL_DIR)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kopra Bill Reminder <no-reply@kopra.local>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
LIVIN_PARTNER_ID = env.str("LIVIN_PARTNER_ID", default="kopra-portal")
# Development only, like SECRET_KEY's default: it is public, so production refuses it.
INSECURE_DEFAULT_LIVIN_SECRET = "sandbox-livin-secret-change-me"
LIVIN_SECRET = env.str("LIVIN_SECRET", default=INSECURE_DEFAULT_LIVIN_SECRET)
if PRODUCTION and (LIVIN_SECRET == INSECURE_DEFAULT_LIVIN_SECRET or len(LIVIN_SECRET) < 32):
    raise ImproperlyConfigured(
        "KOPRA_ENV=production needs LIVIN_SECRET set to the secret agreed with the bank, 32+ characters: it signs "
        "every call between the portal and the bank's Livin' API (for a sandbox trial, any random value). The "
        "default is public."
    )
LIVIN_TIMEOUT_SECONDS = env.float("LIVIN_TIMEOUT_SECONDS", default=5.0)
# What the bank calls in the product: a payer's payment of a bill, a paid top-up VA.
LIVIN_PAYMENT_CALLBACK = env.str("LIVIN_PAYMENT_CALLBACK", default="reminders.services.bill_payment_received")
PAYMENTS_VA_CALLBACK = env.str("PAYMENTS_VA_CALLBACK", default="quota.payments.va_payment_received")
# How long a top-up's one-time virtual account stays open.
TOPUP_VA_HOURS = env.int("TOPUP_VA_HOURS", default=24)
# Delivery: pushes retry with capped exponential backoff and jitter, never past a bill's end.
PUSH_RETRY_BASE_SECONDS = env.int("PUSH_RETRY_BASE_SECONDS", default=10)
PUSH_RETRY_CAP_SECONDS = env.int("PUSH_RETRY_CAP_SECONDS", default=600)
DELIVERY_BATCH_SIZE = env.int("DELIVERY_BATCH_SIZE", default=500)
DELIVERY_LEASE_SECONDS = env.int("DELIVERY_LEASE_SECONDS", default=120)
# Batches the sweeps keep waiting in each delivery queue: a sweep claims more only while its
# queue is shorter, and a worker that finishes a full batch asks for the next, so claims
# follow what the workers take rather than a number per tick.
DELIVERY_QUEUE_BATCHES = env.int("DELIVERY_QUEUE_BATCHES", default=10)
# A payer whose phone had no Livin' is looked up again this many times (0: never), this many
# hours apart, while the bill's window is open; found, the bill is reserved anew and pushed.
NON_USER_RECHECKS = env.int("NON_USER_RECHECKS", default=3)
NON_USER_RECHECK_HOURS = env.float("NON_USER_RECHECK_HOURS", default=24.0)

# --- REST framework / OpenAPI ---------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kopra Bill Reminder Open API",
    "DESCRIPTION": "SNAP-style API for billers: access token, bill reminder messages, quota.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from this site: many bank networks reach no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _celery_dir = Path(env.str("KOPRA_CELERY_DIR", default=str(VAR_DIR / "celery")))
    (_celery_dir / "queue").mkdir(parents=True, exist_ok=True)
    (_celery_dir / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
    }
else:
    # A task reserved by a worker that died comes back after this long.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=14 * 60)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Cache ----------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Logging --------------------------------------------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "core.observability.RequestIdFilter"},
        "mask_phones": {"()": "core.observability.PhoneMaskFilter"},
    },
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(company)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["request_id", "mask_phones"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
