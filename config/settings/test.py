"""Overrides for the test suite: fast hashing, in-memory mail, static files without a manifest."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import DATABASES, STORAGES, VAR_DIR, VIDEO_PROVIDERS

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
LANGUAGE_CODE = "en"
# Serve static files from the app folders, as in development; no collectstatic before a test run.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="videoconsult-media-"))
SMS_BACKEND = {"BACKEND": "notifications.sms.locmem.LocmemBackend"}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file rather than memory, so that a real Celery worker started by a test can share the database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
# Rooms are made in memory unless a test picks a provider; the Whereby tests run a local fake server.
VIDEO_PROVIDERS = {**VIDEO_PROVIDERS, "locmem": {"BACKEND": "videoproviders.locmem.LocmemProvider"}}
# The built-in rooms' browsers keep to 127.0.0.1 candidates in tests: no test packet leaves the machine. A test
# may point them at a coturn of its own on 127.0.0.1 (VIDEO_TURN_URLS, VIDEO_TURN_SECRET, relay only).
VIDEO_PROVIDERS["builtin"] = {
    "BACKEND": "videoproviders.builtin.BuiltinProvider",
    "OPTIONS": {**VIDEO_PROVIDERS["builtin"]["OPTIONS"], "loopback_only": True},
}
VIDEO_DEFAULT_PROVIDER = "locmem"
# Rate-limit counters in memory: the suite clears the cache between tests and must never flush a Redis.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "local"},
}
