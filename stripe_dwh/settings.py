"""Settings for stripe_dwh, read from the environment (see .env.example)."""

import datetime as dt
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise environ.ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment or in .env to a long random "
            "string, e.g. the output of: python -c 'from django.core.management.utils import "
            "get_random_secret_key; print(get_random_secret_key())'. Only DEBUG=true runs "
            "without one (`make demo` and the tests generate their own)."
        )
    # Local development with DEBUG on only; `check --deploy` flags it.
    SECRET_KEY = "django-insecure-local-development-key-do-not-deploy"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "djstripe",
    "webhooks",
    "stripe_events",
    "warehouse",
    "reports",
    # Development tooling (demo commands); it has no models and the apps above never import it.
    "devtools",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "reports.staticfiles.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "stripe_dwh.urls"
WSGI_APPLICATION = "stripe_dwh.wsgi.application"

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


# Database: PostgreSQL only. DATABASE_URL when set, else the embedded server, which the
# stripe_dwh.db_backend engine starts on the first connection (loading settings starts nothing).
# Both engines are Django's PostgreSQL backend plus pre-commit callbacks
# (stripe_dwh/postgresql/base.py): the warehouse flushes its change set there, inside the
# transaction of every path that saves dj-stripe objects.
DATABASE_ENGINE = "stripe_dwh.postgresql"
EMBEDDED_DATABASE_ENGINE = "stripe_dwh.db_backend"
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = DATABASE_ENGINE
else:
    DATABASES = {
        "default": {
            "ENGINE": EMBEDDED_DATABASE_ENGINE,
            "NAME": "postgres",
            "USER": "postgres",
            "HOST": "",  # the embedded server's socket directory, filled in on connect
        }
    }
if DATABASES["default"]["ENGINE"] not in (DATABASE_ENGINE, EMBEDDED_DATABASE_ENGINE):
    raise environ.ImproperlyConfigured("stripe_dwh runs on PostgreSQL only.")
# Persistent connections by default: the webhook flush's prepared statements live as long as
# the session (README, "Prepared flush statements"); health checks below replace dead ones.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
# A persistent connection that the server closed (restart, failover, pg_terminate_backend)
# is replaced at the start of the next request instead of failing it.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed logins are throttled by django-axes on every login (reports and admin): after
# LOGIN_FAILURE_LIMIT failures for one username, or from one address (REMOTE_ADDR: behind a
# proxy, make it pass the client's), further attempts answer 429 until
# LOGIN_LOCKOUT_MINUTES have passed without another try.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own, not the pair
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # successful logins: Django's last_login is enough

LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "/reports/"

LANGUAGE_CODE = "en-us"
# The reporting time zone: months, days and "yesterday" in reports are taken in it.
TIME_ZONE = env("REPORTING_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "reports.staticfiles.IncrementalCompressedStaticFilesStorage"},
}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # plotly.js of the installed plotly package, at a versioned URL
    "reports.staticfiles.PlotlyFinder",
]
# Static files are found through the finders (no collectstatic step needed to serve); after
# `make static` (collectstatic) their Brotli/gzip copies are served while they are current.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = env.bool("WHITENOISE_AUTOREFRESH", default=DEBUG)
WHITENOISE_IMMUTABLE_FILE_TEST = r"/vendor/plotly-[^/]+/"

# Production hardening: on when DEBUG is off, overridable for plain-HTTP test setups.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (django-csp), on every response: only this origin's scripts (no
# inline script, no eval), styles and images; see the README's "Security" section.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        # plotly.js injects its own stylesheet (<style> + insertRule) when it first draws;
        # without it the charts' overlays swallow clicks. Styles only: scripts stay strict.
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# No endpoint takes more than a webhook event: Django answers 400 above this for any body
# or form (the webhook view answers 413 itself, earlier, from Content-Length).
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

