"""What every part of the sync engine shares: the store hop, events, the status, the connection.

The engine's parts (:mod:`.keys`, :mod:`.notes`, :mod:`.library`, :mod:`.presenting`,
:mod:`.loop`) each hold this one :class:`SyncContext` and nothing of each other's that sits
above them, so no part calls back up: the loop composes them and decides what follows what.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from furano_meet.net import RelayConnection, RelayError
from furano_meet.store import LocalStore

from .account import Account
from .events import Connectivity, StatusChanged, SyncEvent, SyncStatus
from .observers import EventHub

log = logging.getLogger("furano.sync")
T = TypeVar("T")


class SyncContext:
    def __init__(self, store: LocalStore, account: Account, clock: Callable[[], datetime]) -> None:
        self.store = store
        """The device's encrypted store; touched only through :meth:`db` from the event loop."""
        self.account = account
        self.clock = clock
        self.events = EventHub()
        self.status = SyncStatus(Connectivity.OFFLINE, "Not connected yet.")
        self.conn: RelayConnection | None = None
        """The authenticated connection while a session lasts (catching up included), else
        ``None``: intents that need the relay raise ``offline`` without it."""
        self.private_keys_learned = asyncio.Event()
        """Set whenever this device stores a private-annotation key it did not hold: the
        recovery box (:mod:`.recovery`) is sealed again soon after."""

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Store calls leave the event loop: SQLCipher and fsync must never block it."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    def emit(self, event: SyncEvent) -> None:
        self.events.emit(event)

    def set_status(self, connectivity: Connectivity, message: str, **extra: Any) -> None:
        self.status = SyncStatus(connectivity, message, **extra)
        self.emit(StatusChanged(self.status))

    async def refresh_status(self) -> None:
        """Online: say how many changes are still to send and which meetings wait for a key."""
        pending = await self.db(self.store.outbox_size)
        meetings = await self.db(self.store.meetings)
        waiting = tuple(mt.meeting_id for mt in meetings if not mt.has_key and not mt.shredded_at)
        self.set_status(
            Connectivity.ONLINE,
            "Up to date." if not pending else f"Sending {pending} change(s) …",
            pending_ops=pending,
            waiting_for_key=waiting,
        )

    def require_connection(self) -> RelayConnection:
        if self.conn is None:
            raise RelayError("offline", "This needs a connection to the relay; you are offline.")
        return self.conn


def parse_time(text: str) -> datetime | None:
    """A relay timestamp (ISO 8601, ``Z`` allowed), or ``None`` for empty or unreadable text."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
