"""Talking to the relay over websockets (asyncio, Qt-free)."""

from .connection import RelayConnection, RelayError

__all__ = ["RelayConnection", "RelayError"]