# --- Stripe / dj-stripe -----------------------------------------------------------
STRIPE_LIVE_MODE = env.bool("STRIPE_LIVE_MODE", default=False)
STRIPE_TEST_SECRET_KEY = env("STRIPE_TEST_SECRET_KEY", default="")
STRIPE_LIVE_SECRET_KEY = env("STRIPE_LIVE_SECRET_KEY", default="")
STRIPE_TEST_PUBLIC_KEY = env("STRIPE_TEST_PUBLIC_KEY", default="")
STRIPE_LIVE_PUBLIC_KEY = env("STRIPE_LIVE_PUBLIC_KEY", default="")
# Only for the local Stripe API double; dj-stripe refuses it outside DEBUG in `check`.
if env("STRIPE_API_HOST", default=""):
    STRIPE_API_HOST = env("STRIPE_API_HOST")
    # dj-stripe warns about any API host outside DEBUG; one on this machine is the double.
    if urlsplit(STRIPE_API_HOST).hostname in ("127.0.0.1", "localhost", "::1"):
        SILENCED_SYSTEM_CHECKS = ["djstripe.W002"]
DJSTRIPE_WEBHOOK_VALIDATION = "verify_signature"
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_USE_NATIVE_JSONFIELD = True
# Webhook intake (webhooks app). Stripe's events are a few KiB (the largest: invoices with
# their first page of lines, customers with 50 metadata values of 500 characters); anything
# over this answers 413 before a byte of it is read or stored.
WEBHOOK_MAX_BODY_BYTES = env.int("WEBHOOK_MAX_BODY_BYTES", default=256 * 1024)
# Refused requests and triggers that failed validation are kept this long for debugging,
# then deleted by `manage.py prune_webhook_triggers`.
WEBHOOK_TRIGGER_RETENTION_DAYS = env.int("WEBHOOK_TRIGGER_RETENTION_DAYS", default=30)
# The local WebhookEndpoint registered by `manage.py register_webhook_endpoint`.
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_WEBHOOK_UUID = env("STRIPE_WEBHOOK_UUID", default="")
STRIPE_WEBHOOK_ENDPOINT_ID = env("STRIPE_WEBHOOK_ENDPOINT_ID", default="we_local")
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

# --- Celery (optional; README "Running at scale") ------------------------------------
# Unset (the default): webhooks are processed inside the request, as before. Set, e.g.
# redis://127.0.0.1:6379/0 or amqp://guest:guest@127.0.0.1:5672//: the webhook stores the
# event and answers at once; `celery -A stripe_dwh worker` processes it.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged after it ran, and given back when its worker dies mid-task.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Redis only: an unacknowledged message goes back to the queue after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=900),
    "socket_connect_timeout": 2,
}
# Events stored but still pending this long are enqueued again by the sweeper.
STRIPE_EVENTS_REQUEUE_AFTER = env.int("STRIPE_EVENTS_REQUEUE_AFTER", default=120)
CELERY_BEAT_SCHEDULE = {
    "sweep-stored-stripe-events": {
        "task": "stripe_events.tasks.sweep_stored_events",
        "schedule": env.float("STRIPE_EVENTS_SWEEP_INTERVAL", default=60.0),
    },
    "catch-up-from-stripe-event-log": {
        "task": "stripe_events.tasks.sync_stripe_events",
        "schedule": env.float("STRIPE_EVENTS_CATCH_UP_INTERVAL", default=900.0),
    },
    "prune-webhook-triggers": {
        "task": "stripe_events.tasks.prune_webhook_triggers",
        "schedule": 86400.0,
    },
}

# --- Warehouse ----------------------------------------------------------------------
# Key of the Stripe customer's metadata that carries the app's user id (links installs to money).
WAREHOUSE_USER_ID_METADATA_KEY = env("WAREHOUSE_USER_ID_METADATA_KEY", default="user_id")
# Days an unpaid renewal keeps its MRR while Stripe retries, counted from the start of the
# unpaid period (docs/metrics.md, "Churn timing").
MRR_PAST_DUE_GRACE_DAYS = env.int("MRR_PAST_DUE_GRACE_DAYS", default=30)
# The webhook flush runs its statements as server-side prepared statements of the session
# (warehouse/sql_files.py). Turn off behind a transaction-pooling pgbouncer, which hands a
# client's next transaction to another server session that never saw the PREPARE.
WAREHOUSE_PREPARED_STATEMENTS = env.bool("WAREHOUSE_PREPARED_STATEMENTS", default=True)
# Shared token that attribution callbacks must present.
ATTRIBUTION_CALLBACK_TOKEN = env("ATTRIBUTION_CALLBACK_TOKEN", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}
