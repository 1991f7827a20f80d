"""Client-side fixtures shared by the client-core benchmarks (crypto_transfer, open_render,
search): an in-memory keychain, the real budget book and a generated agenda pack."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors

from furano_meet.samples import generate_agenda_pack

SHARED_PDFS = Path(__file__).resolve().parents[1] / ".." / "shared" / "pdfs"
BUDGET_BOOK = SHARED_PDFS / "fuji__R6_bugget.pdf"
PACK_TITLE = "令和8年第4回定例会 議案書（資料編）"
MB = 1_000_000


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend that keeps secrets in a dict (as ``tests/conftest.py`` does).

    The benchmark machine has no keychain; without one :meth:`LocalStore.open` would ask for a
    passphrase.  ``secrets`` lets a spawned child process open a store created by its parent.
    """

    priority = 1

    def __init__(self, secrets: dict[tuple[str, str], str] | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring has no type hints
        self.secrets: dict[tuple[str, str], str] = dict(secrets or {})

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.secrets[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError("no such entry") from None


@contextlib.contextmanager
def memory_keyring(secrets: dict[tuple[str, str], str] | None = None) -> Iterator[MemoryKeyring]:
    """Install an in-memory keychain for the duration; the previous backend comes back after."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring(secrets)
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def budget_book() -> bytes | None:
    """The real 612-page budget book, or ``None`` when ``/work/shared/pdfs`` is absent."""
    try:
        return BUDGET_BOOK.read_bytes()
    except FileNotFoundError:
        return None


@functools.cache
def sample_pack(size: int) -> bytes:
    """A 12-page agenda pack padded with photo pages to ``size`` bytes (50 MB: ~3.5 s to build,
    so it is built once per process and shared by the benchmarks that need it)."""
    return generate_agenda_pack(title=PACK_TITLE, pages=12, padding_to_bytes=size)
