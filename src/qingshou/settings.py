"""Django settings for Qingshou: every value that varies comes from the environment through ``qingshou.config``.

``QINGSHOU_DATABASE_URL`` selects the database (SQLite file by default, PostgreSQL in production),
``QINGSHOU_DEBUG`` turns on debug mode, ``QINGSHOU_SECRET_KEY`` is the signing key (a development key marked
``django-insecure-`` is used when it is unset, which ``manage.py check --deploy`` reports),
``QINGSHOU_ALLOWED_HOSTS`` is a comma list and ``QINGSHOU_HTTPS=1`` turns on secure cookies and HSTS when the
site is served over HTTPS. The UI speaks Chinese (zh-Hans) by default, English on request.
"""

from __future__ import annotations

import copy
import os
from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF

from qingshou import config
from qingshou.domain.compliance import DEFAULT_PROFILES

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
    "qingshou.apps.accounts",
    "qingshou.apps.audit",
    "qingshou.apps.loans",
    "qingshou.apps.eod",
    "qingshou.apps.contacts",
    "qingshou.apps.strategy",
    "qingshou.apps.cases",
    "qingshou.apps.notices",
    "qingshou.apps.field",
    "qingshou.apps.api",
    "qingshou.apps.arrangements",
    "qingshou.apps.records",
    "qingshou.apps.legal",
    "qingshou.apps.collateral",
    "qingshou.apps.agencies",
    "qingshou.apps.guarantees",
    "qingshou.apps.writeoffs",
    "qingshou.apps.reports",
    "qingshou.apps.dashboards",
    "qingshou.apps.scoring",
    "qingshou.apps.warning",
    "qingshou.apps.assessment",
    "qingshou.apps.planning",
    "django_q",
    # The workbench's web stack (issue 5, docs/security.md): login throttling, HTMX helpers.
    "axes",
    "django_htmx",
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "qingshou.apps.accounts.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "qingshou.urls"
WSGI_APPLICATION = "qingshou.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {"default": config.database_settings()}
config.ensure_database_dir(DATABASES["default"])
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections (issue 5 "Speed", docs/benchmarks.md): a gunicorn worker keeps its PostgreSQL
    # connection instead of opening one (a server process forked) per request; the health check replaces
    # one the server dropped. ``QINGSHOU_CONN_MAX_AGE=0`` restores one connection per request (pgbouncer
    # in transaction mode).
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("QINGSHOU_CONN_MAX_AGE", "300"))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
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
# Our CSS, and htmx from npm (package.json; `npm ci` fills node_modules — without it pages still render,
# only the in-page updates fall back to full page loads). WhiteNoise serves both, straight from the finders
# in development and `qingshou serve`; production serves the collected, hashed files (settings_production).
_NODE_MODULES = BASE_DIR.parent.parent / "node_modules"
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [BASE_DIR / "static"]
if (_NODE_MODULES / "htmx.org" / "dist").is_dir():
    STATICFILES_DIRS.append(("htmx", _NODE_MODULES / "htmx.org" / "dist"))
if (_NODE_MODULES / "echarts" / "dist").is_dir():  # the dashboards' charts (issue 7); without it, tables only
    STATICFILES_DIRS.append(("echarts", _NODE_MODULES / "echarts" / "dist"))
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root even when unused

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
CSRF_COOKIE_HTTPONLY = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Authentication: django-axes first (it refuses locked-out credentials), then the model backend.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes): 5 failed logins for one username from one address lock that pair out for
# 15 minutes; a successful login resets the count. The lockout answers 429 with the lockout page.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False

# Content Security Policy (django-csp): everything from our own origin, no inline scripts or styles, no
# framing. htmx is configured through its <meta name="htmx-config"> tag (no eval, no injected styles).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
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

