"""Where the 32-byte database key comes from: the OS keychain, or a passphrase through scrypt.

Theory of operation
-------------------
The cache is opened with SQLCipher's raw-key form, so opening costs one HMAC check instead of
SQLCipher's 256,000-round PBKDF2 (about 1 ms instead of 100 ms). The key therefore has to come
from somewhere strong:

* **Keychain** (preferred). A random key is created with the store and kept in the OS keychain
  (macOS Keychain, Windows Credential Locker, Secret Service on Linux) under service
  ``"FuranoMeet"`` and user name = profile id, hex-encoded.
* **Passphrase** (fallback). Where no *secure* keychain exists - keyring's ``fail`` or ``null``
  backends, ``keyrings.alt`` (a plaintext or home-made file, which is exactly the thing we must not
  do) or a chainer holding only those - the key is never written to it. Instead
  :class:`~furano_meet.store.errors.PassphraseRequired` tells the caller why, the caller asks the
  user, and the key is derived with scrypt (n=2**17, r=8, p=1: 128 MiB and about 0.35 s on a
  2-core laptop, paid once per open - current guidance for interactive logins). The passphrase is
  NFKC-normalised first so full-width and half-width input from a Japanese IME give the same key,
  and a *new* passphrase must pass the rules of :mod:`.passphrase`.

The scrypt parameters are stored with the salt, so a store made by an older release (n=2**15)
keeps opening; :mod:`.rekey` moves it to the current parameters at its next successful unlock,
re-encrypting the database under the new key in an order that survives a crash at any point.

A small JSON file beside the database (``keysource.json``) records which source is in use, the
scrypt salt and parameters, and a *key check*: HMAC-SHA256(key, fixed label). The check lets us say
"wrong passphrase" before SQLCipher ever reads the database, and tell a wrong key apart from a
damaged first page (both look like "file is not a database" to SQLite). It does not weaken the
passphrase: anyone holding the database can already test guesses against its first page, and every
guess still costs a full scrypt.

When a chainer holds a secure backend *and* an insecure one, the chainer itself would happily fall
through to the plaintext file if the secure one refused a write, so we talk to the first secure
backend directly.

keyring is untyped and its backends raise whatever their platform library raises (D-Bus errors,
Windows errors), so every call into it is wrapped here and turned into a typed store error.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from .errors import (
    KeyMismatch,
    KeySourceDamaged,
    KeyUnavailable,
    PassphraseRequired,
    WrongPassphrase,
)
from .layout import fsync_directory
from .passphrase import check_strength, normalise

__all__ = [
    "KEYRING_SERVICE",
    "KEY_BYTES",
    "Keychain",
    "KeySource",
    "KeySourceRecord",
    "ScryptParams",
    "current_scrypt",
    "derive_key",
    "key_check",
    "read_record",
    "write_record",
]

KEYRING_SERVICE = "FuranoMeet"
KEY_BYTES = 32
_RECORD_FORMAT = 1
_KEY_CHECK_LABEL = b"furano-meet/store/key-check/v1"

# Backends that must never hold the key, by module. keyrings.alt is rejected as a whole: every
# backend in it stores secrets in a file under the user's home with at best a home-made cipher.
_NO_KEYCHAIN_MODULES = ("keyring.backends.fail", "keyring.backends.null")
_PLAINTEXT_MODULES = ("keyrings.alt",)


class KeySource(enum.Enum):
    """Which mechanism supplies the database key."""

    KEYCHAIN = "keychain"
    PASSPHRASE = "passphrase"


@dataclass(frozen=True)
class ScryptParams:
    """scrypt cost parameters; stored with the salt so a later release can raise them.

    The defaults are what new stores get (and what older stores are upgraded to): n=2**17, r=8,
    p=1 costs 128 * n * r = 128 MiB of memory per guess, OWASP's minimum for scrypt. Tests may pass
    cheaper parameters explicitly; :meth:`validate` still refuses anything below n=2**14.
    """

    n: int = 2**17
    r: int = 8
    p: int = 1

    def weaker_than(self, other: ScryptParams) -> bool:
        """True if any cost is below ``other``'s: the store should move to ``other``."""
        return self.n < other.n or self.r < other.r or self.p < other.p

    def validate(self) -> None:
        """Refuse parameters that are too weak or absurdly expensive (a tampered file)."""
        if not (2**14 <= self.n <= 2**22 and self.n & (self.n - 1) == 0):
            raise ValueError(f"scrypt n={self.n} out of range")
        if not (1 <= self.r <= 32 and 1 <= self.p <= 16):
            raise ValueError(f"scrypt r={self.r} p={self.p} out of range")


