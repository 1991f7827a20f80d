"""What the relay's handlers share: the connection context and the relay-wide state.

Theory of operation
-------------------
Every handler in :mod:`server.handlers` is a function ``(state, client, message)``.  ``client``
is a :class:`Client`: who is asking (its authenticated identity and protocol session), where
replies go (its :class:`~server.fanout.Mailbox`) and what it has in flight (rooms joined,
transfers).  ``state`` is the one :class:`RelayState` of the relay: its settings, the store and
the blob directory, and what outlives a single connection:

* ``rooms`` — a :class:`~server.rooms.Room` per meeting with anyone in it;
* ``presenters`` — the presenter state of every meeting seen since the start (a room that
  empties and fills again continues its ``seq``);
* ``uploading`` — which connection owns each in-flight upload (one writer per ``.part`` file);
* ``by_device`` — the authenticated connections of each device (pushes to a device, the
  per-device connection limit, revocation).

The pump (:mod:`server.relay`) owns the sockets and the registry of connections; the state sees
that registry read-only (``clients``).  Handlers never import the pump, so each can be driven in
a unit test with a real store on a temporary directory and a recording mailbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from furano_meet.protocol import MAX_TEXT_FRAME, ErrorCode, Session
from furano_meet.protocol import messages as m

from .blobs import BlobStore
from .config import RelayConfig
from .errors import Refusal
from .fanout import Mailbox
from .ratelimit import AttemptLimiter
from .rooms import Room
from .store import DeviceIdentity, Store
from .transfers import Transfers, Upload

PUBLISHERS: frozenset[m.Role] = frozenset({"clerk", "admin"})
"""Roles that may publish and withdraw documents."""


@dataclass(eq=False, kw_only=True)
class Client:
    """One connection as the handlers see it: who is asking, and where replies go."""

    conn_id: int
    outbox: Mailbox
    session: Session = field(default_factory=lambda: Session(role="relay"))
    identity: DeviceIdentity | None = None
    rooms: set[str] = field(default_factory=set)
    transfers: Transfers = field(default_factory=Transfers)
    revoked: bool = False
    """Set the moment the device's revocation is noticed: nothing more is served."""
    address: str = ""
    """The peer's IP address (behind a trusted proxy, the client's): per-address limits."""
    enrol_failures: int = 0
    """Wrong enrolment codes tried on this connection."""

    @property
    def who(self) -> DeviceIdentity:
        assert self.identity is not None, "handlers run only after authentication"
        return self.identity


@dataclass(eq=False)
class UploadClaim:
    """Which connection writes a ``.part`` file (one at a time, relay-wide)."""

    client: Client
    upload: Upload | None = None
    """``None`` while the owner is still opening the file."""
    finishing: bool = False
    """The file is being verified, renamed and published: it cannot be taken over."""


class RelayState:
    """The relay-wide state every handler shares (see the module docstring)."""

    def __init__(
        self,
        config: RelayConfig,
        store: Store,
        blobs: BlobStore,
        clients: Mapping[int, Client],
    ) -> None:
        self.config = config
        self.store = store
        self.blobs = blobs
        self.clients = clients
        """Every open connection by id (owned by the pump; read here)."""
        self.rooms: dict[str, Room[Mailbox]] = {}
        self.presenters: dict[str, m.PresenterState] = {}
        """The newest presenter state of every meeting with a room since the start.  A room that
        empties and is rebuilt continues from here, never from an older database snapshot."""
        self.uploading: dict[str, UploadClaim] = {}
        """Transfer key → the connection uploading it."""
        self.by_device: dict[str, set[Client]] = {}
        self.enrol_guesses = AttemptLimiter(config.enrol_attempts_per_address, config.enrol_window)
        """Wrong enrolment codes per address (a code is a secret worth guessing at)."""
        self.max_out = min(config.max_text_frame, MAX_TEXT_FRAME)
        """Largest text frame the relay sends: what it accepts itself (``welcome.max_frame``)
        and never more than a client accepts."""

    def joined_room(self, client: Client, meeting_id: str) -> Room[Mailbox]:
        """The room ``client`` attends, or the refusal every in-room request gets."""
        room = self.rooms.get(meeting_id)
        if room is None or client.conn_id not in room.attendees:
            raise Refusal(ErrorCode.UNEXPECTED_MESSAGE, "Join the meeting first.")
        return room

    async def membership(self, client: Client, meeting_id: str) -> m.MeetingInfo:
        """The meeting, if the asking user is a member; the store's refusal otherwise."""
        return await self.store.run(self.store.meeting_for_member, meeting_id, client.who.user_id)

    def device_outboxes(self, device_ids: Iterable[str]) -> list[Mailbox]:
        """Where pushes to these devices go (every connection of each that is online)."""
        return [c.outbox for d in device_ids for c in self.by_device.get(d, ())]

    def check_in_flight(
        self,
        client: Client,
        count: Callable[[Client], int],
        limits: tuple[int, int],
        what: str,
    ) -> None:
        """Refuse one more ``what`` when ``client`` or its device has ``limits`` (per connection,
        per device) in flight already: what a connection holds (files, buffers, reserved disk)
        stays bounded whatever it asks for."""
        per_connection, per_device = limits
        mine = count(client)
        device = sum(count(c) for c in self.by_device.get(client.who.device_id, ()))
        if mine >= per_connection or device >= per_device:
            limit = per_connection if mine >= per_connection else per_device
            scope = "connection" if mine >= per_connection else "device"
            raise Refusal(
                ErrorCode.RATE_LIMITED,
                f"This {scope} already has {limit} {what} in progress; "
                "try again when one has finished.",
            )

    def admit(self, client: Client, identity: DeviceIdentity) -> None:
        """Record ``client`` as ``identity``'s connection, within the per-device limit."""
        peers = self.by_device.setdefault(identity.device_id, set())
        if len(peers) >= self.config.max_connections_per_device:
            raise Refusal(
                ErrorCode.TOO_MANY_CONNECTIONS,
                f"This device already has {len(peers)} connections open; close one first.",
            )
        peers.add(client)
        client.identity = identity

    def forget_device(self, client: Client) -> None:
        """``client`` no longer counts as its device's connection (closed or revoked)."""
        if client.identity is not None:
            devices = self.by_device.get(client.identity.device_id)
            if devices is not None:
                devices.discard(client)
                if not devices:
                    del self.by_device[client.identity.device_id]
