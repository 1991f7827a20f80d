"""The one exception tree of Furano Meet: every error the core, the relay and the CLIs raise.

Why one root: the app has exactly one error presenter and the CLIs one error printer. Both need
to know, for any failure, *what* happened in a way that survives translation (a stable ``code``),
*whose fault* it is (so the presenter can choose between "please try again", "the disk is full"
and "this is a bug, it was logged"), a plain English ``message`` for logs and a ``next_step``
the user can act on. Packages keep their own subtrees (``CryptoError``, ``StoreError``,
``ProtocolError`` …) so callers can still catch by area, but every subtree derives from
:class:`FuranoError`, and ``tests/test_errors.py`` walks every exception class in the code base
to prove it.

Codes are ``snake_case`` ASCII, never change meaning once released, and are all listed in
:data:`CODES` below: the one table the app's translations and the CLIs translate from. A class
either fixes its ``code`` as a class attribute, or (for errors that carry a wire code, such as
protocol and relay failures) sets it per instance from that table.

Faults::

    OURS         our bug: a caller broke a contract. Log with context, report; never the user's.
    THEIRS       a peer (the relay, another member's device) sent something that does not check
                 out. Refuse it, keep going; never trust it.
    USER         the person typed or chose something wrong. Ask again, saying what was wrong.
    ENVIRONMENT  the machine or the network is in the way (disk full, no keychain, offline).
                 A calm message with the next step; nothing is wrong with the program.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["CODES", "CodeInfo", "Fault", "FuranoError", "SchemaTooNew", "describe"]


class Fault(StrEnum):
    """Whose fault an error is; decides how the app and the CLIs present it."""

    OURS = "ours"
    THEIRS = "theirs"
    USER = "user"
    ENVIRONMENT = "environment"


class FuranoError(Exception):
    """Base of every error Furano Meet raises on purpose.

    ``code`` and ``fault`` are class attributes that subclasses fix; an instance may override
    ``code`` (wire errors carry the code they were sent with). ``str(error)`` is the message
    followed by the next step, so a log line reads on its own; user-facing text is chosen from
    ``code`` and translated, never taken from the English message.
    """

    code: str = "error"
    fault: Fault = Fault.OURS

    def __init__(self, message: str, next_step: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.next_step = next_step

    def __str__(self) -> str:
        if self.next_step:
            return f"{self.message} {self.next_step}"
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class SchemaTooNew(FuranoError):
    """A database was written by a newer major schema version than this build understands.

    One class for the client's cache and the relay's database: both refuse to open the file and
    leave it exactly as it was, so installing the newer version opens it again.
    """

    code = "schema_too_new"
    fault = Fault.ENVIRONMENT

    def __init__(self, found: str, supported: str, what: str = "database") -> None:
        super().__init__(
            f"This {what} was written by a newer version of Furano Meet "
            f"(schema {found}; this version understands {supported}).",
            "Update Furano Meet to open it; nothing was changed.",
        )
        self.found = found
        self.supported = supported


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """One row of the code table: whose fault it usually is and what it means in plain English."""

    fault: Fault
    meaning: str


#: Every error code, spelled once. The app's translation files and the CLIs key on these.
CODES: dict[str, CodeInfo] = {
    "error": CodeInfo(Fault.OURS, "An unexpected error."),
    "schema_too_new": CodeInfo(Fault.ENVIRONMENT, "A file was written by a newer version."),
}


def describe(code: str) -> CodeInfo:
    """The table row for ``code``; unknown codes (a newer peer's) read as an unexpected error."""
    return CODES.get(code, CODES["error"])
