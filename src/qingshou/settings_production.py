"""Production settings: the base settings hardened for a site served over HTTPS behind a proxy.

``DJANGO_SETTINGS_MODULE=qingshou.settings_production``. Required environment: ``QINGSHOU_SECRET_KEY`` (at
least 50 characters; start-up fails without it) and ``QINGSHOU_ALLOWED_HOSTS`` (comma list; start-up fails
when empty). The proxy terminates TLS and sets ``X-Forwarded-Proto: https``. Static files are collected
(``npm ci`` then ``manage.py collectstatic``) and served hashed and compressed by WhiteNoise.
``manage.py check --deploy --settings qingshou.settings_production`` is clean (tests/integration/test_security.py).
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from qingshou import config
from qingshou.settings import *  # noqa: F403

DEBUG = False

SECRET_KEY = os.environ.get(config.SECRET_KEY_VAR, "")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure-"):
    raise ImproperlyConfigured(
        f"{config.SECRET_KEY_VAR} must be set to a random key of at least 50 characters in production"
    )
ALLOWED_HOSTS = [
    host.strip() for host in os.environ.get("QINGSHOU_ALLOWED_HOSTS", "").split(",") if host.strip()
]
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("QINGSHOU_ALLOWED_HOSTS must list the site's host names in production")

SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

WHITENOISE_USE_FINDERS = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
