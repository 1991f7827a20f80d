"""What a device's name may be: display only, never identity.

A device name (「会議室タブレット 12」, 「山田の自宅PC」) is what people recognise on the
administrator's screen and the clerk's desk. It travels inside two signed objects — the
enrolment claim, signed by the device's own key, and the certificate, signed by the
organisation root (:mod:`.certificates`, :mod:`.invitations`) — so no relay can rename a device.
But whoever enrols a device chooses its name, so a name must never be trusted to say *who*:
the user, role and device id do that. The rules below keep a name from *looking* like another:

* **NFC** — one spelling per name (「が」 precomposed, never か + combining mark), so the
  signed bytes are canonical and two names that look the same compare the same;
* **trimmed** — no leading or trailing spaces (ASCII or ideographic);
* **no invisible characters** — control characters (Cc), format characters (Cf: bidi overrides
  such as U+202E that reverse what follows, zero-width spaces and joiners), line and paragraph
  separators, private-use, surrogate and unassigned code points are refused, not stripped, so
  what the member typed is what everyone sees;
* **1 to** :data:`MAX_LENGTH` **characters** (code points, after NFC) — a name fits one line.

:func:`clean_device_name` applies them to what a person typed (raising
:class:`DeviceNameInvalid`, the user's to fix); :func:`read_device_name` applies them to a name
read from a signed object, where anything not already clean is malformed (another encoding of
the same name would be a second meaning for one signature).
"""

from __future__ import annotations

import platform
import unicodedata
from typing import Final

from .errors import CryptoError, Fault, MalformedData

MAX_LENGTH = 40
"""Code points, after NFC: one line on a card or a desk row."""
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

EMPTY: Final = "empty"
TOO_LONG: Final = "too_long"
HIDDEN_CHARACTER: Final = "hidden_character"
"""Why a name was refused (:attr:`DeviceNameInvalid.problem`), for a front end to say in its
own words."""


class DeviceNameInvalid(CryptoError):
    """A device name the member typed breaks the rules of the module docstring."""

    code = "device_name_invalid"
    fault = Fault.USER

    def __init__(self, message: str, problem: str) -> None:
        super().__init__(message)
        self.next_step = (
            f"Give a name of 1 to {MAX_LENGTH} visible characters, e.g. 「会議室タブレット 12」."
        )
        self.problem = problem
        """:data:`EMPTY`, :data:`TOO_LONG` or :data:`HIDDEN_CHARACTER`."""


def clean_device_name(typed: str) -> str:
    """The name as it is signed: NFC and trimmed; raises :class:`DeviceNameInvalid`."""
    name = unicodedata.normalize("NFC", typed).strip()
    if not name:
        raise DeviceNameInvalid("The device name is empty.", EMPTY)
    for ch in name:
        if unicodedata.category(ch) in _REFUSED_CATEGORIES:
            raise DeviceNameInvalid(
                f"The device name contains an invisible or control character "
                f"(U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')}).",
                HIDDEN_CHARACTER,
            )
    if len(name) > MAX_LENGTH:
        raise DeviceNameInvalid(
            f"The device name has {len(name)} characters; at most {MAX_LENGTH} are allowed.",
            TOO_LONG,
        )
    return name


def read_device_name(value: object, what: str) -> str:
    """A name from a signed object: already clean, or :class:`MalformedData` (theirs)."""
    if not isinstance(value, str):
        raise MalformedData(f"{what} field 'device_name' must be a string")
    try:
        clean = clean_device_name(value)
    except DeviceNameInvalid as exc:
        raise MalformedData(f"{what} names its device badly: {exc.message}") from exc
    if clean != value:
        raise MalformedData(f"{what} device name is not in its canonical form (NFC, trimmed)")
    return value


def default_device_name(fallback: str) -> str:
    """What first run and ``furano-meet enrol`` offer: the host's name when it is a valid
    one, else ``fallback`` (e.g. 「このタブレット」)."""
    try:
        return clean_device_name(platform.node())
    except DeviceNameInvalid:
        return fallback