CURRENT_SCRYPT = ScryptParams()
"""What new stores get and weaker ones are moved to: always the defaults above in the app.

Test hook (the only one in the store): the app's tests create hundreds of passphrase stores (the
demo council's devices), half a second of scrypt each at this cost, so ``tests/app/conftest.py``
lowers it for their duration to the floor :meth:`ScryptParams.validate` accepts. Nothing else
assigns it; ``tests/store/test_keysource.py`` checks that it is the full-cost default."""


def current_scrypt() -> ScryptParams:
    """:data:`CURRENT_SCRYPT`, read when asked (so the tests' lower value reaches every user)."""
    return CURRENT_SCRYPT


@dataclass(frozen=True)
class KeySourceRecord:
    """Contents of ``keysource.json``: never the key, only how to get and check it."""

    source: KeySource
    check: bytes
    salt: bytes | None = None
    scrypt: ScryptParams | None = None

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "format": _RECORD_FORMAT,
            "source": self.source.value,
            "key_check": self.check.hex(),
        }
        if self.source is KeySource.PASSPHRASE:
            assert self.salt is not None and self.scrypt is not None
            data["kdf"] = {
                "name": "scrypt",
                "salt": self.salt.hex(),
                "n": self.scrypt.n,
                "r": self.scrypt.r,
                "p": self.scrypt.p,
            }
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> KeySourceRecord:
        """Parse and validate; raises ``ValueError`` with a short reason on anything odd."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc.msg}") from None
        if not isinstance(data, dict) or data.get("format") != _RECORD_FORMAT:
            raise ValueError("unknown format")
        try:
            source = KeySource(data["source"])
            check = bytes.fromhex(data["key_check"])
            if len(check) != 32:
                raise ValueError("key check has the wrong length")
            if source is KeySource.KEYCHAIN:
                return cls(source=source, check=check)
            kdf = data["kdf"]
            if kdf["name"] != "scrypt":
                raise ValueError(f"unknown key derivation {kdf['name']!r}")
            params = ScryptParams(n=int(kdf["n"]), r=int(kdf["r"]), p=int(kdf["p"]))
            params.validate()
            salt = bytes.fromhex(kdf["salt"])
            if len(salt) < 16:
                raise ValueError("salt too short")
        except (KeyError, TypeError) as exc:
            raise ValueError(f"missing or mistyped field {exc}") from None
        return cls(source=source, check=check, salt=salt, scrypt=params)


def key_check(key: bytes) -> bytes:
    """The value stored beside the database to recognise the right key without opening it."""
    return hmac.new(key, _KEY_CHECK_LABEL, hashlib.sha256).digest()


def key_matches(key: bytes, record: KeySourceRecord) -> bool:
    return hmac.compare_digest(key_check(key), record.check)


def normalise_passphrase(passphrase: str) -> bytes:
    """NFKC so that IME full-width/half-width differences do not lock anyone out."""
    return normalise(passphrase).encode("utf-8")


def derive_key(passphrase: str, salt: bytes, params: ScryptParams) -> bytes:
    """scrypt the (normalised) passphrase into a 32-byte database key. Slow on purpose."""
    kdf = Scrypt(salt=salt, length=KEY_BYTES, n=params.n, r=params.r, p=params.p)
    return kdf.derive(normalise_passphrase(passphrase))


def read_record(path: Path) -> KeySourceRecord | None:
    """The key description beside the database, ``None`` if there is none yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise KeySourceDamaged(str(path), "not UTF-8 text") from None
    try:
        return KeySourceRecord.from_json(text)
    except ValueError as exc:
        raise KeySourceDamaged(str(path), str(exc)) from None


def write_record(path: Path, record: KeySourceRecord) -> None:
    """Write the key description atomically (tmp, fsync, rename), readable by the owner only.

    ``OSError`` propagates; the caller maps it (disk full, read-only folder).
    """
    tmp = path.with_name(path.name + ".tmp")
    data = record.to_json().encode("utf-8")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_directory(path.parent)


def new_passphrase_record(
    passphrase: str, params: ScryptParams | None = None
) -> tuple[bytes, KeySourceRecord]:
    """Check a passphrase chosen for a new store, create a fresh salt, derive the key, describe it.

    Raises :class:`PassphraseRequired` for an empty one and
    :class:`~furano_meet.store.passphrase.PassphraseTooWeak` for a weak one. ``params`` other
    than the default only in tests, to keep them fast.
    """
    if not passphrase:
        raise PassphraseRequired("The passphrase is empty.", new_store=True)
    check_strength(passphrase)
    return passphrase_record(passphrase, params or current_scrypt())


def passphrase_record(passphrase: str, params: ScryptParams) -> tuple[bytes, KeySourceRecord]:
    """A fresh salt and the key ``passphrase`` derives with it, unchecked (an existing store's
    passphrase moving to new parameters is not judged again)."""
    salt = secrets.token_bytes(16)
    key = derive_key(passphrase, salt, params)
    return key, KeySourceRecord(
        source=KeySource.PASSPHRASE, check=key_check(key), salt=salt, scrypt=params
    )


