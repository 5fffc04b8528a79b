"""Development settings shared by the tests and the benchmarks: the project's settings with
Stripe test keys, a known webhook secret, plain HTTP and fast password hashing."""

import os
import secrets

# Their own key, generated per run; in the environment so that the `manage.py` subprocesses
# of the tests and benchmarks (demo, checks, imports, gunicorn) start with the same one.
# URL-safe characters only: django-environ reads a value starting with "$" as a reference to
# another variable, and Django's get_random_secret_key() draws "$" (an empty key 1 run in 50).
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

from stripe_dwh.settings import *  # noqa: E402,F401,F403

DEBUG = False
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# dj-stripe's key format: sk_test_ followed by 24 or more alphanumerics.
STRIPE_LIVE_MODE = False
STRIPE_TEST_SECRET_KEY = "sk_test_" + "stripedwhtestsecretkey0123456789"
STRIPE_TEST_PUBLIC_KEY = "pk_test_" + "stripedwhtestpublickey0123456789"
STRIPE_WEBHOOK_SECRET = "whsec_stripedwhtestwebhooksecret0123"
STRIPE_WEBHOOK_UUID = "2f6b4c1e-8d3a-4f5e-9a7b-0c1d2e3f4a5b"
ATTRIBUTION_CALLBACK_TOKEN = "test-attribution-token-0123456789"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "reports.staticfiles.IncrementalCompressedStaticFilesStorage"},
}
