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
protocol and relay failures) sets it per instance from that table and lists every code it may
carry in ``codes``. ``docs/errors.md`` shows the tree and the table; a test keeps both in step.

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
from typing import ClassVar, TextIO

__all__ = [
    "CODES",
    "CodeInfo",
    "Fault",
    "FuranoError",
    "SchemaTooNew",
    "describe",
    "print_error",
]


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
    codes: ClassVar[frozenset[str]] = frozenset()
    """For classes whose instances carry a code (wire and relay errors): every code an instance
    may carry, so a test can check each against :data:`CODES`. Empty when ``code`` is fixed."""

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
#: For the wire codes (the relay's ``failed`` replies) the fault is as the app sees it when the
#: relay sends that code back; protocol error classes fix their own fault by direction instead.
CODES: dict[str, CodeInfo] = {
    # -- the root --
    "error": CodeInfo(Fault.OURS, "An unexpected error."),
    "schema_too_new": CodeInfo(Fault.ENVIRONMENT, "A file was written by a newer version."),
    # -- the wire (furano_meet.protocol.ErrorCode): the frame itself --
    "malformed_frame": CodeInfo(Fault.OURS, "A frame could not be decoded."),
    "unknown_type": CodeInfo(Fault.OURS, "A message type the receiver does not know."),
    "unknown_field": CodeInfo(Fault.OURS, "A message carried a field its type does not have."),
    "missing_field": CodeInfo(Fault.OURS, "A message lacked a required field."),
    "invalid_field": CodeInfo(Fault.OURS, "A field's value is out of range or badly formed."),
    "frame_too_large": CodeInfo(Fault.OURS, "A frame exceeded the size limit."),
    "version_unsupported": CodeInfo(
        Fault.ENVIRONMENT, "The app and the relay speak no common protocol version."
    ),
    "unexpected_message": CodeInfo(Fault.OURS, "A message arrived when it is not allowed."),
    # -- the wire: who you are --
    "not_authenticated": CodeInfo(Fault.OURS, "A request was sent before authenticating."),
    "bad_credentials": CodeInfo(Fault.ENVIRONMENT, "The device id or token is not valid."),
    "device_revoked": CodeInfo(
        Fault.ENVIRONMENT, "An administrator revoked this device; its cache was wiped."
    ),
    "enrolment_code_invalid": CodeInfo(
        Fault.USER, "The enrolment code is wrong, already used or expired."
    ),
    "forbidden": CodeInfo(Fault.USER, "The role or membership does not allow this."),
    "not_found": CodeInfo(Fault.USER, "The meeting, document, device or user does not exist."),
    # -- the wire: how much --
    "rate_limited": CodeInfo(Fault.ENVIRONMENT, "Too many requests; wait and try again."),
    "too_many_connections": CodeInfo(Fault.ENVIRONMENT, "The relay has no room for more."),
    "too_slow": CodeInfo(Fault.ENVIRONMENT, "The connection could not keep up and was closed."),
    # -- the wire: transfers --
    "upload_too_large": CodeInfo(Fault.USER, "The document is larger than the relay accepts."),
    "chunk_out_of_order": CodeInfo(Fault.OURS, "A transfer chunk arrived at the wrong offset."),
    "chunk_hash_mismatch": CodeInfo(Fault.OURS, "An upload chunk does not match its checksum."),
    "upload_incomplete": CodeInfo(Fault.OURS, "An upload was finished before all bytes arrived."),
    "hash_mismatch": CodeInfo(Fault.OURS, "A transferred document does not match its SHA-256."),
    "unknown_transfer": CodeInfo(Fault.OURS, "A transfer id the receiver does not know."),
    "conflict": CodeInfo(Fault.USER, "Someone changed it first; reload and try again."),
    # -- the wire: the relay's environment or its bug --
    "storage_unavailable": CodeInfo(
        Fault.ENVIRONMENT, "The relay's disk is full or read-only; nothing was stored."
    ),
    "internal_error": CodeInfo(Fault.THEIRS, "The relay failed in a way only a bug explains."),
    # -- the connection to the relay (furano_meet.net.RelayError) --
    "unreachable": CodeInfo(Fault.ENVIRONMENT, "The relay cannot be reached."),
    "connection_lost": CodeInfo(Fault.ENVIRONMENT, "The connection to the relay was lost."),
    "protocol_error": CodeInfo(Fault.THEIRS, "The relay sent a frame this app cannot read."),
    "offline": CodeInfo(Fault.ENVIRONMENT, "This needs the relay, and the app is offline."),
    # -- sync: keys, certificates, administration --
    "not_certified": CodeInfo(
        Fault.ENVIRONMENT, "This device has no certificate from the organisation yet."
    ),
    "no_meeting_key": CodeInfo(Fault.USER, "The meeting has no key on this device yet."),
    "not_admin": CodeInfo(Fault.USER, "This profile does not hold the organisation root key."),
    "invitation_invalid": CodeInfo(Fault.USER, "The invitation text is not CODE/FINGERPRINT."),
    # -- sync: documents --
    "pdf_broken": CodeInfo(Fault.USER, "The file is not a readable PDF."),
    "pdf_password": CodeInfo(Fault.USER, "The PDF is password-protected."),
    "pdf_empty": CodeInfo(Fault.USER, "The PDF has no pages."),
    "publisher_unverified": CodeInfo(
        Fault.THEIRS, "The device that published a document has no valid certificate."
    ),
    # -- crypto (furano_meet.crypto.CryptoError) --
    "crypto_error": CodeInfo(Fault.THEIRS, "A crypto operation refused its input."),
    "malformed": CodeInfo(Fault.THEIRS, "Encrypted or signed data does not parse."),
    "unknown_suite": CodeInfo(Fault.THEIRS, "Data names a crypto suite this version lacks."),
    "tampered": CodeInfo(Fault.THEIRS, "Authentication failed: the data was altered."),
    "truncated": CodeInfo(Fault.THEIRS, "An encrypted stream stops before its end."),
    "wrong_context": CodeInfo(
        Fault.THEIRS, "Authentic data meant for another meeting, device, document or key."
    ),
    "bad_signature": CodeInfo(Fault.THEIRS, "A signature does not verify."),
    "unauthorised_signer": CodeInfo(Fault.THEIRS, "A valid signature by a key that may not sign."),
    "key_substitution": CodeInfo(
        Fault.THEIRS, "A public key does not match the fingerprint given out of band."
    ),
    "usage_error": CodeInfo(Fault.OURS, "The crypto API was used in a way it forbids."),
    # -- the local store (furano_meet.store.StoreError) --
    "store_error": CodeInfo(Fault.OURS, "The local store failed."),
    "passphrase_required": CodeInfo(
        Fault.ENVIRONMENT, "No secure keychain: a passphrase must protect the cache."
    ),
    "wrong_passphrase": CodeInfo(Fault.USER, "The passphrase does not unlock the cache."),
    "key_mismatch": CodeInfo(Fault.ENVIRONMENT, "The keychain's key does not unlock the cache."),
    "key_unavailable": CodeInfo(Fault.ENVIRONMENT, "The keychain cannot give the cache's key."),
    "keysource_missing": CodeInfo(Fault.ENVIRONMENT, "The cache's key description file is gone."),
    "keysource_damaged": CodeInfo(Fault.ENVIRONMENT, "The key description file is damaged."),
    "database_corrupt": CodeInfo(Fault.ENVIRONMENT, "The encrypted cache fails its checks."),
    "disk_full": CodeInfo(Fault.ENVIRONMENT, "The disk is full."),
    "read_only": CodeInfo(Fault.ENVIRONMENT, "The data folder cannot be written to."),
    "database_busy": CodeInfo(Fault.ENVIRONMENT, "Another program holds the cache's lock."),
    "profile_mismatch": CodeInfo(Fault.ENVIRONMENT, "The folder holds another profile's cache."),
    "io_error": CodeInfo(Fault.ENVIRONMENT, "The operating system could not read or write."),
    "blob_missing": CodeInfo(Fault.ENVIRONMENT, "A downloaded document's file is missing."),
    "blob_hash_mismatch": CodeInfo(
        Fault.THEIRS, "Downloaded ciphertext does not match its SHA-256."
    ),
    "internal": CodeInfo(Fault.OURS, "The cache rejected a statement; only a bug explains it."),
    "store_closed": CodeInfo(Fault.OURS, "The local store was used after closing."),
    "unknown_meeting": CodeInfo(Fault.OURS, "A meeting the local store does not know."),
    "unknown_document": CodeInfo(Fault.OURS, "A document version the local store does not know."),
    "resume_offset_mismatch": CodeInfo(Fault.OURS, "A download was resumed at the wrong offset."),
    "document_state": CodeInfo(
        Fault.OURS, "A download operation on a document in the wrong state."
    ),
    "outbox_conflict": CodeInfo(Fault.OURS, "An op id was queued twice with different content."),
    "tls_untrusted": CodeInfo(
        Fault.ENVIRONMENT,
        "The relay's TLS certificate did not check out (unknown issuer, wrong host name, expired).",
    ),
    "tls_ca_file_unusable": CodeInfo(
        Fault.USER, "The CA file given for a private relay cannot be read or holds no certificate."
    ),
    "passphrase_too_weak": CodeInfo(
        Fault.USER, "A new passphrase was refused as too easy to guess."
    ),
    "not_presenter": CodeInfo(
        Fault.USER, "Only the presenter may do this; ask for the presenter role first."
    ),
    "annotation_error": CodeInfo(Fault.OURS, "An annotation operation failed."),
    "annotation_invalid": CodeInfo(
        Fault.OURS, "An annotation broke a rule of the annotation model."
    ),
    "annotation_too_new": CodeInfo(
        Fault.ENVIRONMENT, "An annotation was written by a newer version of the annotation format."
    ),
    "render_error": CodeInfo(Fault.OURS, "A page could not be rendered."),
    "document_not_open": CodeInfo(
        Fault.OURS, "A render request names a document that is not open."
    ),
    "page_out_of_range": CodeInfo(
        Fault.OURS, "A render request names a page the document does not have."
    ),
    "render_request_invalid": CodeInfo(
        Fault.OURS,
        "A render request has a bad scale, rotation or clip, or too many pixels in one piece.",
    ),
    "render_service_closed": CodeInfo(Fault.OURS, "The render service has already shut down."),
    "document_damaged": CodeInfo(Fault.THEIRS, "The PDF cannot be opened; it is damaged."),
    "document_locked": CodeInfo(Fault.THEIRS, "The PDF is password-protected."),
    "render_failed": CodeInfo(Fault.THEIRS, "One page could not be drawn or read."),
    "stale": CodeInfo(Fault.THEIRS, "Older than, or a replay of, something already accepted."),
    "equivocation": CodeInfo(Fault.THEIRS, "Two different signed objects claim the same version."),
    "expired": CodeInfo(Fault.THEIRS, "An invitation was used after its expiry."),
    "pdf_not_pdf": CodeInfo(Fault.USER, "The file is not a PDF (an image, a web page …)."),
    "pdf_pages_lost": CodeInfo(Fault.USER, "The PDF is damaged and some pages are incomplete."),
    "pdf_too_costly": CodeInfo(
        Fault.USER, "The PDF has pages too large or slow for members' devices."
    ),
    "relay_config_invalid": CodeInfo(Fault.USER, "The relay's configuration file is not usable."),
    "relay_backup_refused": CodeInfo(
        Fault.USER, "A relay backup or restore was refused; nothing was overwritten."
    ),
    "cache_damaged": CodeInfo(
        Fault.ENVIRONMENT,
        "The cache was found damaged at start (missing, empty, truncated or failing its check).",
    ),
    "relay_data_missing": CodeInfo(
        Fault.USER, "The relay's data directory holds no database (a mistyped --data?)."
    ),
    "already_exists": CodeInfo(
        Fault.USER, "An organisation, user or meeting with that id already exists."
    ),
    "invalid_value": CodeInfo(
        Fault.USER, "An option's value is malformed (a date, a fingerprint)."
    ),
    "bind_failed": CodeInfo(
        Fault.ENVIRONMENT, "The relay cannot listen on the address and port given."
    ),
    "client_extra_missing": CodeInfo(
        Fault.ENVIRONMENT, "The client libraries (furano-meet[client]) are not installed."
    ),
    "root_fingerprint_mismatch": CodeInfo(
        Fault.USER, "The organisation root key is not the one the invitation names."
    ),
    "file_unreadable": CodeInfo(Fault.USER, "The file given cannot be read."),
    "changes_not_sent": CodeInfo(
        Fault.ENVIRONMENT, "Changes written on this device are not yet sent to the relay."
    ),
    "invitation_untrusted": CodeInfo(
        Fault.THEIRS,
        "The relay served an invitation that does not check against the root fingerprint, or "
        "enrolled the device as someone else than the invitation names.",
    ),
    "certification_refused": CodeInfo(
        Fault.THEIRS,
        "A device was not certified: no admin-made invitation, or its claim does not match "
        "what the relay reports.",
    ),
    "recovery_code_invalid": CodeInfo(
        Fault.USER, "The recovery code typed has a typo (wrong length, character or check)."
    ),
    "recovery_code_wrong": CodeInfo(
        Fault.USER, "A well-formed recovery code that does not open this member's recovery box."
    ),
    "recovery_exists": CodeInfo(
        Fault.USER, "A recovery code was already made on this device; --replace makes a new one."
    ),
    "recovery_box_missing": CodeInfo(
        Fault.ENVIRONMENT, "The relay keeps no recovery box for this member."
    ),
    "document_withdrawn": CodeInfo(
        Fault.THEIRS, "The clerk's office withdrew a document while it was open."
    ),
    "document_unavailable": CodeInfo(
        Fault.USER, "The document is not on this device (withdrawn, shredded or not received)."
    ),
    "relay_address_invalid": CodeInfo(Fault.USER, "What was typed is not a relay's address."),
    "relay_address_unencrypted": CodeInfo(
        Fault.USER, "An http:// relay address to another machine (never connected unencrypted)."
    ),
    "device_name_invalid": CodeInfo(
        Fault.USER,
        "A device name is empty, over 40 characters, or has an invisible or control character.",
    ),
}


def describe(code: str) -> CodeInfo:
    """The table row for ``code``; unknown codes (a newer peer's) read as an unexpected error."""
    return CODES.get(code, CODES["error"])


def print_error(error: FuranoError, file: TextIO) -> int:
    """Print ``error`` the way a command-line tool should and return the exit status (1).

    Why here: both CLIs (``furano-meet`` and ``furano-relay``) present errors one way, the way
    the app's error presenter will: the message, then the next step on its own line; our own
    bugs also name their code so a report can quote it. Never a traceback.
    """
    print(error.message, file=file)
    if error.next_step:
        print(error.next_step, file=file)
    if error.fault is Fault.OURS:
        print(f"This is a bug in Furano Meet (code {error.code}); please report it.", file=file)
    return 1