# Notice channels (qingshou.apps.notices, docs/channels.md). SMS: the HTTP gateway's URL and API key, and the
# shared secret that signs its delivery callbacks (HMAC-SHA256). E-mail: Django's SMTP backend. Retries: a
# transient failure is retried after RETRY_BASE_SECONDS · 2^(attempts − 1), at most MAX_ATTEMPTS attempts.
# The institution's name, contact, how to pay and how to object go into every notice (C8). Letters: LETTER_DIR
# receives the batch PDFs for printing.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("QINGSHOU_SMTP_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("QINGSHOU_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("QINGSHOU_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("QINGSHOU_SMTP_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("QINGSHOU_SMTP_TLS", "").strip().lower() in {"1", "true", "yes", "on"}
DEFAULT_FROM_EMAIL = os.environ.get("QINGSHOU_NOTICE_SENDER", "notices@qingshou.invalid")
QINGSHOU_NOTICES = {
    "SMS_GATEWAY_URL": os.environ.get("QINGSHOU_SMS_GATEWAY_URL", ""),
    "SMS_API_KEY": os.environ.get("QINGSHOU_SMS_API_KEY", ""),
    "SMS_CALLBACK_SECRET": os.environ.get("QINGSHOU_SMS_CALLBACK_SECRET", ""),
    "SMS_TIMEOUT_SECONDS": 10.0,
    "SMTP_TIMEOUT_SECONDS": 10.0,
    "RETRY_BASE_SECONDS": int(os.environ.get("QINGSHOU_NOTICE_RETRY_BASE_SECONDS", "60")),
    "MAX_ATTEMPTS": int(os.environ.get("QINGSHOU_NOTICE_MAX_ATTEMPTS", "5")),
    # A row claimed longer ago than this is taken as a worker that died mid-send (outcome unknown).
    "SENDING_LEASE_SECONDS": int(os.environ.get("QINGSHOU_NOTICE_SENDING_LEASE_SECONDS", "900")),
    "LETTER_DIR": os.environ.get("QINGSHOU_LETTER_DIR", str(config.var_dir() / "letters")),
    "INSTITUTION_NAME": os.environ.get("QINGSHOU_INSTITUTION_NAME", "清收示范银行"),
    "INSTITUTION_CONTACT": os.environ.get("QINGSHOU_INSTITUTION_CONTACT", "客服热线 400-000-0000"),
    "HOW_TO_PAY": os.environ.get(
        "QINGSHOU_HOW_TO_PAY", "通过手机银行或任一网点向您的还款账户存入应还金额，我行将自动扣款。"
    ),
    "HOW_TO_OBJECT": os.environ.get(
        "QINGSHOU_HOW_TO_OBJECT", "如对上述金额有异议，请于收到本通知之日起 15 日内致电客服热线或到网点提出。"
    ),
}

# Contact compliance (conventions C8, docs/compliance.md): the active profile — QINGSHOU_COMPLIANCE_PROFILE
# overrides it — and each profile's parameters, validated by domain.compliance.ComplianceProfile.build (times
# are local to the contacted person, a cap of None switches its rule off).
QINGSHOU_COMPLIANCE = {
    "profile": os.environ.get("QINGSHOU_COMPLIANCE_PROFILE", "").strip() or "cn",
    # Each profile's parameters start from the domain's documented defaults; change a value here, e.g.
    # "profiles": {**DEFAULT_PROFILES, "cn": {**DEFAULT_PROFILES["cn"], "window_end": "21:00"}}.
    "profiles": copy.deepcopy(dict(DEFAULT_PROFILES)),
}

# Collection (issue 4, docs/strategy.md): the local time at which the contacts EOD plans for a day are made
# on the next morning (the compliance check, C8, defers anything outside the allowed window).
QINGSHOU_COLLECTION = {
    "contact_time": os.environ.get("QINGSHOU_CONTACT_TIME", "").strip() or "09:00",
}

