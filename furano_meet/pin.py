"""The app lock's PIN: kept as a salted slow hash, checked with a pause after wrong guesses.

Why: a tablet left on a desk in the council chamber must not show tomorrow's confidential
agenda to whoever picks it up. The PIN (4–8 digits) is short, so it is never stored — only
``hashlib.scrypt`` of it with a random salt (n=2^14, r=8, p=1: 16 MiB and some 50 ms, enough to
make each guess cost, little enough for a tablet), and that record lives in the profile's
*encrypted* store (setting :data:`SETTING`), so a stolen disk does not even reveal the hash.
Both hashing and checking are slow on purpose: callers run them off the GUI thread.

:class:`Attempts` paces the guesses at the lock screen: after :data:`FREE_ATTEMPTS` wrong ones,
each further guess waits, longer each time (up to :data:`MAX_PAUSE`). Its clock is injected so
tests move time instead of sleeping.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

SETTING = "app:lock_pin"
"""The store setting holding the PIN record (JSON)."""
MIN_DIGITS, MAX_DIGITS = 4, 8
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
FREE_ATTEMPTS = 3
"""Wrong PINs allowed before the lock screen asks to wait."""
FIRST_PAUSE = 30.0
MAX_PAUSE = 300.0


def valid_pin(pin: str) -> bool:
    """4 to 8 ASCII digits (full-width digits from a Japanese keyboard are not accepted here:
    the settings screen folds them to ASCII before asking)."""
    return MIN_DIGITS <= len(pin) <= MAX_DIGITS and pin.isascii() and pin.isdigit()


@dataclass(frozen=True, slots=True)
class PinRecord:
    salt: bytes
    digest: bytes
    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P

    @classmethod
    def make(cls, pin: str) -> PinRecord:
        """(Slow) Hash a new PIN with a fresh salt. ``ValueError`` for a malformed PIN."""
        if not valid_pin(pin):
            raise ValueError("a PIN is 4 to 8 digits")
        salt = os.urandom(16)
        return cls(salt, _hash(pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P))

    def matches(self, pin: str) -> bool:
        """(Slow) Whether ``pin`` is the PIN this record was made from (constant-time compare)."""
        if not valid_pin(pin):
            return False
        return hmac.compare_digest(self.digest, _hash(pin, self.salt, self.n, self.r, self.p))

    def to_json(self) -> str:
        return json.dumps(
            {
                "salt": self.salt.hex(),
                "digest": self.digest.hex(),
                "n": self.n,
                "r": self.r,
                "p": self.p,
            }  # fmt: skip
        )

    @classmethod
    def from_json(cls, text: str) -> PinRecord:
        data = json.loads(text)
        return cls(
            bytes.fromhex(data["salt"]),
            bytes.fromhex(data["digest"]),
            int(data["n"]),
            int(data["r"]),
            int(data["p"]),
        )


def _hash(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=2 * 128 * n * r * p)


class Attempts:
    """Wrong guesses at the lock screen, and how long the next guess must wait."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.wrong = 0
        self._not_before = 0.0

    def wait_left(self) -> float:
        """Seconds until the next guess may be checked (0: now)."""
        return max(0.0, self._not_before - self._clock())

    def failed(self) -> None:
        self.wrong += 1
        if self.wrong >= FREE_ATTEMPTS:
            pause = min(MAX_PAUSE, FIRST_PAUSE * 2 ** (self.wrong - FREE_ATTEMPTS))
            self._not_before = self._clock() + pause

    def succeeded(self) -> None:
        self.wrong = 0
        self._not_before = 0.0
