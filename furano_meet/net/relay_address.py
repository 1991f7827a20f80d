"""What a person types as the relay's address, made into the address the connection opens.

The clerk's office hands councillors the relay's host as they would say it —
``meet.example.jp`` — and a first run that asked for ``wss://meet.example.jp`` turned that
into a connection error in English. :func:`relay_url` takes what was typed (or came in an
invitation link) and returns a ``wss://`` or ``ws://`` URL, or raises
:class:`RelayAddressInvalid` whose code the app words plainly.

The rules:

* No scheme: ``wss://`` (TLS) is added — except for a loopback host (``localhost``,
  ``127.0.0.1``, ``::1``), where ``ws://`` is: a relay on this very machine is a test or a
  demonstration, and no other machine's traffic passes.
* ``https://`` becomes ``wss://`` (the same TLS, an address copied from a browser).
* ``http://`` to a loopback host becomes ``ws://``; to any other host it is refused
  (:class:`RelayAddressUnencrypted`), never turned into an unencrypted connection silently.
  An explicit ``ws://`` is kept as it is: someone chose it (an invitation link made by the
  administrator, a deliberate setting), as the command line has always allowed.
* Anything else — another scheme, spaces, no host, a bad port — is refused.
* Full-width characters typed through a Japanese input method (``ｍｅｅｔ．ｅｘａｍｐｌｅ．ｊｐ``,
  ``meet。example。jp``) are read as the ASCII they stand for.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from furano_meet.errors import Fault, FuranoError

__all__ = ["RelayAddressInvalid", "RelayAddressUnencrypted", "relay_url"]

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?)+$|^\[?[0-9A-Fa-f:.]+\]?$")
_TLS = {"wss": "wss", "https": "wss"}
_PLAIN = {"ws": "ws", "http": "ws"}


class RelayAddressInvalid(FuranoError):
    """What was typed is not a relay's address (a typo, another kind of address)."""

    code = "relay_address_invalid"
    fault = Fault.USER

    def __init__(self, typed: str) -> None:
        super().__init__(
            f"{typed!r} is not a relay address.",
            "Type the address the clerk's office gave, e.g. meet.example.jp.",
        )


class RelayAddressUnencrypted(FuranoError):
    """An ``http://`` address to another machine: the app will not connect unencrypted."""

    code = "relay_address_unencrypted"
    fault = Fault.USER

    def __init__(self, typed: str) -> None:
        super().__init__(
            f"{typed!r} asks for an unencrypted connection to another machine.",
            "Type the address without http:// (the app then uses an encrypted connection).",
        )


def relay_url(typed: str) -> str:
    """The ``wss://`` / ``ws://`` URL for what was typed (see the module docstring)."""
    text = unicodedata.normalize("NFKC", typed).replace("。", ".").strip()
    if not text or any(ch.isspace() for ch in text):
        raise RelayAddressInvalid(typed)
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    scheme = scheme.lower()
    try:
        parts = urlsplit(f"//{rest}")
        host, _port = parts.hostname or "", parts.port  # a bad port raises ValueError
    except ValueError:
        raise RelayAddressInvalid(typed) from None
    if not host or not _HOST.match(host) or parts.username or parts.password:
        raise RelayAddressInvalid(typed)
    loopback = host.lower() in LOOPBACK
    if scheme == "":
        scheme = "ws" if loopback else "wss"
    elif scheme in _TLS:
        scheme = _TLS[scheme]
    elif scheme == "http" and not loopback:
        raise RelayAddressUnencrypted(typed)
    elif scheme in _PLAIN:
        scheme = _PLAIN[scheme]
    else:
        raise RelayAddressInvalid(typed)
    return f"{scheme}://{rest}"
