"""Timezone-aware UTC time, in one place so that every stored time means the same thing."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, in UTC, with tzinfo set."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC, so say so."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
