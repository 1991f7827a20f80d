"""The values the store hands in and out: frozen dataclasses, one per kind of row.

Secrets (keys, tokens, manifests, payloads) are excluded from ``repr`` so that logging a record
never writes key material to a log file.

Times are timezone-aware ``datetime`` objects on the way in and UTC ``datetime`` objects on the way
out; the database keeps integer milliseconds since the epoch. A naive ``datetime`` is refused
(``ValueError``): the store cannot know which zone it meant, and a viewing deadline off by nine
hours (JST vs UTC) is exactly the kind of bug this prevents.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = [
    "Annotation",
    "DeviceIdentity",
    "Document",
    "DocumentInfo",
    "DocumentState",
    "Meeting",
    "OutboxEntry",
    "Visibility",
    "from_ms",
    "now_ms",
    "to_ms",
]


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch for an aware ``datetime``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone; pass an aware datetime")
    return int(moment.timestamp() * 1000)


def from_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def now_ms() -> int:
    return int(datetime.now(tz=UTC).timestamp() * 1000)


class DocumentState(enum.StrEnum):
    """Where a document version is in its life on this device."""

    DOWNLOADING = "downloading"  # announced; ciphertext arriving (possibly resumed)
    COMPLETE = "complete"  # ciphertext verified against its SHA-256 and in place
    WITHDRAWN = "withdrawn"  # the organiser withdrew it; content and index removed


class Visibility(enum.StrEnum):
    SHARED = "shared"  # synced to the meeting (encrypted for its members)
    PRIVATE = "private"  # this member's own notes (synced only to their own devices)


@dataclass(frozen=True, kw_only=True)
class DeviceIdentity:
    """This device's identity towards the relay."""

    device_id: str
    relay_url: str
    private_keys: bytes = field(repr=False)
    device_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True, kw_only=True)
class Meeting:
    meeting_id: str
    title: str
    starts_at: datetime
    expires_at: datetime | None
    meeting_key: bytes | None = field(repr=False)
    key_epoch: int
    shredded_at: datetime | None

    @property
    def has_key(self) -> bool:
        return self.meeting_key is not None


@dataclass(frozen=True, kw_only=True)
class DocumentInfo:
    """What the sync engine knows about a document version before and while downloading it."""

    meeting_id: str
    doc_id: str
    version: int
    title: str
    manifest: bytes = field(repr=False)
    agenda_item: str | None = None
    agenda_position: int | None = None
    """The item's place in the agenda, from the signed manifest (``None``: sorts after)."""
    page_count: int = 0
    ciphertext_sha256: bytes | None = None
    content_key: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True, kw_only=True)
class Document(DocumentInfo):
    """A document version as stored, with its download state."""

    state: DocumentState
    received_bytes: int


@dataclass(frozen=True, kw_only=True)
class Annotation:
    """One annotation; ``payload`` is opaque bytes (ciphertext or JSON - the store does not care)."""

    annotation_id: str
    meeting_id: str
    doc_id: str
    version: int
    page_no: int
    visibility: Visibility
    author: str
    payload: bytes = field(repr=False)
    created_at: datetime
    updated_at: datetime
    deleted: bool = False
    server_seq: int | None = None


@dataclass(frozen=True, kw_only=True)
class OutboxEntry:
    """One unsent change, in the order it must be sent (``seq``)."""

    seq: int
    op_id: str
    kind: str
    payload: bytes = field(repr=False)
    meeting_id: str | None
    created_at: datetime
