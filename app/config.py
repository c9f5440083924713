"""Configuration read from the environment; every path the app writes to is decided here."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"

# Keys that appear in tutorials and .env samples; a production deployment using one of
# them is as good as unprotected.
KNOWN_WEAK_KEYS = {"dev", "secret", "changeme", "change-me", "secret-key", "development", "test"}
MIN_KEY_LENGTH = 32
# SQLite's fsync policy in WAL mode (docs/reliability.md): NORMAL survives any process kill;
# FULL also survives power loss / an OS crash, at one fsync per commit. OFF is never offered.
SQLITE_SYNCHRONOUS_LEVELS = ("NORMAL", "FULL", "EXTRA")


class ConfigError(RuntimeError):
    """The environment does not describe a configuration the app may run with."""


def normalise_database_url(url: str) -> str:
    """Route PostgreSQL URLs through psycopg 3 whatever spelling the operator used."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_weak_key(key: str | None) -> bool:
    if not key:
        return True
    return len(key) < MIN_KEY_LENGTH or key.lower() in KNOWN_WEAK_KEYS or len(set(key)) < 8


def load_or_create_secret_key(instance_path: Path) -> str:
    """Keep one generated key per instance so sessions survive restarts in development."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def build_config(env: dict | None = None, instance_path: Path | None = None) -> dict:
    """Return the Flask config mapping for the given environment (``os.environ`` by default).

    :raises ConfigError: in production with a missing or weak ``SECRET_KEY``.
    """
    env = dict(os.environ if env is None else env)
    instance_path = Path(instance_path or env.get("INSTANCE_PATH") or DEFAULT_INSTANCE)
    app_env = env.get("APP_ENV", "development")
    production = app_env == "production"

    secret_key = env.get("SECRET_KEY")
    if production and is_weak_key(secret_key):
        raise ConfigError(
            "SECRET_KEY must be set to a random value of at least "
            f"{MIN_KEY_LENGTH} characters in production (APP_ENV=production)."
        )
    if not secret_key:
        secret_key = load_or_create_secret_key(instance_path)

    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'app.db'}"
    sqlite_synchronous = env.get("SQLITE_SYNCHRONOUS", "NORMAL").upper()
    if sqlite_synchronous not in SQLITE_SYNCHRONOUS_LEVELS:
        raise ConfigError(f"SQLITE_SYNCHRONOUS must be one of {', '.join(SQLITE_SYNCHRONOUS_LEVELS)}.")
    certificates_dir = Path(env.get("CERTIFICATES_DIR") or PROJECT_ROOT / "certificates")
    secure_cookies = production or env.get("SECURE_COOKIES") == "1"

    return {
        "APP_ENV": app_env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        # A server can drop a pooled connection; an SQLite file cannot, and a ping per checkout
        # is a measurable share of a check-in (two checkouts a request).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not normalise_database_url(database_url).startswith("sqlite")},
        "SQLITE_SYNCHRONOUS": sqlite_synchronous,
        "CERTIFICATES_DIR": str(certificates_dir),
        "MATERIALS_DIR": env.get("MATERIALS_DIR") or str(instance_path / "materials"),
        "IMPORT_MAX_BYTES": 5 * 1024 * 1024,
        "MATERIALS_MAX_BYTES": int(env.get("MATERIALS_MAX_MB", "25")) * 1024 * 1024,
        "BASE_URL": env.get("BASE_URL", "http://127.0.0.1:5000"),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        # Cookies: never readable from scripts, never sent cross-site on a POST.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_DURATION": timedelta(days=14),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "MAX_CONTENT_LENGTH": (int(env.get("MATERIALS_MAX_MB", "25")) + 1) * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent / "translations"),
        "LANGUAGES": ("vi", "en"),
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATE_LIMIT_NAMESPACE": env.get("RATE_LIMIT_NAMESPACE", "dat7"),
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        "API_TOKEN_LIFETIME": timedelta(hours=int(env.get("API_TOKEN_HOURS", "12"))),
        "PER_PAGE": 50,
        # Attendance (issue 5). The session QR changes every STEP seconds and is accepted for
        # GRACE further steps (a slow phone, a queue at the door) and SKEW steps early (clocks).
        "ATTENDANCE_CODE_STEP_SECONDS": int(env.get("ATTENDANCE_CODE_STEP_SECONDS", "20")),
        "ATTENDANCE_CODE_GRACE_STEPS": int(env.get("ATTENDANCE_CODE_GRACE_STEPS", "3")),
        "ATTENDANCE_CODE_SKEW_STEPS": 1,
        # Once a valid code opened the page, the person has this long to type their phone number.
        "ATTENDANCE_TICKET_SECONDS": 600,
        "ATTENDANCE_OPENS_BEFORE_MINUTES": int(env.get("ATTENDANCE_OPENS_BEFORE_MINUTES", "30")),
        "ATTENDANCE_LATE_AFTER_MINUTES": int(env.get("ATTENDANCE_LATE_AFTER_MINUTES", "15")),
        "ATTENDANCE_SUSPICIOUS_AFTER_MINUTES": int(env.get("ATTENDANCE_SUSPICIOUS_AFTER_MINUTES", "60")),
        # How long a scan may wait in an offline scanner's queue before it is refused.
        "ATTENDANCE_OFFLINE_MAX_HOURS": 72,
        # Per address: a commune hall's Wi-Fi puts everyone behind one address.
        "CHECKIN_RATE_LIMIT": env.get("CHECKIN_RATE_LIMIT", "300 per minute"),
        # Public certificate verification, per client address (scanning a QR is one request).
        "VERIFY_RATE_LIMIT": env.get("VERIFY_RATE_LIMIT", "60 per minute"),
        "COST_DEADLINE_WARNING_DAYS": int(env.get("COST_DEADLINE_WARNING_DAYS", "60")),
        # Exports for publication show counts below this as "<N", so no one is picked out.
        "REPORT_MIN_CELL": int(env.get("REPORT_MIN_CELL", "5")),
    }
