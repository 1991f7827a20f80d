"""Recovery codes and recovery boxes: a member's private-note keys kept across a lost device.

Theory of operation
-------------------
A member's private-annotation keys live only on that member's devices (:mod:`.annotations`).
A councillor with one tablet who loses it would lose every private note for good. The way
back is a **recovery code** the member writes down once, and a **recovery box** the relay keeps
for them but cannot open:

* **The code** is 40 characters in 8 groups of 5, from Crockford's base32 alphabet (digits and
  capitals without ``I L O U``: nothing that reads as another character in a Japanese or Latin
  font). 34 characters are random (170 bits); the last 6 are a BCH checksum over GF(32) — the
  one of bech32m (BIP 350) — which catches *every* mistake in up to four characters, so a typo
  is reported as a typo (:class:`RecoveryCodeInvalid`) and never costs a slow key derivation.
  Reading is forgiving: full-width characters from a Japanese IME, lower case, spaces and any
  dash are accepted; ``O`` reads as ``0`` and ``I``/``L`` as ``1``.
* **The key** comes from the 34 random characters through scrypt (N=2^17, r=8, p=1: 128 MiB and
  about a third of a second per guess, like the store's passphrase), salted with the
  organisation, the user and 16 random bytes kept in the box's header. 170 random bits are far
  beyond guessing anyway; the memory-hard KDF is defence in depth should a code be partly seen.
* **The box** is ``FMRB [format, org id, user id, version u64, log2 N u64, salt, sealed]``;
  ``sealed`` is an AES-256-GCM secret box (:mod:`.symmetric`) of the canonical JSON
  ``{"keys": {meeting id: {epoch: key (base64)}}}`` whose associated data binds the
  organisation, the user, the version, the cost and the salt. So the relay cannot swap in
  another member's box (refused as :class:`WrongContext` from the clear header, and by the
  authentication even if it rewrites the header), relabel an old box with a newer version, or
  lower the cost; a device refuses any box older than one it has seen (:class:`StaleObject`).

What the box cannot stop: a relay may *withhold or delete* it (denial of service, as for any
data it stores), and a device that has never seen any version cannot tell the newest genuine
box from an older genuine one the relay kept — the relay itself refuses to store an older
version, and every device that keeps the box current re-uploads it when the relay has fallen
behind. A second device of the same member is also a recovery path: private keys are sealed
between a member's devices (see ``docs/recovery.md``).
"""

from __future__ import annotations

import base64
import os
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from furano_meet.errors import Fault

from . import canonical_json, framing
from .annotations import PrivateAnnotationKey
from .authority import StaleObject
from .errors import CryptoError, MalformedData, TamperedData, WrongContext
from .framing import Buffer
from .symmetric import KEY_SIZE, SecretKey, open_box, seal_box

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32: no I, L, O or U (they read as 1, 1, 0 or V, or spell words)."""
DATA_CHARS = 34
"""Random characters: 34 × 5 = 170 bits."""
CHECK_CHARS = 6
GROUP = 5
CODE_CHARS = DATA_CHARS + CHECK_CHARS
SCRYPT_LOG2_N = 17
"""scrypt cost of new boxes (N = 2^17, 128 MiB per guess), the store's passphrase cost."""
_LOG2_N_RANGE = range(14, 21)
"""Costs a box may name: never cheaper than 2^14, never a memory bomb above 2^20."""
SALT_SIZE = 16
BOX_FORMAT = 1

_BOX_MAGIC = b"FMRB"
_AAD_MAGIC = b"FMrb"
_SALT_MAGIC = b"FMrs"
_CHECK_PREFIX = "furano-recovery"
_BECH32M = 0x2BC830A3
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_SEPARATORS = frozenset(" \t\r\n-_.\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\u30fb\uff70")
"""Spaces and every dash a keyboard or an IME may produce (the katakana long-vowel mark too)."""
_READS_AS = {"O": "0", "I": "1", "L": "1"}

KeySets = Mapping[str, Iterable[PrivateAnnotationKey]]
"""A member's private-annotation keys, by meeting id (every epoch held)."""


class RecoveryCodeInvalid(CryptoError):
    """The text typed is not a recovery code: a typo, a missing group, a foreign character."""

    code = "recovery_code_invalid"
    fault = Fault.USER

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.next_step = (
            "Compare each group of five with the code on your paper, character by character."
        )


