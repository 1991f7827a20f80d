"""A relay without sockets, for the handler tests: real store, real blobs, recording mailboxes.

The one stand-in is :class:`RecordingMailbox`, the answer to "where do replies go": it keeps
every frame a handler sends (decoded as a client would, so a frame the relay may not send is
refused here too) instead of writing it to a socket.  Everything else is the real thing: a
seeded :class:`~server.store.Store` on a temporary directory, the :class:`~server.blobs.BlobStore`,
the :class:`~server.state.RelayState`, and each request encoded and received through the
client's protocol :class:`~furano_meet.protocol.Session` exactly as the pump does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from furano_meet.crypto import canonical_json, epochs, framing
from furano_meet.crypto.authority import SignedKind
from furano_meet.protocol import (
    PROTOCOL_MINOR,
    Chunk,
    ChunkKind,
    ErrorCode,
    decode,
    encode,
    encode_chunk,
)
from furano_meet.protocol import messages as m
from furano_meet.protocol.session import Phase
from server import demo
from server.blobs import BlobStore
from server.config import RelayConfig
from server.errors import Refusal
from server.fanout import Frame, Stream
from server.handlers import uploads
from server.relay import Handler
from server.state import Client, RelayState
from server.store import Store

MsgT = TypeVar("MsgT", bound=m.Msg)


class RecordingMailbox:
    """Keeps what a connection would have been sent, decoded, in order."""

    def __init__(self, minor: int = PROTOCOL_MINOR) -> None:
        self.minor = minor
        self.frames: list[m.Msg] = []
        self.streams: list[Stream] = []
        self.closed: tuple[int, str] | None = None

    def ready_connection(self) -> None:
        return None  # never a socket: fan-out always queues here

    def send(self, message: m.Msg, *, even_if_closing: bool = False) -> None:
        self.deliver(encode(message, minor=self.minor))

    def deliver(
        self, frame: Frame, *, sheddable_for: str | None = None, even_if_closing: bool = False
    ) -> None:
        assert isinstance(frame, str), "replies and pushes are text frames"
        self.frames.append(decode(frame, sender="relay"))

    def replace(self, key: str, frame: Frame) -> None:
        self.deliver(frame)

    def add_stream(self, stream: Stream) -> None:
        self.streams.append(stream)

    def cancel_stream(self, transfer: int) -> bool:
        for stream in self.streams:
            if stream.transfer == transfer:
                self.streams.remove(stream)
                stream.close()
                return True
        return False

    def close_streams(self) -> None:
        while self.streams:
            self.streams.pop().close()

    def close_soon(self, *, code: int, reason: str) -> bool:
        self.closed = (code, reason)
        return True

    @property
    def streaming(self) -> int:
        return len(self.streams)

    def close_now(self, frame: Frame, *, code: int, reason: str) -> None:
        self.close_streams()
        self.deliver(frame)
        self.closed = (code, reason)

    def take(self) -> list[m.Msg]:
        """What arrived since the last ``take``."""
        frames, self.frames = self.frames, []
        return frames

    def only(self, cls: type[MsgT]) -> MsgT:
        """The one frame that arrived since the last ``take``, which must be a ``cls``."""
        frames = self.take()
        assert len(frames) == 1 and isinstance(frames[0], cls), frames
        return frames[0]


@dataclass
class World:
    """One relay's state and the connections opened on it."""

    state: RelayState
    clients: dict[int, Client] = field(default_factory=dict)

    @property
    def store(self) -> Store:
        return self.state.store

    def anonymous(self, minor: int = PROTOCOL_MINOR) -> Client:
        """A fresh connection that has not said ``hello`` yet."""
        client = Client(conn_id=len(self.clients) + 1, outbox=RecordingMailbox(minor))
        self.clients[client.conn_id] = client
        return client

    def connect(self, user_id: str, minor: int = PROTOCOL_MINOR) -> Client:
        """An authenticated connection of a newly enrolled device of ``user_id``."""
        code = self.store.issue_enrolment_code(user_id)
        identity, _ = self.store.enrol(code, f"{user_id}'s tablet", b"pk-" + user_id.encode())
        client = self.anonymous(minor)
        client.session.phase = Phase.READY
        client.session.peer_minor = minor
        self.state.admit(client, identity)
        return client


