"""This device's identity: its id, private keys and the relay token, in one row.

There is exactly one device row per profile (``id = 1``): enrolling again replaces it, and the
relay token is rotated (or cleared after the relay revoked it) without touching the keys.
"""

from __future__ import annotations

from .database import Database
from .errors import StoreBug
from .records import DeviceIdentity, now_ms

__all__ = ["device", "save_device", "set_device_token"]


def save_device(db: Database, device: DeviceIdentity) -> None:
    """Store this device's identity, keys and relay token (replacing any previous one)."""
    db.execute(
        "INSERT INTO device (id, device_id, relay_url, device_token, private_keys, "
        "updated_at) VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
        "device_id = excluded.device_id, relay_url = excluded.relay_url, "
        "device_token = excluded.device_token, private_keys = excluded.private_keys, "
        "updated_at = excluded.updated_at",
        (
            device.device_id,
            device.relay_url,
            device.device_token,
            device.private_keys,
            now_ms(),
        ),
    )


def device(db: Database) -> DeviceIdentity | None:
    row = db.query_one(
        "SELECT device_id, relay_url, private_keys, device_token FROM device WHERE id = 1"
    )
    if row is None:
        return None
    return DeviceIdentity(
        device_id=row[0], relay_url=row[1], private_keys=row[2], device_token=row[3]
    )


def set_device_token(db: Database, token: str | None) -> None:
    """Replace the relay token (rotation, or ``None`` after the relay revoked it)."""
    with db.atomic():
        if not db.execute(
            "UPDATE device SET device_token = ?, updated_at = ? WHERE id = 1",
            (token, now_ms()),
        ):
            raise StoreBug("set_device_token() before save_device()")