# Case assignment (分案, issue 5, docs/workbench.md): rules tried in order, the first that matches an
# unassigned open case places it with a team (then balanced across its collectors) or an agency. Conditions
# left out match anything: buckets (the lead loan's), regions (the borrower's), products (the lead loan's),
# min_amount / max_amount (the borrower's total overdue, yuan, inclusive). Unmatched cases stay unassigned.
QINGSHOU_ASSIGNMENT: dict[str, object] = {
    "rules": [],
    "lock_minutes": 30,
}
# Promises to pay (issue 5): an instalment is kept when paid short by at most the larger of
# tolerance_amount (yuan) and tolerance_share (fraction of the instalment); grace_days calendar days after its
# date still count.
QINGSHOU_PROMISES = {
    "tolerance_amount": os.environ.get("QINGSHOU_PROMISE_TOLERANCE", "").strip() or "1.00",
    "tolerance_share": os.environ.get("QINGSHOU_PROMISE_TOLERANCE_SHARE", "").strip() or "0.01",
    "grace_days": int(os.environ.get("QINGSHOU_PROMISE_GRACE_DAYS", "").strip() or "3"),
}

# Plans, waivers and settlements (issue 5, maker-checker; docs/workbench.md): the largest concession (yuan:
# waived amounts, a settlement's discount) each role may approve — a string, or None for no limit; a role not
# listed approves only proposals that concede nothing. Plans longer than QINGSHOU_LONG_PLAN_MONTHS need the
# permission arrangements.approve_long_plan. A restructured plan is breached when its successor loan is more
# than QINGSHOU_PLAN_BREACH_DPD days past due (C3).
QINGSHOU_APPROVAL_LIMITS: dict[str, str | None] = {
    "supervisor": "5000",
    "legal_officer": "50000",
    "admin": None,
}
QINGSHOU_LONG_PLAN_MONTHS = 36
QINGSHOU_PLAN_BREACH_DPD = int(os.environ.get("QINGSHOU_PLAN_BREACH_DPD", "").strip() or "3")

# Legal recovery, collateral, agencies, guarantors and write-off (issue 6): each app reads its own setting with
# defaults in code, validated on first use — set them here to change them:
#   QINGSHOU_LEGAL (apps.legal.conf: reminder lead days, fee rounding, delay-interest start; docs/legal.md),
#   QINGSHOU_COLLATERAL_HAIRCUTS / QINGSHOU_COLLATERAL_LTV_THRESHOLD (docs/collateral.md),
#   QINGSHOU_GUARANTEE_REMINDER_DAYS, QINGSHOU_WRITEOFF_RULES, QINGSHOU_WRITEOFF_APPROVAL_LIMITS
#   (docs/guarantees-writeoff.md). Agency contracts carry their own terms (docs/agencies.md).

# Uploaded files (field-visit photos): under var/, served only through the field app's scoped view — no
# public media URL.
MEDIA_ROOT = config.var_dir() / "media"

# Case documents (qingshou.apps.records): size caps of an upload, checked with its type by content.
QINGSHOU_DOCUMENTS = {"max_bytes": 20 * 1024 * 1024, "recording_max_bytes": 100 * 1024 * 1024}
# Retention of collection records (docs/security.md "Retention", rules-cn §6.6): whole years after the case is
# closed, per record type (promises and repayment-agreement documents count from a *settled* close only);
# `qingshou records retention --apply` purges what is past its period. The audit trail is never purged.
# Days an API Idempotency-Key is remembered (docs/api.md "Idempotency").
QINGSHOU_API_IDEMPOTENCY_DAYS = 30

QINGSHOU_RETENTION = {
    "contact_attempts": 2,  # contact attempts and notes — 2011 Measures art. 68: ≥ 2 years
    "recordings": 2,  # call recordings — 2011 Measures art. 68: ≥ 2 years
    "promises": 2,  # oral repayment agreements — until settled (art. 70), then 2 years
    "visits": 2,  # visit reports and photos — collection process records: ≥ 2 years
    "documents": 3,  # uploaded documents — the 3-year limitation (Civil Code art. 188) of a later claim
    "notices": 3,  # notices sent — evidence of demands interrupting limitation (C7): 3 years
    "batch_size": 1000,
}
