"""Fixtures for the store tests: an in-memory keychain, small file systems, file snapshots and a
SQLCipher page decryptor to look inside the database the way an attacker with the key could."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bench.client_fixtures import MemoryKeyring
from furano_meet.store import Annotation, DeviceIdentity, DocumentInfo, LocalStore, Visibility
from furano_meet.store.database import Database
from furano_meet.store.keysource import KEYRING_SERVICE
from tests.conftest import keyring_backend

PROFILE = "council-member-1"
T0 = datetime(2025, 6, 10, 1, 0, tzinfo=UTC)


@pytest.fixture
def fail_keyring() -> None:
    """The headless/CI situation: keyring's fail backend, which refuses to store anything."""
    import keyring.backends.fail

    keyring.set_keyring(keyring_backend(keyring.backends.fail.Keyring))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Iterator[LocalStore]:
    with LocalStore.open(data_dir, PROFILE) as opened:
        yield opened


def stored_key(backend: MemoryKeyring, profile_id: str = PROFILE) -> bytes:
    return bytes.fromhex(backend.secrets[(KEYRING_SERVICE, profile_id)])


def profile_dir(data_dir: Path, profile_id: str = PROFILE) -> Path:
    return data_dir / "profiles" / profile_id


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes, to prove an error path changed nothing."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def add_meeting_with_document(
    store: LocalStore,
    meeting_id: str = "m1",
    doc_id: str = "d1",
    *,
    title: str = "令和7年第2回定例会",
    doc_title: str = "一般会計補正予算書",
) -> None:
    store.upsert_meeting(meeting_id, title=title, starts_at=T0)
    store.upsert_document(
        DocumentInfo(
            meeting_id=meeting_id,
            doc_id=doc_id,
            version=1,
            title=doc_title,
            manifest=b"sealed-manifest",
            agenda_item="議案第1号",
        )
    )


# -- SQLCipher pages -------------------------------------------------------------------------------

_PAGE = 4096
_RESERVE = 80  # SQLCipher 4 defaults: 16-byte IV + 64-byte HMAC-SHA512 at the end of every page


def decrypted_pages(database: Path, key: bytes) -> bytes:
    """Decrypt every page of a SQLCipher 4 file (raw key, default settings), free pages included.

    This is what someone holding the key sees, including deleted-but-not-overwritten data.
    """
    raw = database.read_bytes()
    out = bytearray()
    for number, start in enumerate(range(0, len(raw), _PAGE), start=1):
        page = raw[start : start + _PAGE]
        if len(page) < _PAGE:
            break
        body_start = 16 if number == 1 else 0  # page 1 begins with the plaintext salt
        iv = page[_PAGE - _RESERVE : _PAGE - _RESERVE + 16]
        decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        out += decryptor.update(page[body_start : _PAGE - _RESERVE]) + decryptor.finalize()
    return bytes(out)


# -- small and read-only file systems -----------------------------------------------------------


def _is_root() -> bool:
    geteuid: Callable[[], int] | None = getattr(os, "geteuid", None)
    return geteuid is not None and geteuid() == 0


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    """Mount a tmpfs of the given size in KiB (root only; skips otherwise) and unmount it after."""
    mounted: list[Path] = []

    def mount(size_kib: int) -> Path:
        if not _is_root():
            pytest.skip("mounting a small tmpfs needs root; the portable variant covers this case")
        target = tmp_path / f"tmpfs{len(mounted)}"
        target.mkdir()
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0700", "tmpfs", str(target)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
        mounted.append(target)
        return target

    yield mount
    for target in reversed(mounted):
        subprocess.run(["mount", "-o", "remount,rw", str(target)], capture_output=True, check=False)
        subprocess.run(["umount", str(target)], capture_output=True, check=False)


def remount(target: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(target)], check=True)


def fill_up(folder: Path) -> Path:
    """Write a ballast file until the file system is full; return it (delete it to free space)."""
    ballast = folder / "ballast"
    chunk = b"\0" * 4096
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, chunk)
    finally:
        os.close(fd)
    return ballast


