"""Configuration from the environment: where the database and the lake live, read by pure functions.

Nothing here runs at import time. ``QINGSHOU_DATABASE_URL`` names the database (``sqlite:///PATH`` or
``postgresql://user[:password]@host:port/name``; default ``sqlite:///<home>/var/qingshou.sqlite3``),
``QINGSHOU_LAKE`` the Parquet lake (default ``<home>/var/lake``) and ``QINGSHOU_HOME`` the base folder of
``var/`` (default: the source checkout when running from one, else the current directory). Django's
settings read :func:`database_settings`; the bulk adapters read :func:`adbc_uri`, which names the database
Django's connection *actually* uses (under pytest-django that is the ``test_…`` database), so the ORM and
ADBC always see the same data.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import dj_database_url

DATABASE_URL_VAR = "QINGSHOU_DATABASE_URL"
LAKE_VAR = "QINGSHOU_LAKE"
HOME_VAR = "QINGSHOU_HOME"
DEBUG_VAR = "QINGSHOU_DEBUG"
SECRET_KEY_VAR = "QINGSHOU_SECRET_KEY"

_SQLITE_ENGINE = "django.db.backends.sqlite3"
_POSTGRES_ENGINE = "django.db.backends.postgresql"
_TRUE = {"1", "true", "yes", "on"}


def home_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The base folder of ``var/``: ``QINGSHOU_HOME``, else the source checkout, else the current directory."""
    env = os.environ if environ is None else environ
    if env.get(HOME_VAR):
        return Path(env[HOME_VAR]).expanduser().resolve()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "src" / "qingshou").is_dir():
        return checkout
    return Path.cwd()


def var_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``<home>/var``: the default home of the SQLite file and the lake (not created here)."""
    return home_dir(environ) / "var"


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """``QINGSHOU_DATABASE_URL``, or the SQLite file ``<home>/var/qingshou.sqlite3``."""
    env = os.environ if environ is None else environ
    url = env.get(DATABASE_URL_VAR, "").strip()
    return url or f"sqlite:///{var_dir(env) / 'qingshou.sqlite3'}"


def database_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Django's ``DATABASES['default']`` for :func:`database_url`; a relative SQLite path becomes absolute."""
    config: dict[str, Any] = dict(dj_database_url.parse(database_url(environ)))
    if config["ENGINE"] == _SQLITE_ENGINE:
        path = Path(config["NAME"]).expanduser()
        if not path.is_absolute():
            path = Path.cwd() / path
        config["NAME"] = str(path)
        # A file, never ":memory:": the ADBC connection must open the very database Django's test run uses.
        config["TEST"] = {"NAME": str(path.with_name(f"test_{path.name}"))}
    return config


def ensure_database_dir(settings: Mapping[str, Any]) -> None:
    """Create the folder of a SQLite database file (SQLite creates the file, not its folder)."""
    if settings.get("ENGINE") == _SQLITE_ENGINE:
        Path(settings["NAME"]).parent.mkdir(parents=True, exist_ok=True)


def lake_path(environ: Mapping[str, str] | None = None) -> Path:
    """``QINGSHOU_LAKE`` or ``<home>/var/lake`` (relative paths are taken from the current directory)."""
    env = os.environ if environ is None else environ
    if env.get(LAKE_VAR):
        return Path(env[LAKE_VAR]).expanduser().resolve()
    return var_dir(env) / "lake"


def debug(environ: Mapping[str, str] | None = None) -> bool:
    """``QINGSHOU_DEBUG`` is 1/true/yes/on."""
    env = os.environ if environ is None else environ
    return env.get(DEBUG_VAR, "").strip().lower() in _TRUE


def adbc_uri_for(settings: Mapping[str, Any]) -> str:
    """The ADBC URI of a Django database entry: the SQLite file path, or a ``postgresql://`` URI."""
    engine = settings.get("ENGINE", "")
    if engine == _SQLITE_ENGINE:
        return str(settings["NAME"])
    if engine == _POSTGRES_ENGINE:
        user = quote(str(settings.get("USER") or ""), safe="")
        password = quote(str(settings.get("PASSWORD") or ""), safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = str(settings.get("HOST") or "localhost")
        port = f":{settings['PORT']}" if settings.get("PORT") else ""
        return f"postgresql://{auth}{host}{port}/{quote(str(settings['NAME']), safe='')}"
    raise ValueError(f"no ADBC driver for the database engine {engine!r}")


def adbc_uri() -> str:
    """The ADBC URI of the database Django's default connection uses now (the test database under pytest)."""
    from django.db import connection

    return adbc_uri_for(connection.settings_dict)