def key_from_passphrase(record: KeySourceRecord, passphrase: str | None) -> bytes:
    """Derive and check the key of an existing passphrase-protected store."""
    assert record.salt is not None and record.scrypt is not None
    if passphrase is None:
        raise PassphraseRequired(
            "This meeting cache was protected with a passphrase when it was created, because "
            "no secure system keychain was available then.",
            new_store=False,
        )
    key = derive_key(passphrase, record.salt, record.scrypt)
    if not key_matches(key, record):
        raise WrongPassphrase()
    return key


class Keychain:
    """A typed view of the one keyring backend that may hold cache keys, if any.

    Construct it with :meth:`detect` at open time (the active backend can change at runtime, e.g.
    in tests via ``keyring.set_keyring``). ``reason`` explains in plain words why there is no
    usable keychain when ``backend`` is ``None``.
    """

    def __init__(self, backend: Any, reason: str) -> None:
        self._backend = backend
        self.reason = reason

    @classmethod
    def detect(cls) -> Keychain:
        import keyring
        from keyring.backends.chainer import ChainerBackend

        active = keyring.get_keyring()
        candidates = list(active.backends) if isinstance(active, ChainerBackend) else [active]
        for candidate in candidates:
            if _insecure_reason(candidate) is None:
                return cls(candidate, "")
        if not candidates:
            return cls(None, _no_keychain_text("no keyring backend at all"))
        return cls(None, _insecure_reason(candidates[0]) or "")

    @property
    def available(self) -> bool:
        return self._backend is not None

    @property
    def name(self) -> str:
        return _backend_name(self._backend) if self._backend is not None else "none"

    def get_key(self, profile_id: str) -> bytes | None:
        """The stored key, ``None`` if there is no entry. Raises :class:`KeyUnavailable`."""
        if self._backend is None:
            raise KeyUnavailable(self.reason)
        try:
            value = self._backend.get_password(KEYRING_SERVICE, profile_id)
        except Exception as exc:  # backends raise their platform library's own errors
            raise KeyUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if value is None:
            return None
        try:
            key = bytes.fromhex(str(value))
        except ValueError:
            raise KeyUnavailable("the keychain entry is not a Furano Meet key") from None
        if len(key) != KEY_BYTES:
            raise KeyUnavailable("the keychain entry is not a Furano Meet key")
        return key

    def store_key(self, profile_id: str, key: bytes) -> None:
        """Save a new key. A refusal becomes :class:`PassphraseRequired` (fall back)."""
        if self._backend is None:
            raise PassphraseRequired(self.reason, new_store=True)
        try:
            self._backend.set_password(KEYRING_SERVICE, profile_id, key.hex())
        except Exception as exc:  # backends raise their platform library's own errors
            raise PassphraseRequired(
                f"The system keychain ({self.name}) refused to store the key for the meeting "
                f"cache ({type(exc).__name__}: {exc}).",
                new_store=True,
            ) from exc

    def delete_key(self, profile_id: str) -> bool:
        """Remove the entry; ``False`` if it was not there or the keychain refused."""
        if self._backend is None:
            return False
        try:
            self._backend.delete_password(KEYRING_SERVICE, profile_id)
        except Exception:  # PasswordDeleteError when absent; platform errors otherwise
            return False
        return True


def key_from_keychain(keychain: Keychain, profile_id: str, record: KeySourceRecord) -> bytes:
    """Fetch and check the key of an existing keychain-protected store."""
    key = keychain.get_key(profile_id)
    if key is None:
        raise KeyUnavailable(f"there is no entry for profile {profile_id!r} in {keychain.name}")
    if not key_matches(key, record):
        raise KeyMismatch(profile_id)
    return key


def new_keychain_record(keychain: Keychain, profile_id: str) -> tuple[bytes, KeySourceRecord]:
    """Create a random key, put it in the keychain and describe it."""
    key = secrets.token_bytes(KEY_BYTES)
    keychain.store_key(profile_id, key)
    return key, KeySourceRecord(source=KeySource.KEYCHAIN, check=key_check(key))


def _backend_name(backend: Any) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _no_keychain_text(detail: str) -> str:
    return (
        "This computer has no system keychain that Furano Meet can use to keep the key of its "
        f"meeting cache ({detail})."
    )


def _insecure_reason(backend: Any) -> str | None:
    """Why ``backend`` must not hold a key, or ``None`` if it may."""
    module = type(backend).__module__
    name = _backend_name(backend)
    if module.startswith(_NO_KEYCHAIN_MODULES):
        return _no_keychain_text(f"keyring backend {name}")
    if module.startswith(_PLAINTEXT_MODULES) or "plaintext" in name.lower():
        return (
            f"The only keychain available ({name}) keeps passwords in a file without real "
            "protection, so anyone who copies your files could read the key of the meeting cache."
        )
    return None
