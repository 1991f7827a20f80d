"""Why the relay refuses a request, in one exception the dispatcher turns into a ``failed`` frame.

A :class:`Refusal` is never a bug: the request was understood and is not allowed (wrong role,
not a member, stale version, …).  Protocol violations are :class:`RemoteProtocolError`; disk
trouble is an ``OSError``/``sqlite3.Error`` classified by :func:`server.store.storage_failure`;
anything else is our bug and is logged with context.
"""

from __future__ import annotations

from typing import ClassVar

from furano_meet.errors import Fault, FuranoError
from furano_meet.protocol import ErrorCode


class Refusal(FuranoError):
    """The request is not allowed; ``code`` is the wire code of the ``failed`` reply.

    Seen from the relay a refusal is the requester's doing (its role, its membership, a stale
    version), hence :attr:`Fault.THEIRS`; the app reads the same code from its own point of view
    in :data:`furano_meet.errors.CODES`.
    """

    code: ErrorCode
    fault = Fault.THEIRS
    codes: ClassVar[frozenset[str]] = frozenset(ErrorCode)

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
