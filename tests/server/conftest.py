"""Encode with the round-trip check on: a message the peer would refuse is caught as our bug."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from furano_meet.protocol import codec


@pytest.fixture(autouse=True)
def verify_encode() -> Iterator[None]:
    previous = codec.VERIFY_ENCODE
    codec.VERIFY_ENCODE = True
    try:
        yield
    finally:
        codec.VERIFY_ENCODE = previous
