"""TLS for ``wss://`` relays: which certificates this device trusts, and plain words when none fits.

Theory of operation
-------------------
A relay on the internet has a certificate from a public authority, so the default is the
operating system's trust store (:func:`ssl.create_default_context`: certificate and host name
checked, TLS 1.2 or newer). A council that runs its own certificate authority gives its CA
certificate as a file (``--ca-file`` on the CLI, a setting in the app); then *only* that CA is
trusted for the relay, which is stricter than adding it to the system's list. ``ws://`` (no TLS)
stays available for a relay on the same machine and for development.

A certificate that does not check out is not a network blip: retrying rarely helps, and the user
needs to know which of three things is wrong (the issuer is unknown, the name does not match the
address, the certificate is out of date or the clock is wrong). :func:`untrusted` turns OpenSSL's
verification error into :class:`TlsUntrusted` with that reason and a next step; a CA file that
cannot be read becomes :class:`TlsCaFileUnusable`. Both are :class:`RelayError` too, so code that
treats "cannot talk to the relay" as going offline (the sync engine) keeps doing so;
:data:`TLS_ERRORS` catches both.
"""

from __future__ import annotations

import os
import ssl
from typing import ClassVar

from furano_meet.errors import Fault, FuranoError

from .connection import RelayError

__all__ = [
    "TLS_ERRORS",
    "CaFile",
    "TlsCaFileUnusable",
    "TlsUntrusted",
    "client_context",
    "untrusted",
]

CaFile = str | os.PathLike[str]

# OpenSSL X509_V_ERR_* codes we explain; anything else reads as "not trusted".
_EXPIRED, _NOT_YET_VALID = 10, 9
_HOSTNAME_MISMATCH, _IP_ADDRESS_MISMATCH = 62, 64


class TlsUntrusted(RelayError, FuranoError):
    """The relay's certificate did not check out; ``reason`` says which check failed.

    Both bases: :class:`RelayError` so callers that catch relay failures still do (the sync
    engine goes offline and retries), :class:`~furano_meet.errors.FuranoError` for ``fault`` and
    ``next_step``. Unlike other relay errors its code is fixed.
    """

    code = "tls_untrusted"
    fault = Fault.ENVIRONMENT
    codes: ClassVar[frozenset[str]] = frozenset()  # a fixed code, not the relay's list

    UNKNOWN_ISSUER = "unknown_issuer"
    WRONG_HOST = "wrong_host"
    EXPIRED = "expired"

    def __init__(self, reason: str, message: str, next_step: str) -> None:
        RelayError.__init__(self, self.code, message)
        self.message = message
        self.next_step = next_step
        self.reason = reason


class TlsCaFileUnusable(RelayError, FuranoError):
    """The CA file given for a private certificate authority cannot be read or holds no CA."""

    code = "tls_ca_file_unusable"
    fault = Fault.USER
    codes: ClassVar[frozenset[str]] = frozenset()  # a fixed code, not the relay's list

    def __init__(self, ca_file: str, detail: str) -> None:
        message = f"The certificate authority file {ca_file} cannot be used ({detail})."
        RelayError.__init__(self, self.code, message)
        self.message = message
        self.next_step = (
            "Give the path of the council's CA certificate in PEM format (the file IT "
            "provides, usually ending in .pem or .crt)."
        )
        self.ca_file = ca_file


def client_context(ca_file: CaFile | None = None) -> ssl.SSLContext:
    """The TLS context for a ``wss://`` relay: the system's trust store, or only ``ca_file``.

    Certificate and host name are always checked. Raises :class:`TlsCaFileUnusable`.
    """
    if ca_file is None:
        return ssl.create_default_context()
    try:
        return ssl.create_default_context(cafile=os.fspath(ca_file))
    except FileNotFoundError:
        raise TlsCaFileUnusable(os.fspath(ca_file), "there is no such file") from None
    except (OSError, ssl.SSLError) as exc:  # unreadable; or not PEM, no certificate in it
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise TlsCaFileUnusable(os.fspath(ca_file), detail or type(exc).__name__) from None


def untrusted(url: str, exc: ssl.SSLCertVerificationError, ca_file: CaFile | None) -> TlsUntrusted:
    """Explain a failed certificate check of the relay at ``url`` in terms a user can act on."""
    code = exc.verify_code
    detail = exc.verify_message or str(exc)
    if code in (_HOSTNAME_MISMATCH, _IP_ADDRESS_MISMATCH):
        return TlsUntrusted(
            TlsUntrusted.WRONG_HOST,
            f"The relay at {url} presented a certificate made out for a different name ({detail}).",
            "Check the relay address; if it is right, ask IT for a certificate that "
            "includes that address.",
        )
    if code in (_EXPIRED, _NOT_YET_VALID):
        return TlsUntrusted(
            TlsUntrusted.EXPIRED,
            f"The relay at {url} presented a certificate that is not valid today ({detail}).",
            "Check this device's date and time; if they are right, ask IT to renew the "
            "relay's certificate.",
        )
    issuer = (
        f"the certificate authority in {os.fspath(ca_file)}"
        if ca_file is not None
        else "any certificate authority this computer trusts"
    )
    step = (
        "Check that the CA file is the one that issued the relay's certificate."
        if ca_file is not None
        else "If the council runs its own certificate authority, give its CA certificate with "
        "--ca-file (the CA file setting in the app); otherwise ask IT to check the relay's "
        "certificate."
    )
    return TlsUntrusted(
        TlsUntrusted.UNKNOWN_ISSUER,
        f"The relay at {url} presented a certificate that was not issued by {issuer} ({detail}).",
        step,
    )


TLS_ERRORS = (TlsUntrusted, TlsCaFileUnusable)
"""Both TLS errors, for an ``except`` that wants them apart from other relay failures."""
