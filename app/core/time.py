"""Time helpers: the database stores UTC; people read Vietnam time."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Timezone-aware UTC now (stored naive-UTC by the models for SQLite/PostgreSQL parity)."""
    return datetime.now(UTC).replace(tzinfo=None)
