"""Shared fixtures: a real relay on 127.0.0.1 with an ephemeral port, and real clients."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar, cast

import keyring
import keyring.backend
import keyring.errors
import pytest

from bench.client_fixtures import MemoryKeyring
from furano_meet.net import RelayConnection
from server import demo
from server.config import RelayConfig
from server.relay import Relay

os.environ.setdefault("PYTHONASYNCIODEBUG", "1")

Backend = TypeVar("Backend", bound=keyring.backend.KeyringBackend)


def keyring_backend(backend_class: type[Backend]) -> Backend:
    """A new instance of one of keyring's backends (``fail``, ``null``, a chainer).

    keyring leaves its backends' ``__init__`` unannotated, so a plain call is an untyped call to
    mypy; this one typed way in keeps that knowledge in a single place.
    """
    return cast(Callable[[], Backend], backend_class)()


@pytest.fixture(autouse=True)
def verify_every_encode() -> Iterator[None]:
    """In tests every frame we send is decoded again, so we never send what a peer refuses."""
    from furano_meet.protocol import codec

    previous, codec.VERIFY_ENCODE = codec.VERIFY_ENCODE, True
    yield
    codec.VERIFY_ENCODE = previous


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Every test runs against a fresh in-memory keychain; the old backend comes back."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


SHARED_PDFS = Path(__file__).resolve().parents[1] / ".." / "shared" / "pdfs"


def relay_config(tmp_path: Path, **overrides: object) -> RelayConfig:
    settings: dict[str, object] = {
        "data_dir": tmp_path / "relay",
        "port": 0,
        "admin_poll_interval": 0.05,
        "presenter_save_interval": 0.1,
        "min_free_bytes": 0,
    }
    settings.update(overrides)
    return RelayConfig(**settings)  # type: ignore[arg-type]


@pytest.fixture
async def relay(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Relay]:
    """The real relay, seeded with the demo council (see server/demo.py).

    ``@pytest.mark.relay_config(name=value, ...)`` on a test overrides settings of this relay
    (and so of ``connect_as``), e.g. a slowly refilling rate bucket.
    """
    marker = request.node.get_closest_marker("relay_config")
    overrides = dict(marker.kwargs) if marker else {}
    async with Relay(relay_config(tmp_path, **overrides)) as running:
        await running.store.run(demo.seed, running.store)
        yield running


Connect = Callable[..., Awaitable[RelayConnection]]


@pytest.fixture
async def connect_as(relay: Relay) -> AsyncIterator[Connect]:
    """Enrol a fresh device for a demo user and return its open, authenticated connection."""
    opened: list[RelayConnection] = []

    async def enrol(user_id: str, *, join: bool = False, following: bool = True) -> RelayConnection:
        code = await relay.store.run(relay.store.issue_enrolment_code, user_id)
        conn = await RelayConnection.connect(relay.url)
        opened.append(conn)
        await conn.enrol(code, f"{user_id}'s tablet", f"public keys of {user_id}".encode())
        if join:
            from furano_meet.protocol import messages as m

            await conn.request(m.JoinMeeting(meeting_id=demo.MEETING_ID, following=following))
        return conn

    yield enrol
    for conn in opened:
        await conn.close()


class StalledWriter:
    """Freeze the relay's writer for one connection, as if its socket never drained.

    The writer task is cancelled and the outbox marked mid-send, so every frame for that
    connection queues up exactly as it would behind a stalled TCP connection; ``release``
    starts a fresh writer that drains what is left.
    """

    def __init__(self, relay: Relay, user_id: str) -> None:
        self.client = next(
            c for c in relay.clients.values() if c.identity and c.identity.user_id == user_id
        )

    async def __aenter__(self) -> StalledWriter:
        import asyncio

        assert self.client.writer is not None
        self.client.writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.client.writer
        self.client.outbox._sending = True  # noqa: SLF001
        return self

    async def __aexit__(self, *exc: object) -> None:
        import asyncio

        self.client.outbox._sending = False  # noqa: SLF001
        self.client.writer = asyncio.create_task(self.client.outbox.run())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the Qt app's tests last. Once a QApplication exists, pytest-qt processes Qt events
    after every test of the session, outside the qasync loop the app tests ran on; keeping the
    app tests at the end keeps the ~1,300 Qt-free tests out of that (a crash there was seen
    once under load, in pytest-qt's event processing after an app test)."""
    items.sort(key=lambda item: "tests/app/" in item.nodeid.replace("\\", "/"))
