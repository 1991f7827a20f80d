"""A whole council on one machine: a real relay and one real sync engine per device.

Each device has its own encrypted store (real SQLCipher, in-memory keychain), enrols with an
invitation the administrator's device signed (the administrator's own device, the bootstrap,
with a relay-made code), and is certified by the administrator's engine.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from furano_meet.annotations import (
    AnnotationBody,
    Highlight,
    Ink,
    InkPoint,
    Point,
    Quad,
    Rect,
    StickyNote,
)
from furano_meet.store import LocalStore
from furano_meet.sync.account import Account, Invitation, create_org_root, enrol
from furano_meet.sync.admin import invite
from furano_meet.sync.backoff import Backoff
from furano_meet.sync.engine import SyncEngine
from furano_meet.sync.events import DocumentReady, SyncEvent
from server.demo import MEETING_ID, PEOPLE
from server.relay import Relay
from server.store import PendingUpload, Store
from tests.e2e.relay_process import cli
from tests.pdfs import generate_agenda_pack

PACK_PAGES = 12
"""Pages of the real agenda pack :meth:`Council.hold_pack` publishes as ``pack`` v1."""

E = TypeVar("E")


@dataclass(eq=False)
class Device:
    name: str
    store: LocalStore
    engine: SyncEngine
    events: list[SyncEvent] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def start(self) -> None:
        self.task = asyncio.create_task(self.engine.run(), name=f"engine-{self.name}")

    async def stop(self) -> None:
        await self.engine.stop()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task

    async def wait_for(
        self, kind: type[E], predicate: Callable[[E], bool] = lambda _: True, timeout: float = 20
    ) -> E:
        """Wait for an event of ``kind`` (already seen ones count)."""
        async with asyncio.timeout(timeout):
            while True:
                for event in self.events:
                    if isinstance(event, kind) and predicate(event):
                        return event
                self._changed.clear()
                await self._changed.wait()


async def publish_fake_versions(
    store: Store, meeting_id: str, count: int, document_id: str = "pack"
) -> None:
    """Versions 1..``count`` of one document, published straight into the relay's store with
    opaque 8,000-byte manifests (enough to overflow a small frame limit)."""
    for version in range(1, count + 1):
        upload = PendingUpload(
            f"k{version}",
            meeting_id,
            document_id,
            version,
            1,
            f"{version:064x}",
            b"m" * 8000,
            "dev",
        )
        await store.run(store.publish, upload, "jimukyoku")


async def clerk_on_the_command_line(council: Council, relay: Relay) -> list[str]:
    """The clerk's profile, certified and closed, for ``furano-meet`` to open: the CLI's
    arguments up to ``roster MEETING`` (the clerk's engine never starts; the administrator's
    automatic certificate is the positive marker that the profile is complete)."""
    clerk = await council.device("jimukyoku", start=False)
    store_dir, profile = clerk.store.directory.parents[1], clerk.store.profile_id
    clerk_id = clerk.engine.account.device_id

    def certified() -> bool:
        row = relay.store.db.execute(
            "SELECT length(certificate) FROM devices WHERE device_id = ?", (clerk_id,)
        ).fetchone()
        return bool(row[0])

    await wait_until(certified)
    clerk.store.close()
    return ["--data", str(store_dir), "--profile", profile, "roster", MEETING_ID]


async def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll ``condition`` (e.g. a look into a device's store) until it holds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


class Council:
    """Devices of one council. ``relay`` is an in-process relay, or ``None`` with ``url`` and
    ``data_dir`` of a relay process (administered through its CLI, as an IT officer would).
    With both, the engines connect to ``url`` (a proxy) and the council administers ``relay``."""

    def __init__(
        self, relay: Relay | None, root: Path, *, url: str = "", data_dir: Path | None = None
    ) -> None:
        self.relay = relay
        self.url = url or (relay.url if relay is not None else "")
        """Where the engines connect: the relay, or a proxy in front of it (``hostile.py``)."""
        self.data_dir = data_dir
        self.root = root
        self.devices: list[Device] = []
        self.fingerprint = ""
        self.admin: Device | None = None

    async def issue_code(self, user_id: str) -> str:
        if self.relay is not None:
            return await self.relay.store.run(self.relay.store.issue_enrolment_code, user_id)
        assert self.data_dir is not None
        printed = await asyncio.to_thread(cli, self.data_dir, "enrolment-code", user_id)
        return printed.strip().split("/")[0]

    async def setup_admin(self) -> Device:
        store = LocalStore.open(self.root / "admin", "admin")
        self.fingerprint = create_org_root(store)
        if self.relay is not None:
            await self.relay.store.run(
                self.relay.store.set_root_fingerprint, "furano", self.fingerprint
            )
        else:
            assert self.data_dir is not None
            await asyncio.to_thread(
                cli, self.data_dir, "set-root-fingerprint", "furano", self.fingerprint
            )
        code = await self.issue_code("admin")
        await enrol(store, self.url, Invitation(code, self.fingerprint), "admin")
        self.admin = await self._start("admin", store, auto_certify=True)
        return self.admin

    async def invitation(self, user_id: str, role: str | None = None) -> Invitation:
        """An invitation signed on the administrator's device (its role: the demo's)."""
        assert self.admin is not None
        account = Account.load(self.admin.store)
        assert account is not None
        wanted = role or next((r for u, _, r in PEOPLE if u == user_id), "member")
        return await invite(account, self.admin.store, user_id, wanted)

    async def device(
        self,
        user_id: str,
        name: str | None = None,
        *,
        start: bool = True,
        device_name: str | None = None,
    ) -> Device:
        """A device of ``user_id`` in profile ``name``, named ``device_name`` (default: the
        profile's name) in its enrolment claim and certificate."""
        label = name or user_id
        store = LocalStore.open(self.root / label, label)
        return await self._enrol(user_id, store, label=label, start=start, device_name=device_name)

    async def _enrol(
        self,
        user_id: str,
        store: LocalStore,
        *,
        label: str | None = None,
        start: bool = True,
        device_name: str | None = None,
    ) -> Device:
        """Enrol ``store`` with an invitation for ``user_id`` and start its engine."""
        invitation = await self.invitation(user_id)
        await enrol(store, self.url, invitation, device_name or label or user_id)
        return await self._start(label or user_id, store, start=start)

    async def _start(
        self, label: str, store: LocalStore, *, auto_certify: bool = False, start: bool = True
    ) -> Device:
        engine = SyncEngine(store, auto_certify=auto_certify, backoff=Backoff(base=0.05, cap=0.5))
        device = Device(label, store, engine)

        def record(event: SyncEvent) -> None:
            device.events.append(event)
            device._changed.set()

        engine.subscribe(record)
        self.devices.append(device)
        if start:
            device.start()
            await engine.wait_online()
        return device

    async def restart(self, device: Device) -> Device:
        """A fresh engine on the same store (the app restarted)."""
        await device.stop()
        device.engine = SyncEngine(
            device.store,
            auto_certify=device.engine.auto_certify,
            backoff=Backoff(base=0.05, cap=0.5),
        )
        device.events.clear()

        def record(event: SyncEvent) -> None:
            device.events.append(event)
            device._changed.set()

        device.engine.subscribe(record)
        device.start()
        return device

    async def hold_pack(self, *readers: Device, pages: int = PACK_PAGES) -> Device:
        """Publish a real agenda pack as ``pack`` v1 (the clerk's device, made if need be, with
        the meeting key) and wait until every one of ``readers`` holds it, verified; returns
        the clerk. Presenter tests need it: a presenter frame moves a reader only to a page
        its own store holds for the meeting (``furano_meet/sync/presenter_guard.py``)."""
        clerk = next((d for d in self.devices if d.name == "jimukyoku"), None)
        if clerk is None:
            clerk = await self.device("jimukyoku")
        held = clerk.store.meeting(MEETING_ID)
        if held is None or not held.has_key:
            await clerk.engine.create_meeting_key(MEETING_ID)
        pdf = generate_agenda_pack(title="議案書", pages=pages)
        await clerk.engine.publish_document(MEETING_ID, pdf, title="議案書", document_id="pack")
        for reader in {*readers, clerk}:
            await reader.wait_for(DocumentReady, lambda e: e.document_id == "pack", timeout=40)
        return clerk

    async def close(self) -> None:
        for device in self.devices:
            await device.stop()
            if not device.store.closed:
                device.store.close()


def note(text: str, at: tuple[float, float] = (0, 0)) -> AnnotationBody:
    """A sticky note with ``text`` (typed, as the app makes them)."""
    return AnnotationBody(StickyNote(Point(*at), text))


def stroke(*points: tuple[float, float]) -> AnnotationBody:
    """A black pen stroke through ``points``."""
    return AnnotationBody(Ink(tuple(InkPoint(x, y) for x, y in points)))


def highlight(x0: float, y0: float, x1: float, y1: float, colour: str) -> AnnotationBody:
    """A one-line highlight over the rectangle (x0, y0)–(x1, y1)."""
    return AnnotationBody(Highlight((Quad.from_rect(Rect(x0, y0, x1, y1)),), colour))
