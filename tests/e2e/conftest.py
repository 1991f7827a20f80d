"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.relay import Relay
from tests.e2e.council import Council
from tests.e2e.hostile import HostileRelay


@pytest.fixture
async def council(relay: Relay, tmp_path: Path) -> AsyncIterator[Council]:
    """A council on the in-process relay, its administrator's device already enrolled."""
    c = Council(relay, tmp_path / "devices")
    await c.setup_admin()
    yield c
    await c.close()


@pytest.fixture
async def hostile(relay: Relay) -> AsyncIterator[HostileRelay]:
    """The in-process relay behind a proxy the test controls (see ``tests/e2e/hostile.py``)."""
    proxy = HostileRelay(relay)
    await proxy.start()
    yield proxy
    await proxy.close()


@pytest.fixture
async def hostile_council(hostile: HostileRelay, tmp_path: Path) -> AsyncIterator[Council]:
    """A council whose engines all connect through :class:`HostileRelay`."""
    c = Council(hostile.relay, tmp_path / "devices", url=hostile.url)
    await c.setup_admin()
    yield c
    await c.close()
