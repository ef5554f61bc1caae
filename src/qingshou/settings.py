"""Django settings for Qingshou: every value that varies comes from the environment through ``qingshou.config``.

``QINGSHOU_DATABASE_URL`` selects the database (SQLite file by default, PostgreSQL in production),
``QINGSHOU_DEBUG`` turns on debug mode, ``QINGSHOU_SECRET_KEY`` is the signing key (a development key marked
``django-insecure-`` is used when it is unset, which ``manage.py check --deploy`` reports),
``QINGSHOU_ALLOWED_HOSTS`` is a comma list and ``QINGSHOU_HTTPS=1`` turns on secure cookies and HSTS when the
site is served over HTTPS. The UI speaks Chinese (zh-Hans) by default, English on request.
"""

from __future__ import annotations

import os
from pathlib import Path

from qingshou import config

BASE_DIR = Path(__file__).resolve().parent

DEBUG = config.debug()
_DEV_SECRET_KEY = "django-insecure-qingshou-development-key-never-use-in-production"
SECRET_KEY = os.environ.get(config.SECRET_KEY_VAR) or _DEV_SECRET_KEY
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("QINGSHOU_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "qingshou.apps.loans",
    "qingshou.apps.eod",
    "qingshou.apps.contacts",
    "qingshou.apps.strategy",
    "qingshou.apps.cases",
    "qingshou.apps.notices",
    "django_q",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "qingshou.urls"
WSGI_APPLICATION = "qingshou.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": config.database_settings()}
config.ensure_database_dir(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = config.var_dir() / "static"

# Cookies and headers: safe defaults everywhere; the HTTPS-only ones when the site is served over HTTPS.
_HTTPS = os.environ.get("QINGSHOU_HTTPS", "").strip().lower() in {"1", "true", "yes", "on"}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 60 * 60
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_SSL_REDIRECT = _HTTPS
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if _HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("QINGSHOU_CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"qingshou": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

# The job queue of the notice channels (django-q2; its broker is this database: SQLite or PostgreSQL).
Q_CLUSTER = {
    "name": "qingshou",
    "orm": "default",
    "workers": 2,
    "timeout": 60,
    "retry": 120,
    "max_attempts": 1,
    "catch_up": False,
}
