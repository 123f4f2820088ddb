"""Settings for every environment, read from environment variables (and an optional `.env`).

With no variable set the project runs on this machine alone: SQLite under `var/`, console email, a
filesystem Celery broker. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and the
mail settings; see the README for the full list.
"""

import json
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.errors import admins, init_sentry
from config.logging import FORMATS as LOG_FORMATS

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
if (BASE_DIR / ".env").exists():
    # Only when there is one: django-environ logs at INFO about a missing file, which every start would print.
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _local_secret_key() -> str:
    """A key kept in var/ so that a local run needs no variable and sessions survive a restart."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public address of the site, used in links that leave it (join links in emails and SMS).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG and urlsplit(SITE_URL).hostname not in {"127.0.0.1", "localhost", "::1"}:
        # A node of a real site that made up its own key would sign sessions no other node accepts: everyone
        # would be logged out at every request that reached another node ("Session data corrupted").
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Every web node, worker and beat of this site needs the same SECRET_KEY "
            "from the environment (only a local run on 127.0.0.1 makes one up)."
        )
    SECRET_KEY = _local_secret_key()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "django_otp",
    "health_check",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    # django-ninja serves the API; listed so its docs page uses its own bundled static files, not a CDN.
    "ninja",
    "accounts",
    "scheduling",
    "waitingroom",
    "videoproviders",
    "notifications",
    "audit",
    "privacy",
    "reports",
    "webhooks",
    "api",
]

MIDDLEWARE = [
    # First: every line logged while a request is handled carries its id.
    "config.requestid.RequestIdMiddleware",
    # Outermost but for the request id, and last, as django-prometheus asks: requests and latencies by view,
    # method and status (/metrics/).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Early, so it has the last word on a logo's response (no Vary: it is the same for everyone).
    "accounts.branding.LogoCachingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "accounts.middleware.NullByteGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.OrganisationTimezoneMiddleware",
    "audit.context.AuditContextMiddleware",
    "accounts.middleware.SecondStepMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "accounts.context_processors.organisation",
            ],
            # {% field %} in every template, without a {% load %}.
            "builtins": ["config.templatetags.fields"],
        },
    },
]
# Django's plain widget templates rendered in Python (config.rendering): the same HTML, a fraction of the time.
FORM_RENDERER = "config.rendering.FastWidgetRenderer"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
# Pages (gunicorn's sync workers) keep their connection between requests: opening one per request was a
# fifth of a page's time. Django asks ASGI servers not to (connections belong to threads that come and go
# there), so config/asgi.py always sets 0 for the event streams. Health checks notice a connection the
# database dropped (a restart) before a request uses it.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; the timeout rides out short locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "scheduling:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Times are stored in UTC; each request shows them in its organisation's time zone.
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_ORGANISATION_TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
# Uploaded files (organisations' logos) are served by the app (accounts.branding) from the default storage:
# a folder on this server, or with MEDIA_STORAGE=s3 a bucket of any S3-compatible service that every node shares.
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_STORAGES: dict[str, dict[str, Any]] = {
    "filesystem": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "s3": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME", default=""),
            # Empty: AWS itself; MinIO, Ceph or a Dutch provider give their address.
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            # Empty: boto3's own chain (an instance role, ~/.aws) finds the credentials.
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
            # Names are content hashes (accounts.branding), so a key that exists holds the same bytes; a private
            # bucket is fine, browsers never fetch from it.
            "file_overwrite": False,
            "default_acl": None,
        },
    },
}
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="filesystem")
if MEDIA_STORAGE not in MEDIA_STORAGES:
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be one of {', '.join(MEDIA_STORAGES)}, not {MEDIA_STORAGE!r}.")
if MEDIA_STORAGE == "s3" and not MEDIA_STORAGES["s3"]["OPTIONS"]["bucket_name"]:
    raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
STORAGES = {
    "default": MEDIA_STORAGES[MEDIA_STORAGE],
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Email: console by default, SMTP when EMAIL_URL is set (e.g. smtp+tls://user:pass@host:587).
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
if EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":
    # One line per email on the console (to whom, what, the client's link); "full" prints whole messages.
    EMAIL_BACKEND = "notifications.console.ConsoleEmailBackend"
CONSOLE_MESSAGES = env.str("CONSOLE_MESSAGES", default="summary")
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT")
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Videoconsult <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# A transactional email service instead of SMTP (EMAIL_SERVICE), through django-anymail: its delivery reports
# (delivered, bounced, complained) reach the outbox by the service's signed webhook at
# hooks/email/<service>/tracking/ (notifications.email_service). Another service anymail supports is one
# more line here; its own variables (named as anymail names them, e.g. MAILGUN_API_KEY) are passed as they are.
EMAIL_SERVICES: dict[str, dict[str, str]] = {
    "postmark": {
        "BACKEND": "anymail.backends.postmark.EmailBackend",
        "TRACKING": "anymail.webhooks.postmark.PostmarkTrackingWebhookView",
    },
    "mailgun": {
        "BACKEND": "anymail.backends.mailgun.EmailBackend",
        "TRACKING": "anymail.webhooks.mailgun.MailgunTrackingWebhookView",
    },
    "brevo": {
        "BACKEND": "anymail.backends.brevo.EmailBackend",
        "TRACKING": "anymail.webhooks.brevo.BrevoTrackingWebhookView",
    },
    "amazon_ses": {
        "BACKEND": "anymail.backends.amazon_ses.EmailBackend",
        "TRACKING": "anymail.webhooks.amazon_ses.AmazonSESTrackingWebhookView",
    },
}
EMAIL_SERVICE = env.str("EMAIL_SERVICE", default="")
ANYMAIL: dict[str, Any] = {}
if EMAIL_SERVICE:
    if EMAIL_SERVICE not in EMAIL_SERVICES:
        raise ImproperlyConfigured(f"EMAIL_SERVICE must be one of {', '.join(EMAIL_SERVICES)}, not {EMAIL_SERVICE!r}.")
    EMAIL_BACKEND = EMAIL_SERVICES[EMAIL_SERVICE]["BACKEND"]
    _prefix = EMAIL_SERVICE.upper() + "_"
    ANYMAIL = {name: value for name, value in env.ENVIRON.items() if name.startswith(_prefix)}
    # Basic auth ("user:password" in the webhook URL) on every service's webhook: for Postmark and Brevo it is
    # the only proof that a report comes from the service, and without it anymail would accept anyone's.
    ANYMAIL["WEBHOOK_SECRET"] = env.str("EMAIL_WEBHOOK_SECRET", default="")
    if ":" not in ANYMAIL["WEBHOOK_SECRET"]:
        raise ImproperlyConfigured(
            "EMAIL_SERVICE needs EMAIL_WEBHOOK_SECRET, a user:password pair for the service's webhook URL."
        )
    # A rejected recipient fails that message (notifications.email_service) instead of passing as sent.
    ANYMAIL["IGNORE_RECIPIENT_STATUS"] = False

# SMS: Twilio when its account is configured, otherwise printed to the console (SMS_BACKEND overrides).
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
if TWILIO_ACCOUNT_SID:
    SMS_BACKEND: dict[str, Any] = {
        "BACKEND": "notifications.sms.twilio.TwilioBackend",
        "OPTIONS": {
            "account_sid": TWILIO_ACCOUNT_SID,
            "auth_token": env.str("TWILIO_AUTH_TOKEN"),
            "from_number": env.str("TWILIO_FROM_NUMBER", default=""),
            "messaging_service_sid": env.str("TWILIO_MESSAGING_SERVICE_SID", default=""),
            "timeout": env.float("TWILIO_TIMEOUT", default=10.0),
        },
    }
else:
    SMS_BACKEND = {"BACKEND": env.str("SMS_BACKEND", default="notifications.sms.console.ConsoleBackend")}

# Video: providers by alias, like STORAGES. An agent's video account (admin) picks one; agents without an
# account use VIDEO_DEFAULT_PROVIDER (empty: they must have one). The built-in rooms need no account and no
# internet: the browsers connect directly, through STUN/TURN servers where networks need them.
VIDEO_PROVIDERS: dict[str, dict[str, Any]] = {
    "builtin": {
        "BACKEND": "videoproviders.builtin.BuiltinProvider",
        "OPTIONS": {
            "stun_urls": env.list("VIDEO_STUN_URLS", default=[]),
            "turn_urls": env.list("VIDEO_TURN_URLS", default=[]),
            # coturn's static-auth-secret: credentials are derived from it per person, it never leaves here.
            "turn_secret": env.str("VIDEO_TURN_SECRET", default=""),
            "ice_transport_policy": env.str("VIDEO_ICE_TRANSPORT_POLICY", default="all"),
        },
    },
    "jitsi": {
        "BACKEND": "videoproviders.jitsi.JitsiProvider",
        "OPTIONS": {"server_url": env.str("JITSI_URL", default="https://meet.jit.si")},
    },
    "whereby": {
        "BACKEND": "videoproviders.whereby.WherebyProvider",
        "OPTIONS": {"api_url": env.str("WHEREBY_API_URL", default="https://api.whereby.dev/v1")},
    },
    "personal": {"BACKEND": "videoproviders.personal.PersonalRoomProvider"},
}
VIDEO_DEFAULT_PROVIDER = env.str("VIDEO_DEFAULT_PROVIDER", default="builtin")
# How often beat looks for rooms to make, remove or clean up, and how long a claimed room may take.
VIDEO_ROOM_SWEEP_SECONDS = env.float("VIDEO_ROOM_SWEEP_SECONDS", default=30.0)
VIDEO_ROOM_LEASE_SECONDS = env.int("VIDEO_ROOM_LEASE_SECONDS", default=120)
# Rooms of a series' later occurrences are made this long before each starts, not all at booking.
VIDEO_ROOM_LEAD_HOURS = env.int("VIDEO_ROOM_LEAD_HOURS", default=24)
# A Whereby webhook signed longer ago than this is refused (replayed or badly delayed).
WHEREBY_WEBHOOK_TOLERANCE_SECONDS = env.int("WHEREBY_WEBHOOK_TOLERANCE_SECONDS", default=300)
# Addresses an organisation admin may give an outbound API instead of the standard one (config/outbound.py):
# URL prefixes, comma-separated. Empty: organisations cannot redirect API calls at all. The operator's own
# addresses (WHEREBY_API_URL) are trusted as they are.
OUTBOUND_API_URLS = env.list("OUTBOUND_API_URLS", default=[])
# Fernet keys for the secrets stored in the database (config/encryption.py), comma-separated: the first
# encrypts, all decrypt; `manage.py rotate_encryption_keys` moves every value to the first. Not SECRET_KEY.
# Empty: a key generated once into VAR_DIR/encryption_key, for this machine only (check --deploy warns).
ENCRYPTION_KEYS = env.list("ENCRYPTION_KEYS", default=[])

# Celery: Redis in production; without REDIS_URL a filesystem broker that needs no server.
REDIS_URL = env.str("REDIS_URL", default="")
# Names this installation's live-event channels on a Redis shared with others (waitingroom/events.py); by
# default the Redis database number of REDIS_URL does, which pub/sub itself ignores.
LIVE_EVENTS_PREFIX = env.str("LIVE_EVENTS_PREFIX", default="")
# The cache holds rate-limit counters; shared between processes through Redis in production. "local" is each
# process's own, where the counters go while Redis cannot be reached (waitingroom.ratelimit).
REDIS_TIMEOUTS = {"socket_connect_timeout": 2, "socket_timeout": 2}
CACHES = {"local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "local"}}
if REDIS_URL:
    # Timeouts, so that a Redis that hangs instead of refusing costs a request seconds, not minutes.
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": REDIS_TIMEOUTS,
    }
else:
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    _broker = VAR_DIR / "broker"
    for _folder in ("queue", "control", "processed"):
        (_broker / _folder).mkdir(parents=True, exist_ok=True)
    # The host part means nothing to this transport, but without one kombu warns on every connection.
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Producer and consumer must share one folder, or messages never meet.
        "data_folder_in": str(_broker / "queue"),
        "data_folder_out": str(_broker / "queue"),
        "control_folder": str(_broker / "control"),
        "processed_folder": str(_broker / "processed"),
        "store_processed": False,
    }
CELERY_TASK_ACKS_LATE = True  # tasks are idempotent: they claim their row before acting
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# The console email and SMS backends print; keep that output as it is instead of logging it as warnings.
CELERY_WORKER_REDIRECT_STDOUTS = False
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The outbox sweep queues due reminders and retries, and recovers rows whose task or worker was lost.
NOTIFICATION_SWEEP_SECONDS = env.float("NOTIFICATION_SWEEP_SECONDS", default=30.0)
# /health/ fails when beat's sweep has not run for this long (a few missed sweeps), or a due message has
# waited this long to be sent.
HEALTH_BEAT_LATE_SECONDS = env.int("HEALTH_BEAT_LATE_SECONDS", default=int(NOTIFICATION_SWEEP_SECONDS * 4) + 60)
HEALTH_UNSENT_LATE_SECONDS = env.int("HEALTH_UNSENT_LATE_SECONDS", default=600)
# /metrics/ (config/metrics.py) answers these addresses or networks, and any request that carries METRICS_TOKEN
# as a bearer token; nobody else. Prometheus's multiprocess directory is PROMETHEUS_MULTIPROC_DIR, read by
# prometheus_client itself.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# How long a queued or claimed row may wait before the sweep assumes its task was lost.
NOTIFICATION_LEASE_SECONDS = env.int("NOTIFICATION_LEASE_SECONDS", default=300)
# Outbound webhooks (webhooks/): how long a receiver may take to answer, how often beat queues due retries and
# lost deliveries, and how long a claimed delivery may take before the sweep takes it back.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_SWEEP_SECONDS = env.float("WEBHOOK_SWEEP_SECONDS", default=30.0)
WEBHOOK_LEASE_SECONDS = env.int("WEBHOOK_LEASE_SECONDS", default=120)
# The delivery log keeps this many days; older delivered and failed deliveries are deleted every night.
WEBHOOK_LOG_DAYS = env.int("WEBHOOK_LOG_DAYS", default=30)
CELERY_BEAT_SCHEDULE = {
    "notifications-sweep": {"task": "notifications.sweep", "schedule": NOTIFICATION_SWEEP_SECONDS},
    "webhooks-sweep": {"task": "webhooks.sweep", "schedule": WEBHOOK_SWEEP_SECONDS},
    "video-rooms-sweep": {"task": "videoproviders.sweep", "schedule": VIDEO_ROOM_SWEEP_SECONDS},
    # Built-in calls: pages gone without a goodbye have left; calls nobody is in any more end.
    "calls-sweep": {"task": "waitingroom.sweep_calls", "schedule": VIDEO_ROOM_SWEEP_SECONDS},
    # Clients' personal data past each organisation's retention period, erased every night.
    "privacy-retention": {
        "task": "privacy.erase_expired",
        "schedule": crontab(hour=env.int("RETENTION_HOUR_UTC", default=2), minute=30),
    },
    "webhooks-prune": {
        "task": "webhooks.prune",
        "schedule": crontab(hour=env.int("RETENTION_HOUR_UTC", default=2), minute=45),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Security: a site served over https (its SITE_URL says so) gets secure cookies, HSTS and redirects;
# a local run on http://127.0.0.1 keeps working without any variable.
_secure = env.bool("HTTPS", default=SITE_URL.startswith("https://"))
SESSION_COOKIE_SECURE = _secure
CSRF_COOKIE_SECURE = _secure
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_secure)
# Load balancers probe, and Prometheus scrapes, over plain http inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^metrics/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _secure else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _secure
SECURE_HSTS_PRELOAD = _secure
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Proxies whose X-Forwarded-For names the client (config.proxy, under gunicorn); the same variable and default
# as gunicorn's and uvicorn's --forwarded-allow-ips, so one setting serves all three. "*" trusts any peer.
FORWARDED_ALLOW_IPS = env.list("FORWARDED_ALLOW_IPS", default=["127.0.0.1", "::1"])
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# A session ends after this long in which the person did nothing (IdleTimeoutMiddleware: a page polling by
# itself does not count), and in any case when the cookie, renewed with each write, expires. The pages warn
# SESSION_IDLE_WARNING_SECONDS before the end and offer to stay signed in (WCAG 2.2.1).
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_IDLE_SECONDS = SESSION_IDLE_MINUTES * 60  # what the code reads; tests shorten it to seconds
SESSION_IDLE_WARNING_SECONDS = env.int("SESSION_IDLE_WARNING_SECONDS", default=120)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 10)
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy: no inline script anywhere; styles from our stylesheet, the branding colour with a
# nonce, and style attributes (the agenda positions its blocks with them). Frames only from the video service
# whose rooms open inside the client's page (Whereby).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "media-src": [SELF],
        "frame-src": env.list("CSP_FRAME_SRC", default=["https://*.whereby.com"]),
        "frame-ancestors": [NONE],
        # Online consult is a form whose answer redirects to the video room, and browsers check that redirect
        # against form-action; a personal room may be on any https host.
        "form-action": [SELF, "https:"],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# Errors: to Sentry when SENTRY_DSN is set, else mailed to ADMINS ("Ops <ops@example.nl>, ..."); either way
# without clients' personal data or tokens (config/errors.py).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
ADMINS = admins(env.str("ADMINS", default=""))
if SENTRY_DSN:
    init_sentry(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        release=env.str("SENTRY_RELEASE", default="") or None,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# Logs: one line a record (time, level, logger, request id, message) on standard error, as text or JSON lines
# (LOG_FORMAT=json). config/logging.json is the part gunicorn and uvicorn read too (--log-config-json,
# --log-config); Celery's worker and beat use this whole dictionary (config/celery.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in LOG_FORMATS:
    raise ImproperlyConfigured(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {LOG_FORMAT!r}.")
LOGGING = json.loads((BASE_DIR / "config" / "logging.json").read_text())
LOGGING["handlers"]["console"]["format"] = LOG_FORMAT
LOGGING["root"]["level"] = env.str("LOG_LEVEL", default="INFO")
LOGGING["loggers"].update(
    {
        # Twilio logs every request with its phone number and text at INFO; those are clients' data.
        "twilio.http_client": {"level": "WARNING"},
        # django-axes reports every login at INFO; lockouts are WARNING and stay visible.
        "axes": {"level": "WARNING"},
        # Django's default puts a console handler of its own (DEBUG) and the mail beside ours: only ours.
        "django": {"handlers": [], "level": "INFO"},
    }
)
if not SENTRY_DSN:
    # Every ERROR, as Sentry would have had it: a page's 500, a Celery task that failed, a message not sent.
    LOGGING["root"]["handlers"].append("mail_admins")
LOGGING["filters"].update(
    {
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        "redact": {"()": "config.logging.RedactSecrets"},
    }
)
LOGGING["handlers"]["mail_admins"] = {
    "level": "ERROR",
    "class": "config.errors.ScrubbingAdminEmailHandler",
    "filters": ["require_debug_false", "redact"],
}

# Waiting room: a client whose page has not checked in for this long is no longer waiting.
WAITING_PRESENCE_TIMEOUT_SECONDS = env.int("WAITING_PRESENCE_TIMEOUT_SECONDS", default=15)
# Built-in video calls (waitingroom.calls): a page whose call stream has not been heard of for this long has
# left; a call nobody has been in for the grace ends by itself (the grace covers a reload). Signalling
# messages are limited in size and in number per page and window.
CALL_PRESENCE_TIMEOUT_SECONDS = env.int("CALL_PRESENCE_TIMEOUT_SECONDS", default=30)
CALL_EMPTY_GRACE_SECONDS = env.int("CALL_EMPTY_GRACE_SECONDS", default=60)
CALL_SIGNAL_MAX_BYTES = 64 * 1024
CALL_SIGNAL_WINDOW_SECONDS = 10
CALL_SIGNALS_PER_WINDOW = 300
# Unknown join tokens from one address before its join requests are refused (HTTP 429) for the window.
JOIN_TOKEN_MISSES_ALLOWED = env.int("JOIN_TOKEN_MISSES_ALLOWED", default=20)
JOIN_TOKEN_MISS_WINDOW_SECONDS = env.int("JOIN_TOKEN_MISS_WINDOW_SECONDS", default=600)
# Requests each API key may make per window (counted like the join links' misses, config/ratelimit.py);
# beyond it the API answers 429 with Retry-After until the window ends.
API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=120)
API_RATE_LIMIT_WINDOW_SECONDS = env.int("API_RATE_LIMIT_WINDOW_SECONDS", default=60)

# Booking limits from the domain.
APPOINTMENT_MAX_PARTICIPANTS = 10
APPOINTMENT_MAX_DURATION_HOURS = 12
# How many days the dashboard shows after today.
DASHBOARD_DAYS_AHEAD = 6

# django-axes first: it refuses a locked-out login before the password is even checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.EmailBackend"]

# Brute force: after this many wrong passwords for one account, or from one address, logins from there are
# refused until the cool-off ends or an admin unlocks the account (admin: Users -> Unlock login).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A successful login clears only the failures of that account from that address (accounts.lockout); axes'
# own reset would also clear other accounts' failures from the address and the account's from elsewhere.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
# The address the server sees (uvicorn sets it from X-Forwarded-For only with --proxy-headers), never a
# header a client may forge.
AXES_CLIENT_IP_CALLABLE = "accounts.middleware.client_address"
AXES_USERNAME_CALLABLE = "accounts.middleware.login_username"
AXES_ENABLE_ADMIN = False  # unlocking is an action on the user in our admin


def _totp_issuer(device) -> str:
    """The name an authenticator app shows above the code: the user's organisation."""
    organisation = device.user.organisation
    return organisation.name if organisation else "Videoconsult"


OTP_TOTP_ISSUER = _totp_issuer
