"""Template helpers of the base page: the htmx script tag (only when the file is there)."""

from __future__ import annotations

from functools import cache

from django import template
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString

from qingshou.domain.money import from_fen

register = template.Library()

HTMX_PATH = "htmx/htmx.min.js"


@cache
def _htmx_url() -> str:
    """The URL of htmx.min.js, or "" when it is not installed (``npm ci`` not run): pages then render and
    work without in-page updates."""
    if getattr(settings, "WHITENOISE_USE_FINDERS", False) or settings.DEBUG:
        if not finders.find(HTMX_PATH):
            return ""
    elif not staticfiles_storage.exists(HTMX_PATH):
        return ""
    try:
        return static(HTMX_PATH)
    except ValueError:  # a manifest storage without the file
        return ""


@register.simple_tag
def htmx_script() -> SafeString:
    """``<script src=".../htmx.min.js" defer>`` from npm's htmx.org, or nothing when it is missing."""
    url = _htmx_url()
    return format_html('<script src="{}" defer></script>', url) if url else SafeString("")


@register.filter
def yuan(fen: int | str | None) -> str:
    """Integer fen as yuan with thousands separators and two decimals (``123456`` → ``1,234.56``);
    ``None`` → ``—``. The one money filter of the templates (C9)."""
    if fen is None or fen == "":
        return "—"
    return f"{from_fen(int(fen)):,.2f}"
