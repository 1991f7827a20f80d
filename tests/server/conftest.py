"""Encode with the round-trip check on: a message the peer would refuse is caught as our bug;
and the seeded relay database the store tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from furano_meet.protocol import codec
from server import demo
from server.store import Store


@pytest.fixture(autouse=True)
def verify_encode() -> Iterator[None]:
    previous = codec.VERIFY_ENCODE
    codec.VERIFY_ENCODE = True
    try:
        yield
    finally:
        codec.VERIFY_ENCODE = previous


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """The relay's real database, seeded with the demo council."""
    s = Store(tmp_path / "relay.sqlite3")
    s.open()
    demo.seed(s)
    yield s
    s.close()
