"""A malicious relay for the annotation-op attacks of issue #8 (findings 3 and 5).

The real relay runs unchanged; :class:`HostileOps` sits between it and the real engines as a
WebSocket man-in-the-middle, the position a hacked relay's operator has. Every text frame
from the relay to a device passes through :attr:`HostileOps.tamper`, which may drop it,
replace it, hold it back or add frames (replay, reorder, relabel); :meth:`HostileOps.inject`
pushes a frame of its own. Frames from devices and binary chunks pass through untouched.
A link learns which device it carries from the device's ``authenticate`` frame.

:func:`forge_op` is what a member (or the relay holding a member's device keys) can make: an
op signed with *that* member's own device keys, saying whatever it likes.

Meant to be folded into the shared harness ``tests/e2e/hostile.py`` (same style: the real
relay, real engines, frames altered in flight).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import Server, ServerConnection, serve

from furano_meet.annotations import AnnotationBody, encode
from furano_meet.crypto import DeviceCertificate, encrypt_annotation
from furano_meet.crypto.signed_ops import KIND, OpKind, payload_hash
from furano_meet.protocol import decode
from furano_meet.protocol import encode as encode_frame
from furano_meet.protocol import messages as m
from furano_meet.sync.account import Account
from furano_meet.sync.receiving import stored_meeting_key
from server.demo import MEETING_ID
from tests.e2e.council import Device


@dataclass(eq=False)
class Link:
    """One device's connection through the interposer."""

    client: ServerConnection
    device_id: str = ""


Tamper = Callable[[Link, m.Msg], list[m.Msg]]
"""Given a relay→device message, the messages the device gets instead (``[]`` drops it)."""


def passthrough(_link: Link, msg: m.Msg) -> list[m.Msg]:
    return [msg]


@dataclass(eq=False)
class HostileOps:
    upstream: str
    tamper: Tamper = passthrough
    links: list[Link] = field(default_factory=list)
    _server: Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = next(iter(self._server.sockets)).getsockname()[:2]
        return f"ws://{host}:{port}"

    async def start(self) -> None:
        self._server = await serve(self._handle, "127.0.0.1", 0, max_size=None, compression=None)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def link_of(self, device: Device) -> Link:
        """The newest live link of ``device``."""
        device_id = device.engine.account.device_id
        return next(link for link in reversed(self.links) if link.device_id == device_id)

    async def inject(self, device: Device, msg: m.Msg) -> None:
        """Push ``msg`` to ``device`` as though the relay sent it."""
        await self.link_of(device).client.send(encode_frame(msg))

    async def _handle(self, client: ServerConnection) -> None:
        link = Link(client)
        self.links.append(link)
        async with connect(self.upstream, max_size=None, compression=None) as relay:
            up = asyncio.create_task(self._up(client, relay, link))
            down = asyncio.create_task(self._down(relay, link))
            await asyncio.wait((up, down), return_when=asyncio.FIRST_COMPLETED)
            for task in (up, down):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _up(self, client: ServerConnection, relay: ClientConnection, link: Link) -> None:
        async for frame in client:
            if isinstance(frame, str) and not link.device_id:
                body: dict[str, Any] = json.loads(frame)
                if body.get("type") == "authenticate":
                    link.device_id = str(body["device_id"])
            await relay.send(frame)

    async def _down(self, relay: ClientConnection, link: Link) -> None:
        async for frame in relay:
            if isinstance(frame, bytes):
                await link.client.send(frame)
                continue
            for msg in self.tamper(link, decode(frame)):
                await link.client.send(encode_frame(msg))


def forge_op(
    author: Device,
    *,
    op_id: str,
    annotation_id: str,
    kind: OpKind,
    body: AnnotationBody | None,
    counter: int,
    prev_sha256: str = "",
    seq: int = 2**40,
    document_id: str = "pack",
    page: int = 1,
    plain: bytes | None = None,
) -> m.LoggedOp:
    """A shared op signed by ``author``'s own device keys with whatever ids it likes —
    including ids :func:`~furano_meet.crypto.signed_ops.sign_op` would refuse to bind, and
    (``plain``) a payload that is no annotation at all."""
    account = author.engine.account
    store = author.store
    key = stored_meeting_key(store, MEETING_ID, None)
    assert key is not None, "the forging member holds the meeting key"
    if plain is None:
        plain = b"" if body is None else encode(body)
    payload = encrypt_annotation(plain, key, meeting_id=MEETING_ID, annotation_id=op_id)
    signed = KIND.sign(
        {
            "op_id": op_id,
            "annotation_id": annotation_id,
            "meeting_id": MEETING_ID,
            "document_id": document_id,
            "version": 1,
            "page": page,
            "kind": kind,
            "visibility": "shared",
            "counter": counter,
            "prev_sha256": prev_sha256,
            "payload_sha256": payload_hash(payload),
        },
        account.keys,
        own_certificate(author, account),
    )
    header, signature = KIND.split(signed)
    return m.LoggedOp(
        seq=seq,
        op_id=op_id,
        author_user_id=account.user_id,
        author_device_id=account.device_id,
        document_id=document_id,
        version=1,
        page=page,
        visibility="shared",
        kind=kind,
        payload=payload,
        logged_at="2026-12-03T00:00:00Z",
        header=header,
        signature=signature,
    )


def own_certificate(device: Device, account: Account) -> DeviceCertificate:
    """``device``'s verified certificate, as its engine holds it."""
    certificates = device.engine._keys._certificates  # noqa: SLF001 - test plumbing
    return certificates[account.device_id]
