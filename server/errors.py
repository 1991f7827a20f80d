"""Why the relay refuses a request, in one exception the dispatcher turns into a ``failed`` frame.

A :class:`Refusal` is never a bug: the request was understood and is not allowed (wrong role,
not a member, stale version, …).  Protocol violations are :class:`RemoteProtocolError`; disk
trouble is an ``OSError``/``sqlite3.Error`` classified by :func:`server.store.storage_failure`;
anything else is our bug and is logged with context.
"""

from __future__ import annotations

from furano_meet.protocol import ErrorCode


class Refusal(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