class RecoveryCodeWrong(CryptoError):
    """A well-formed code that does not open this member's box (another or an older code),
    or a box altered on the relay — the two cannot be told apart, and both are refused."""

    code = "recovery_code_wrong"
    fault = Fault.USER

    def __init__(self) -> None:
        super().__init__("This recovery code does not open your saved private-note keys.")
        self.next_step = (
            "Check that it is the newest code you wrote down for this account (a new code "
            "replaces the old one). If it is, the copy on the relay may have been altered: "
            "tell the administrator."
        )


# -- the code ---------------------------------------------------------------------------------


def _polymod(values: Iterable[int]) -> int:
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(_GENERATOR):
            if top >> bit & 1:
                check ^= generator
    return check


def _prefixed(data: list[int]) -> list[int]:
    prefix = [ord(c) >> 5 for c in _CHECK_PREFIX] + [0] + [ord(c) & 31 for c in _CHECK_PREFIX]
    return prefix + data


def _checksum(data: list[int]) -> list[int]:
    value = _polymod([*_prefixed(data), *[0] * CHECK_CHARS]) ^ _BECH32M
    return [value >> 5 * (CHECK_CHARS - 1 - i) & 31 for i in range(CHECK_CHARS)]


def _grouped(chars: str) -> str:
    return "-".join(chars[i : i + GROUP] for i in range(0, len(chars), GROUP))


def new_recovery_code() -> str:
    """A fresh code, written as the member should copy it: ``XXXXX-XXXXX-…`` (8 groups)."""
    data = [secrets.randbelow(32) for _ in range(DATA_CHARS)]
    return _grouped("".join(ALPHABET[v] for v in data + _checksum(data)))


def parse_recovery_code(text: str) -> str:
    """The code's 34 random characters, canonical; :class:`RecoveryCodeInvalid` on a typo."""
    chars: list[str] = []
    for typed in unicodedata.normalize("NFKC", text).upper():
        if typed in _SEPARATORS:
            continue
        char = _READS_AS.get(typed, typed)
        if char not in ALPHABET:
            raise RecoveryCodeInvalid(
                f"{typed!r} is not a character of a recovery code (it uses the digits and the"
                " capital letters except I, L, O and U)."
            )
        chars.append(char)
    if len(chars) != CODE_CHARS:
        raise RecoveryCodeInvalid(
            f"A recovery code has {CODE_CHARS} characters (8 groups of {GROUP}); this has"
            f" {len(chars)}."
        )
    values = [ALPHABET.index(c) for c in chars]
    if _polymod(_prefixed(values)) != _BECH32M:
        raise RecoveryCodeInvalid("The recovery code has a typo: its check characters differ.")
    return "".join(chars[:DATA_CHARS])


# -- the key ----------------------------------------------------------------------------------


class RecoveryKey(SecretKey):
    """The box key of one member's recovery code (with the salt and cost it was made with)."""

    __slots__ = ("log2_n", "org_id", "salt", "user_id")

    def __init__(self, key: Buffer, *, org_id: str, user_id: str, salt: bytes, log2_n: int) -> None:
        super().__init__(key)
        self.org_id = org_id
        self.user_id = user_id
        self.salt = salt
        self.log2_n = log2_n


def derive_recovery_key(
    code: str,
    *,
    org_id: str,
    user_id: str,
    salt: bytes | None = None,
    log2_n: int = SCRYPT_LOG2_N,
) -> RecoveryKey:
    """scrypt the code (checked first) into a box key. Slow on purpose: run it off the loop.

    ``salt`` is the box's (to open one) or ``None`` for a fresh random one (a new code).
    """
    data = parse_recovery_code(code)
    if log2_n not in _LOG2_N_RANGE:
        raise MalformedData(f"recovery box scrypt cost 2^{log2_n} is out of range")
    salt = os.urandom(SALT_SIZE) if salt is None else salt
    kdf = Scrypt(
        salt=framing.encode(_SALT_MAGIC, framing.text(org_id), framing.text(user_id), salt),
        length=KEY_SIZE,
        n=2**log2_n,
        r=8,
        p=1,
    )
    material = kdf.derive(data.encode("ascii"))
    return RecoveryKey(material, org_id=org_id, user_id=user_id, salt=salt, log2_n=log2_n)


# -- the box ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoxHeader:
    """The clear part of a box: whose it is, its version, and how to derive its key."""

    org_id: str
    user_id: str
    version: int
    log2_n: int
    salt: bytes
    sealed: bytes


