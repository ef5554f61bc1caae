"""The interface language: Chinese unless the user chose English (issue 5: "Chinese by default, English
available").

Django's ``LocaleMiddleware`` follows the browser's ``Accept-Language`` when the user has made no choice, so
an English browser would get English pages. Here the language is the one the user picked with the language
switch (``set_language`` stores it in the language cookie) and otherwise ``settings.LANGUAGE_CODE``
(``zh-hans``) — the browser is not consulted. The JSON API (``/api/``) negotiates as usual: a program asks
for its language with ``Accept-Language``. Everything else (the ``Content-Language`` and ``Vary`` headers) is
Django's.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

#: Paths that keep Django's ``Accept-Language`` negotiation.
API_PREFIX = "/api/"


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """``LocaleMiddleware`` without the ``Accept-Language`` negotiation (module docstring)."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith(API_PREFIX):
            super().process_request(request)
            return
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        try:
            language = (
                translation.get_supported_language_variant(chosen) if chosen else settings.LANGUAGE_CODE
            )
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
