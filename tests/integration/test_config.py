"""``qingshou.config``: database and lake locations from the environment, and the ADBC URI (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qingshou import config


def test_default_database_is_a_sqlite_file_under_home_var(tmp_path: Path) -> None:
    """No QINGSHOU_DATABASE_URL: ``<QINGSHOU_HOME>/var/qingshou.sqlite3``; its test database is a file too."""
    settings = config.database_settings({"QINGSHOU_HOME": str(tmp_path)})
    assert settings["ENGINE"] == "django.db.backends.sqlite3"
    assert settings["NAME"] == str(tmp_path / "var" / "qingshou.sqlite3")
    assert settings["TEST"]["NAME"] == str(tmp_path / "var" / "test_qingshou.sqlite3")
    assert config.adbc_uri_for(settings) == settings["NAME"]
    assert config.lake_path({"QINGSHOU_HOME": str(tmp_path)}) == tmp_path / "var" / "lake"


def test_relative_sqlite_path_becomes_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A relative SQLite path is taken from the current directory, so Django and ADBC agree."""
    monkeypatch.chdir(tmp_path)
    settings = config.database_settings({"QINGSHOU_DATABASE_URL": "sqlite:///data/q.sqlite3"})
    assert settings["NAME"] == str(tmp_path / "data" / "q.sqlite3")


def test_postgresql_url_and_its_adbc_uri() -> None:
    """A PostgreSQL URL gives Django's settings and the same server/database as an ADBC URI."""
    env = {"QINGSHOU_DATABASE_URL": "postgresql://app:p%40ss@db.example:5433/qingshou"}
    settings = config.database_settings(env)
    assert (settings["ENGINE"], settings["HOST"], settings["PORT"], settings["NAME"]) == (
        "django.db.backends.postgresql",
        "db.example",
        5433,
        "qingshou",
    )
    assert config.adbc_uri_for(settings) == "postgresql://app:p%40ss@db.example:5433/qingshou"
    assert config.adbc_uri_for({**settings, "NAME": "test_qingshou", "PASSWORD": ""}) == (
        "postgresql://app@db.example:5433/test_qingshou"
    )


def test_lake_and_debug_from_the_environment(tmp_path: Path) -> None:
    """QINGSHOU_LAKE names the lake; QINGSHOU_DEBUG=1/true/yes/on turns debug on."""
    assert config.lake_path({"QINGSHOU_LAKE": str(tmp_path / "lake")}) == tmp_path / "lake"
    assert config.debug({"QINGSHOU_DEBUG": "true"}) is True
    assert config.debug({"QINGSHOU_DEBUG": "0"}) is False
    assert config.debug({}) is False


def test_ensure_database_dir_creates_the_sqlite_folder(tmp_path: Path) -> None:
    """The folder of the SQLite file is created when needed (SQLite creates files, not folders)."""
    settings = config.database_settings({"QINGSHOU_DATABASE_URL": f"sqlite:///{tmp_path}/a/b/q.sqlite3"})
    config.ensure_database_dir(settings)
    assert (tmp_path / "a" / "b").is_dir()
