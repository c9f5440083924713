"""Flask extensions, created unbound so that models and views can import them freely."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names make Alembic migrations portable between SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def rate_limit_key() -> str:
    """Client address within this deployment's namespace, so several deployments (staging,
    production) or test runs can share one Redis without counting each other's requests."""
    from flask import current_app

    return f"{current_app.config['RATE_LIMIT_NAMESPACE']}/{get_remote_address()}"


limiter = Limiter(key_func=rate_limit_key, default_limits=[])


def select_locale() -> str:
    """Vietnamese unless the visitor chose English with the language switch."""
    from flask import current_app, has_request_context

    if not has_request_context():  # CLI commands speak Vietnamese
        return "vi"
    chosen = request.cookies.get("lang")
    return chosen if chosen in current_app.config["LANGUAGES"] else "vi"
