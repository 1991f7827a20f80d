"""Which web addresses a document may offer: ``http``/``https`` to a named host, nothing else.

A PDF's link can hold any action: a ``/URI`` (which may be ``javascript:``, ``file:``, a mail
or any scheme a desktop hands to some program), a Launch (start a program), JavaScript, an
embedded file, another document. Only a plain web address is ever offered to the reader, and
only after a confirmation that shows where it really goes (the app's
:mod:`furano_meet.app.external_links`). :func:`web_address` is the one rule, used where the
link is read (the render process, :meth:`~.pages.OpenDocument.web_links`) and again just
before the app hands the address to the desktop.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["MAX_URL", "web_address"]

MAX_URL = 2048
"""Longer addresses are not offered (no reader checks a page of characters)."""


def web_address(uri: str) -> str | None:
    """``uri`` as an address to offer (scheme in lower case), or ``None`` when it is not a
    plain ``http``/``https`` address: another scheme, no host, a user name or password before
    the host (``https://city.example@evil.example/`` goes to evil.example), spaces or control
    characters, a bad port, or more than :data:`MAX_URL` characters."""
    if not uri or len(uri) > MAX_URL or any(ch.isspace() or not ch.isprintable() for ch in uri):
        return None
    try:
        parts = urlsplit(uri)
        _port = parts.port  # a bad port raises ValueError
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if "@" in parts.netloc:
        return None
    return urlunsplit(parts._replace(scheme=parts.scheme.lower()))
