"""Shared fixtures: a real relay on 127.0.0.1 with an ephemeral port, and real clients."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from furano_meet.net import RelayConnection
from server import demo
from server.config import RelayConfig
from server.relay import Relay

os.environ.setdefault("PYTHONASYNCIODEBUG", "1")

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
async def relay(tmp_path: Path) -> AsyncIterator[Relay]:
    """The real relay, seeded with the demo council (see server/demo.py)."""
    async with Relay(relay_config(tmp_path)) as running:
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