def decrypt_page(database: Path, key: bytes, number: int) -> bytes:
    """One decrypted page (2 and up) with SQLite's own offsets; the reserve is left as zeros."""
    with database.open("rb") as handle:
        handle.seek((number - 1) * _PAGE)
        page = handle.read(_PAGE)
    iv = page[_PAGE - _RESERVE : _PAGE - _RESERVE + 16]
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(page[: _PAGE - _RESERVE]) + decryptor.finalize()


def leaf_pages(database: Path, key: bytes, root: int) -> list[int]:
    """The leaf pages of the b-tree rooted at page ``root`` (> 1), left to right.

    Why: to damage exactly one table's rows in a test, as a failing disk would. Interior pages
    (type 2 or 5) hold a 4-byte child number at the start of every cell and a right-most child at
    offset 8; leaves are type 10 or 13.
    """
    page = decrypt_page(database, key, root)
    if page[0] in (10, 13):
        return [root]
    cells = int.from_bytes(page[3:5], "big")
    children = [
        int.from_bytes(page[ptr : ptr + 4], "big")
        for ptr in (int.from_bytes(page[12 + 2 * i : 14 + 2 * i], "big") for i in range(cells))
    ]
    children.append(int.from_bytes(page[8:12], "big"))
    return [leaf for child in children for leaf in leaf_pages(database, key, child)]


def root_page(database: Path, key: bytes, name: str) -> int:
    """The root page of a table or index, read through SQLCipher (the file must be closed).

    A writable connection, so that closing it removes the WAL and shared-memory files again."""
    db = Database.open(database, key)
    try:
        return int(db.query_value("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)))
    finally:
        db.close()


def flip_bytes(database: Path, page: int, offset: int = 1000, count: int = 16) -> None:
    """Flip ``count`` bytes inside page ``page`` (1-based), as a failing disk would."""
    with database.open("r+b") as handle:
        handle.seek((page - 1) * _PAGE + offset)
        data = handle.read(count)
        handle.seek((page - 1) * _PAGE + offset)
        handle.write(bytes(b ^ 0xFF for b in data))


# -- a cache worth recovering ---------------------------------------------------------------------

DEVICE = DeviceIdentity(
    device_id="dev-giin1-tablet",
    relay_url="wss://relay.example",
    private_keys=b"device-private-keys" * 4,
    device_token="token-giin1",
)


def fill_cache(data_dir: Path, *, notes: int = 300, unsent: int = 40) -> dict[str, bytes]:
    """A cache as a councillor's tablet holds it: enrolment, a meeting with a document and its
    search text, ``notes`` annotations of 1,500 bytes (about two per page, so a damaged page
    costs a couple of them) and ``unsent`` changes of 700 bytes in the outbox. Returns the note
    payloads by id and the unsent payloads by op id (``out:`` prefix)."""
    written: dict[str, bytes] = {}
    with LocalStore.open(data_dir, PROFILE) as store:
        store.save_device(DEVICE)
        store.set_setting("user_id", "giin1")
        store.set_setting("private_keys:m1", '{"7": "a2V5"}')
        add_meeting_with_document(store)
        store.set_meeting_key("m1", b"k" * 32, 1)
        store.index_pages("d1", 1, [(n, f"第{n}頁 一般会計補正予算 " * 80) for n in range(12)])
        with store.atomic():
            for i in range(notes):
                payload = os.urandom(1500)
                store.put_annotation(
                    Annotation(
                        annotation_id=f"a{i:04}",
                        meeting_id="m1",
                        doc_id="d1",
                        version=1,
                        page_no=i % 12,
                        visibility=Visibility.PRIVATE,
                        author="giin1",
                        payload=payload,
                        created_at=T0,
                        updated_at=T0,
                    )
                )
                written[f"a{i:04}"] = payload
        for i in range(unsent):
            payload = f"変更 {i} ".encode() + os.urandom(700)
            store.enqueue(f"op{i:03}", "op", payload, meeting_id="m1")
            written[f"out:op{i:03}"] = payload
    return written
