"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.relay import Relay
from tests.e2e.council import Council


@pytest.fixture
async def council(relay: Relay, tmp_path: Path) -> AsyncIterator[Council]:
    """A council on the in-process relay, its administrator's device already enrolled."""
    c = Council(relay, tmp_path / "devices")
    await c.setup_admin()
    yield c
    await c.close()
