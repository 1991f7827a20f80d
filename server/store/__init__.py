"""The relay's durable state: one SQLite database in WAL mode, behind one thread.

Theory of operation
-------------------
Everything users rely on — accounts, devices, memberships, published document versions, key
envelopes, the annotation log — lives in ``relay.sqlite3`` next to the blob directory.  The
database runs in WAL mode with ``synchronous=FULL``: a transaction that has committed is on disk,
so every write the relay *acknowledges* (an upload, an op, a membership change) survives
``kill -9`` and power loss.  The presenter's page is deliberately *not* written per turn (only the
newest page matters and turns are frequent); :class:`server.rooms.Room` saves it lazily.

The :class:`Store` methods are synchronous and must all run on one thread: the relay calls them
through :meth:`Store.run`, which serialises them on a dedicated worker so the event loop never
blocks on ``fsync`` and SQLite never sees two threads.

The queries are grouped by the relay handlers they serve, one module each (accounts,
invitations, meetings, documents, keys, the op log, signed rosters and epoch records, recovery
boxes, over the connection in :mod:`.database`); :class:`Store` combines
them into the one object the relay, the CLI and the tests hold.
"""

from __future__ import annotations

from .accounts import CODE_REFUSED, AccountQueries, DeviceIdentity, normalise_code, plausible_code
from .database import Database, storage_failure, utc_now
from .documents import DocumentQueries, PendingUpload
from .invitations import InvitationQueries
from .keys import KeyQueries
from .meetings import PRESENTER_SEQ_MARGIN, MeetingQueries
from .oplog import OpLog
from .recovery import RecoveryQueries
from .trust import TrustQueries

__all__ = [
    "CODE_REFUSED",
    "PRESENTER_SEQ_MARGIN",
    "AccountQueries",
    "Database",
    "DeviceIdentity",
    "DocumentQueries",
    "InvitationQueries",
    "KeyQueries",
    "MeetingQueries",
    "OpLog",
    "PendingUpload",
    "RecoveryQueries",
    "Store",
    "TrustQueries",
    "normalise_code",
    "plausible_code",
    "storage_failure",
    "utc_now",
]


class Store(KeyQueries, InvitationQueries, DocumentQueries, OpLog, TrustQueries, RecoveryQueries):
    """Synchronous repository over the relay database. Call it through :meth:`run`."""
