"""Configuration from the environment."""

import stat

import pytest

from app import create_app
from app.config import ConfigError, build_config, normalise_database_url


def test_development_generates_and_keeps_a_private_secret_key(tmp_path):
    first = build_config({}, instance_path=tmp_path)["SECRET_KEY"]
    second = build_config({}, instance_path=tmp_path)["SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert first == second and len(first) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


@pytest.mark.parametrize("key", [None, "", "dev", "short-key", "a" * 40, "changeme"])
def test_production_refuses_a_missing_or_weak_key(tmp_path, key):
    env = {"APP_ENV": "production"} | ({"SECRET_KEY": key} if key is not None else {})
    with pytest.raises(ConfigError):
        build_config(env, instance_path=tmp_path)


def test_production_accepts_a_strong_key_and_secures_cookies(tmp_path):
    config = build_config(
        {"APP_ENV": "production", "SECRET_KEY": "k7Vq2xR9mP4wZ8sT1nB6yH3jL5dF0gCa"}, instance_path=tmp_path
    )
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert not (tmp_path / "secret_key").exists()


def test_the_app_itself_refuses_to_start_in_production_without_a_key(tmp_path, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_defaults(tmp_path):
    config = build_config({}, instance_path=tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'app.db'}"
    assert config["CERTIFICATES_DIR"].endswith("certificates")
    assert config["BABEL_DEFAULT_LOCALE"] == "vi"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_urls_go_through_psycopg3(given, expected):
    assert normalise_database_url(given) == expected


def test_environment_settings_are_read(tmp_path):
    config = build_config(
        {
            "DATABASE_URL": "postgresql://x@y/z",
            "CERTIFICATES_DIR": "/srv/gcn",
            "BASE_URL": "https://daotao.example.vn",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        },
        instance_path=tmp_path,
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://x@y/z"
    assert config["CERTIFICATES_DIR"] == "/srv/gcn"
    assert config["BASE_URL"] == "https://daotao.example.vn"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_sqlite_synchronous_defaults_to_normal_and_refuses_off(tmp_path):
    assert build_config({}, instance_path=tmp_path)["SQLITE_SYNCHRONOUS"] == "NORMAL"
    assert build_config({"SQLITE_SYNCHRONOUS": "full"}, instance_path=tmp_path)["SQLITE_SYNCHRONOUS"] == "FULL"
    with pytest.raises(ConfigError):
        build_config({"SQLITE_SYNCHRONOUS": "OFF"}, instance_path=tmp_path)


@pytest.mark.parametrize(("setting", "level"), [("NORMAL", 1), ("FULL", 2)])
def test_every_sqlite_connection_gets_the_configured_synchronous_level(tmp_path, setting, level):
    from sqlalchemy import text

    from app.extensions import db

    application = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "k7Vq2xR9mP4wZ8sT1nB6yH3jL5dF0gCa",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'sync.db'}",
            "SQLITE_SYNCHRONOUS": setting,
        }
    )
    with application.app_context(), db.engine.connect() as connection:  # the engine: tests swap db.session
        assert connection.scalar(text("PRAGMA synchronous")) == level
        assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
    with application.app_context():
        db.engine.dispose()
