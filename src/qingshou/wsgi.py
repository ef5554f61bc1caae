"""WSGI entry point: ``qingshou.wsgi:application`` for any WSGI server (gunicorn, uWSGI, mod_wsgi)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingshou.settings")

application = get_wsgi_application()
