"""Field constraints for protocol messages, declared with ``typing.Annotated``.

Why annotations instead of hand-written validators: the codec reads the same declarations to
validate incoming frames and to refuse outgoing ones, and ``docs/protocol.md`` quotes them, so a
limit is written exactly once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated


@dataclass(frozen=True, slots=True)
class Length:
    """Allowed length of a str (characters), bytes (decoded bytes) or tuple (items)."""

    min: int
    max: int


@dataclass(frozen=True, slots=True)
class Range:
    """Inclusive numeric range for an int or float."""

    lo: float
    hi: float


@dataclass(frozen=True, slots=True)
class Pattern:
    """Full-match regular expression for a str."""

    regex: re.Pattern[str]

    @classmethod
    def of(cls, expression: str) -> Pattern:
        return cls(re.compile(expression))


@dataclass(frozen=True, slots=True)
class Since:
    """The protocol minor version that added a field (fields without it date from 1.0).

    Why: both ends decode strictly, so a peer that speaks an older minor refuses a key it does
    not know.  The encoder therefore leaves such a field out while it holds its default, and
    leaves it out entirely for a peer whose ``hello.minor`` is older (see ``codec.encode``).
    A field marked ``Since`` must have a default.
    """

    minor: int


MAX_SAFE_INT = 2**53 - 1  # JSON numbers above this lose precision in other languages

Ident = Annotated[str, Length(1, 64), Pattern.of(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")]
"""Identifiers of users, devices, meetings, documents, ops and transfers."""

Name = Annotated[str, Length(1, 200)]
"""A human-readable name (display name, device name, meeting title)."""

Message = Annotated[str, Length(0, 2000)]
"""Free text for humans (error messages)."""

Seq = Annotated[int, Range(0, MAX_SAFE_INT)]
"""Sequence numbers, sizes, offsets: non-negative and exact in JSON."""

RequestId = Annotated[int, Range(0, MAX_SAFE_INT)]

Page = Annotated[int, Range(0, 100_000)]
"""Zero-based page index."""

Version = Annotated[int, Range(1, 1_000_000)]
"""Document version (差し替え increments it)."""

Coordinate = Annotated[float, Range(-14_400.0, 14_400.0)]
"""A position in unrotated PDF page space (points), the same on every screen."""

Sha256 = Annotated[str, Pattern.of(r"[0-9a-f]{64}")]

Opaque = Annotated[bytes, Length(0, 64 * 1024)]
"""Ciphertext or key material the relay stores but never interprets (base64 on the wire)."""

Timestamp = Annotated[str, Length(0, 40), Pattern.of(r"[0-9T:.+\-Z]*")]
"""ISO 8601 timestamp in UTC, or empty when unknown."""
