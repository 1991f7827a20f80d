"""The profile's text settings: one key, one value, owned by whoever reads them.

The store gives settings no structure of its own: callers that need structure encode it as JSON,
so adding a setting never needs a schema migration.
"""

from __future__ import annotations

from .database import Database

__all__ = ["get_setting", "set_setting", "settings"]


def get_setting(db: Database, key: str) -> str | None:
    value = db.query_value("SELECT value FROM settings WHERE key = ?", (key,))
    return None if value is None else str(value)


def set_setting(db: Database, key: str, value: str | None) -> None:
    """Store a text setting; ``None`` deletes it."""
    if value is None:
        db.execute("DELETE FROM settings WHERE key = ?", (key,))
    else:
        db.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def settings(db: Database) -> dict[str, str]:
    return {str(k): str(v) for k, v in db.query("SELECT key, value FROM settings")}
