"""Which passphrases may protect a meeting cache: normalisation and the strength rules.

Theory of operation
-------------------
A passphrase only matters where the OS has no usable keychain (see :mod:`.keysource`); then it is
all that stands between a stolen laptop and the council's closed-session documents, and anyone
holding the database can test guesses offline at the cost of one scrypt each. scrypt makes every
guess expensive, but not expensive enough to survive "password" or "12345678": those are tried
first. So a *new* passphrase (a new store, or a change) must pass a few plain rules, each with a
reason the user understands:

* at least :data:`MIN_CHARACTERS` characters - counted as characters, not bytes, so a Japanese
  passphrase is judged by what the user typed (「富良野の冬は長いけれど」 is 11);
* not one character repeated, nor one short pattern repeated (``abcabcabc``, ``ふらふらふら``);
* not only digits (dates and phone numbers are guessed early);
* not a well-known password or the app's or the city's name, also with digits or symbols added
  around it (``Password2025!``, ``furano1234``).

Existing stores keep opening whatever their passphrase: refusing it now would lock the user out
of their own cache. The rules are deliberately few; a long sentence in any script passes.

Normalisation is NFKC (it includes NFC's composition), so full-width and half-width input from a
Japanese IME, and composed or decomposed kana (が vs か + ゛), give the same key. That is what
stores have always used, so every existing store keeps opening.
"""

from __future__ import annotations

import unicodedata

from .errors import Fault, StoreError

__all__ = ["MIN_CHARACTERS", "PassphraseTooWeak", "check_strength", "normalise"]

MIN_CHARACTERS = 10
_LONGEST_REPEATED_UNIT = 4

# Compared after normalise(), casefold and dropping everything but letters and digits; digits at
# either end are dropped too. Short on purpose: the length rule already stops most lists' heads.
_COMMON = frozenset(
    {
        "password",
        "passw0rd",
        "pssw0rd",
        "passwort",
        "qwerty",
        "qwertyuiop",
        "asdfghjkl",
        "zxcvbnm",
        "qwertz",
        "azerty",
        "iloveyou",
        "letmein",
        "welcome",
        "admin",
        "administrator",
        "changeme",
        "secret",
        "trustno",
        "abc",
        "abcdefghij",
        "qaz2wsx",
        "furano",
        "furanomeet",
        "furanocity",
        "furanoshi",
        "gikai",
        "パスワード",
        "ぱすわーど",
        "富良野",
        "富良野市",
        "富良野市議会",
        "ふらの",
        "フラノ",
        "ふらのし",
        "議会",
    }
)


class PassphraseTooWeak(StoreError):
    """A new passphrase was refused; ``reason`` says why, the next step what would be accepted.

    Nothing was created or changed: ask again.
    """

    code = "passphrase_too_weak"
    fault = Fault.USER

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"This passphrase is too easy to guess: {reason}.",
            f"Choose one of at least {MIN_CHARACTERS} characters that is not a common password, "
            "for example a short sentence only you would think of, in Japanese or English.",
        )
        self.reason = reason


def normalise(passphrase: str) -> str:
    """NFKC: what the user meant, whichever IME width or kana composition produced it."""
    return unicodedata.normalize("NFKC", passphrase)


def check_strength(passphrase: str) -> None:
    """Refuse a passphrase for a new store or a change; raises :class:`PassphraseTooWeak`."""
    text = normalise(passphrase)
    length = len(text)
    if length < MIN_CHARACTERS:
        raise PassphraseTooWeak(
            f"it has {length} character{'s' if length != 1 else ''}, fewer than {MIN_CHARACTERS}"
        )
    if len(set(text)) == 1:
        raise PassphraseTooWeak("it is one character repeated")
    if _repeats_a_short_pattern(text):
        raise PassphraseTooWeak("it is one short pattern repeated")
    core = "".join(ch for ch in text.casefold() if ch.isalnum())
    if core.isdigit():
        raise PassphraseTooWeak("it has only digits, and numbers like dates are guessed first")
    if core in _COMMON or core.strip("0123456789") in _COMMON:
        raise PassphraseTooWeak("it is a well-known password or a name everyone here knows")


def _repeats_a_short_pattern(text: str) -> bool:
    for size in range(1, _LONGEST_REPEATED_UNIT + 1):
        unit = text[:size]
        if (unit * (len(text) // size + 1))[: len(text)] == text:
            return True
    return False