def open_world(tmp_path: Path, **settings: Any) -> World:
    """A seeded demo council behind a relay state; close it with :func:`close_world`."""
    config = RelayConfig(data_dir=tmp_path, **settings)
    store = Store(config.database_path)
    store.open()
    demo.seed(store)
    clients: dict[int, Client] = {}
    return World(RelayState(config, store, BlobStore(tmp_path), clients), clients)


def close_world(world: World) -> None:
    world.store.close()


async def ask(world: World, handler: Handler, client: Client, msg: m.Msg) -> None:
    """Send ``msg`` as ``client`` would: encoded, received through its session, handled."""
    received = client.session.receive(encode(msg, minor=client.outbox.minor))
    assert isinstance(received, m.Msg)
    await handler(world.state, client, received)


def mailbox(client: Client) -> RecordingMailbox:
    assert isinstance(client.outbox, RecordingMailbox)
    return client.outbox


async def send_chunk(world: World, client: Client, transfer: int, offset: int, data: bytes) -> None:
    """One upload chunk (with its digest), received through the session as the pump does."""
    frame = encode_chunk(
        Chunk(ChunkKind.UPLOAD, transfer, offset, data, hashlib.sha256(data).digest())
    )
    received = client.session.receive(frame)
    assert isinstance(received, Chunk)
    await uploads.upload_chunk(world.state, client, received)


async def publish(
    world: World, clerk: Client, data: bytes, document_id: str = "gian-12", version: int = 1
) -> m.DocumentInfo:
    """Upload and publish ``data`` as the clerk's client would (one chunk)."""
    begin = m.BeginUpload(
        rid=1,
        meeting_id=demo.MEETING_ID,
        document_id=document_id,
        version=version,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        manifest=b"signed manifest",
    )
    await ask(world, uploads.begin_upload, clerk, begin)
    ready = mailbox(clerk).only(m.UploadReady)
    await send_chunk(world, clerk, ready.transfer, 0, data)
    await ask(world, uploads.finish_upload, clerk, m.FinishUpload(rid=2, transfer=ready.transfer))
    published = mailbox(clerk).take()[-1]  # after any upload_progress
    assert isinstance(published, m.DocumentPublished), published
    return published.document


def op(op_id: str, visibility: m.Visibility = "shared") -> m.NewOp:
    """A small annotation op as a client would append it (the payload stands for ciphertext)."""
    return m.NewOp(
        op_id=op_id,
        document_id="d",
        version=1,
        page=0,
        visibility=visibility,
        kind="add",
        payload=b"ct",
    )


async def refused(world: World, handler: Handler, client: Client, msg: m.Msg) -> ErrorCode:
    """The code of the :class:`Refusal` the handler answers ``msg`` with (it must refuse)."""
    try:
        await ask(world, handler, client, msg)
    except Refusal as exc:
        return exc.code
    raise AssertionError(f"{type(msg).__name__} was not refused")


async def pages(
    world: World,
    client: Client,
    handler: Handler,
    request: Callable[[int], m.Msg],
    reply: type[MsgT],
    position: Callable[[MsgT], tuple[int, bool]],
) -> list[MsgT]:
    """Every page of a paged list: ask from each reply's position until it says no more."""
    replies: list[MsgT] = []
    at, more = 0, True
    while more:
        await ask(world, handler, client, request(at))
        replies.append(mailbox(client).only(reply))
        at, more = position(replies[-1])
    return replies


def unverified(kind: SignedKind, signer: str, **fields: Any) -> bytes:
    """A signed-object frame (epoch record, roster) whose signature nobody checks.

    A relay that was never told the organisation's root fingerprint can only read these (it
    checks who sent them, and their numbers); clients verify them. Enough for the relay's
    service rules; the signature checks have their own end-to-end tests.
    """
    body = canonical_json.dumps(
        {
            **fields,
            "type": kind.type,
            "format": 1,
            "signer_device_id": signer,
            "signed_at": 0,
        }
    )
    return framing.encode(kind.magic, body, b"not checked")


def record_for(signer: Client | str, epoch: int, meeting_id: str = demo.MEETING_ID) -> bytes:
    """An (unverified) epoch record of ``epoch`` made by ``signer``'s device."""
    return unverified(
        epochs.KIND,
        signer if isinstance(signer, str) else signer.who.device_id,
        meeting_id=meeting_id,
        epoch=epoch,
        key_commitment="0" * 64,
        roster_hash="0" * 64,
    )
