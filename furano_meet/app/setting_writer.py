"""Writing one of the app's remembered settings (the reader's layout) — latest value last.

Why not ``ops.run(set_app_setting(...))`` per change: the store's writes go to a thread pool,
so two quick changes' writes started together could land in either order and leave the older
value stored (a reader who taps 検索 then 「≡」 found the column open again in a new window).
Here one write runs at a time and only the newest waiting value follows it.
"""

from __future__ import annotations

from .session import Session

__all__ = ["SettingWriter"]


class SettingWriter:
    """Writes ``key`` in the encrypted store's app settings, one value at a time."""

    def __init__(self, session: Session, key: str) -> None:
        self.session, self.key = session, key
        self._unsaved: str | None = None
        self._writing = False

    def write(self, value: str) -> None:
        """Remember ``value``; it is stored after any write already under way."""
        self._unsaved = value
        if not self._writing:
            self._writing = True
            self.session.ops.run(self._drain())

    async def _drain(self) -> None:
        try:
            while self._unsaved is not None:
                value, self._unsaved = self._unsaved, None
                await self.session.engine.set_app_setting(self.key, value)
        finally:
            self._writing = False
