"""Canonical JSON for signed objects (device certificates, document manifests).

Canonical form: ``json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
encoded as UTF-8 — one byte string per object, so a signature over it is well defined and a
Japanese title stays readable. Only strings, non-negative integers and nested objects are
used; no floats (their text form is not canonical across implementations).

:func:`parse` refuses anything that is not already in canonical form (re-encoding must give
the same bytes). That rejects duplicate keys, extra whitespace and other encodings that two
parsers might read differently — the classic way to make a signature "mean" two things.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import MalformedData
from .framing import Buffer


def dumps(obj: dict[str, Any]) -> bytes:
    """Encode ``obj`` canonically."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _refuse_constant(name: str) -> Any:
    """``NaN`` and ``Infinity`` are not JSON: a peer that sends them sent malformed data."""
    raise ValueError(f"{name} is not a JSON number")


def parse(
    data: Buffer, what: str, keys: frozenset[str], optional: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Decode canonical JSON holding exactly ``keys`` plus any of ``optional`` (fields a
    later format added, which older writers leave out); raise :class:`MalformedData`
    otherwise."""
    raw = bytes(data)
    try:
        obj = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedData(f"{what} is not valid UTF-8 JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise MalformedData(f"{what} must be a JSON object")
    if set(obj) - optional != keys:
        missing = sorted(keys - set(obj))
        extra = sorted(set(obj) - keys - optional)
        raise MalformedData(f"{what} has missing fields {missing} / unexpected fields {extra}")
    if dumps(obj) != raw:
        raise MalformedData(f"{what} is not in canonical form")
    return obj


def get_str(obj: dict[str, Any], key: str, what: str, *, allow_empty: bool = False) -> str:
    """``obj[key]`` if it is a string (non-empty unless ``allow_empty``)."""
    value = obj[key]
    if not isinstance(value, str) or (not value and not allow_empty):
        raise MalformedData(f"{what} field {key!r} must be a non-empty string")
    return value


def get_int(obj: dict[str, Any], key: str, what: str) -> int:
    """``obj[key]`` if it is a non-negative integer (``bool`` is refused)."""
    value = obj[key]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise MalformedData(f"{what} field {key!r} must be a non-negative integer")
    return value