def _aad(org_id: str, user_id: str, version: int, log2_n: int, salt: bytes) -> bytes:
    return framing.encode(
        _AAD_MAGIC,
        framing.u64(BOX_FORMAT),
        framing.text(org_id),
        framing.text(user_id),
        framing.u64(version),
        framing.u64(log2_n),
        salt,
    )


def seal_recovery_box(key: RecoveryKey, key_sets: KeySets, *, version: int) -> bytes:
    """Seal every private-annotation key of ``key.user_id`` as box ``version`` (≥ 1)."""
    if version < 1:
        raise ValueError("a recovery box version starts at 1")
    body: dict[str, dict[str, str]] = {}
    for meeting_id, keys in key_sets.items():
        for k in keys:
            if k.user_id != key.user_id:
                raise WrongContext(f"a private key of {k.user_id!r} in {key.user_id!r}'s box")
            body.setdefault(meeting_id, {})[str(k.epoch)] = base64.b64encode(k.export()).decode()
    aad = _aad(key.org_id, key.user_id, version, key.log2_n, key.salt)
    sealed = seal_box(key, canonical_json.dumps({"keys": body}), aad)
    return framing.encode(
        _BOX_MAGIC,
        framing.u64(BOX_FORMAT),
        framing.text(key.org_id),
        framing.text(key.user_id),
        framing.u64(version),
        framing.u64(key.log2_n),
        key.salt,
        sealed,
    )


def read_box_header(blob: Buffer) -> BoxHeader:
    """The box's clear header (unauthenticated until :func:`open_recovery_box`)."""
    fmt, org, user, version, log2_n, salt, sealed = framing.decode(
        blob, _BOX_MAGIC, 7, "recovery box"
    )
    if framing.decode_u64(fmt, "recovery box format") != BOX_FORMAT:
        raise MalformedData("unknown recovery box format (made by a newer app?)")
    return BoxHeader(
        org_id=framing.decode_text(org, "recovery box organisation"),
        user_id=framing.decode_text(user, "recovery box user"),
        version=framing.decode_u64(version, "recovery box version"),
        log2_n=framing.decode_u64(log2_n, "recovery box cost"),
        salt=framing.require_length(salt, SALT_SIZE, "recovery box salt"),
        sealed=sealed,
    )


def check_box_context(header: BoxHeader, *, org_id: str, user_id: str, min_version: int) -> None:
    """Refuse a box of another member or organisation, or older than ``min_version``."""
    if (header.org_id, header.user_id) != (org_id, user_id):
        raise WrongContext(
            f"the recovery box handed over belongs to {header.user_id!r} of {header.org_id!r},"
            f" not {user_id!r}: the relay gave the wrong one"
        )
    if header.version < min_version:
        raise StaleObject(
            f"the relay offered recovery box version {header.version}, older than version"
            f" {min_version} already seen: a rollback"
        )


def open_recovery_box(
    blob: Buffer, key: RecoveryKey, *, min_version: int = 0
) -> tuple[int, dict[str, list[PrivateAnnotationKey]]]:
    """(version, keys by meeting) of a box sealed under ``key``'s code for its member.

    Raises :class:`WrongContext` (another member's box), :class:`StaleObject` (a box older
    than ``min_version``), :class:`RecoveryCodeWrong` (another code, or an altered box).
    """
    header = read_box_header(blob)
    check_box_context(header, org_id=key.org_id, user_id=key.user_id, min_version=min_version)
    if (header.salt, header.log2_n) != (key.salt, key.log2_n):
        raise RecoveryCodeWrong  # the key was derived for another box of this member
    aad = _aad(key.org_id, key.user_id, header.version, header.log2_n, header.salt)
    try:
        plain = open_box(key, header.sealed, aad, "recovery box")
    except TamperedData:
        raise RecoveryCodeWrong from None
    body = canonical_json.parse(plain, "recovery box", frozenset({"keys"}))["keys"]
    if not isinstance(body, dict):
        raise MalformedData("recovery box keys are not an object")
    found: dict[str, list[PrivateAnnotationKey]] = {}
    for meeting_id, epochs in body.items():
        if not isinstance(epochs, dict):
            raise MalformedData("recovery box epochs are not an object")
        found[meeting_id] = [
            PrivateAnnotationKey(base64.b64decode(material), user_id=key.user_id, epoch=int(e))
            for e, material in epochs.items()
        ]
    return header.version, found
