"""Recovery keeps what can be read - unsent changes above all - and says what to ask for.

Real SQLCipher caches, damaged page by page as a failing disk would, then recovered; the moved
files are compared byte for byte before and after.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.client_fixtures import MemoryKeyring
from furano_meet.store import (
    CacheDamaged,
    LocalStore,
    PassphraseRequired,
    recover_profile,
    recovery,
    wipe_profile,
)
from furano_meet.store.database import Database
from furano_meet.store.layout import ProfilePaths

from .conftest import (
    DEVICE,
    PROFILE,
    fill_cache,
    flip_bytes,
    leaf_pages,
    profile_dir,
    root_page,
    snapshot,
    stored_key,
)


def _damaged_folders(data_dir: Path) -> list[Path]:
    return sorted(profile_dir(data_dir).glob("damaged-*"))


def _damage_leaf(data_dir: Path, key: bytes, table: str, which: float = 0.5) -> None:
    database = profile_dir(data_dir) / "cache.db"
    leaves = leaf_pages(database, key, root_page(database, key, table))
    flip_bytes(database, leaves[int((len(leaves) - 1) * which)])


@pytest.mark.parametrize(
    ("table", "which"),
    [
        ("annotations", 0.0),
        ("annotations", 0.5),
        ("annotations", 1.0),
        ("page_text_rows", 0.5),
        ("documents", 0.0),
    ],
)
def test_flipped_bytes_lose_only_the_damaged_page_and_keep_every_unsent_change(
    data_dir: Path, memory_keyring: MemoryKeyring, table: str, which: float
) -> None:
    written = fill_cache(data_dir)
    key = stored_key(memory_keyring)
    _damage_leaf(data_dir, key, table, which)
    if table == "page_text_rows":  # read in full only after a crash or once a day...
        LocalStore.open(data_dir, PROFILE).close()  # ...but recovery's full check finds it
    else:
        with pytest.raises(CacheDamaged):
            LocalStore.open(data_dir, PROFILE)
    original = snapshot(profile_dir(data_dir))

    report = recover_profile(data_dir, PROFILE)

    assert report.damaged and report.identity_kept and report.ask_administrator is None
    assert "nothing; this device's enrolment survived" in report.text()
    (folder,) = _damaged_folders(data_dir)
    moved = snapshot(folder)
    assert moved["cache.db"] == original["cache.db"]  # moved aside, byte for byte
    with LocalStore.open(data_dir, PROFILE) as store:
        assert store.device() == DEVICE
        assert store.get_setting("private_keys:m1") == '{"7": "a2V5"}'
        assert store.meeting_key_at("m1", 1) == b"k" * 32
        unsent = store.peek(1000)
        assert [e.op_id for e in unsent] == sorted(k[4:] for k in written if k.startswith("out:"))
        assert all(e.payload == written[f"out:{e.op_id}"] for e in unsent)
        notes = {a.annotation_id: a.payload for a in store.annotations("d1", 1)}
        assert all(written[note] == payload for note, payload in notes.items())
        lost = 300 - len(notes)
        assert lost == (0 if table != "annotations" else report.table("annotations").lost)  # type: ignore[union-attr]
        assert lost <= 3  # one page's worth: about two 1,500-byte notes
        assert store.sync_cursor("m1", "ops") is None  # everything is fetched again
    assert snapshot(folder) == moved  # opening the new cache never touched the old files


def test_a_damaged_outbox_page_loses_only_its_own_changes(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    written = fill_cache(data_dir)
    _damage_leaf(data_dir, stored_key(memory_keyring), "outbox", 0.5)
    report = recover_profile(data_dir, PROFILE)
    unsent = report.table("outbox")
    assert unsent is not None and unsent.lost > 0
    assert unsent.kept + unsent.lost == 40
    with LocalStore.open(data_dir, PROFILE) as store:
        kept = store.peek(1000)
        assert len(kept) == unsent.kept
        assert [e.op_id for e in kept] == sorted(e.op_id for e in kept)  # order kept
        assert all(e.payload == written[f"out:{e.op_id}"] for e in kept)
        assert store.outbox_size() > 30
    assert f"unsent changes: at least {unsent.lost}" in report.text()


def test_an_empty_database_loses_the_identity_and_says_to_ask_for_an_invitation(
    data_dir: Path,
) -> None:
    fill_cache(data_dir, notes=5, unsent=3)
    database = profile_dir(data_dir) / "cache.db"
    database.write_bytes(b"")

    report = recover_profile(data_dir, PROFILE)

    assert report.damaged and not report.identity_kept
    assert report.ask_administrator is not None
    assert "a new invitation" in report.ask_administrator
    text = report.text()
    assert "What to ask the administrator for: a new invitation for this device" in text
    assert "the file is empty" in text and "do not wipe" in text
    (folder,) = _damaged_folders(data_dir)
    assert (folder / "cache.db").read_bytes() == b""  # the original, moved aside
    assert (folder / "keysource.json").exists() and (folder / recovery.REPORT_NAME).exists()
    assert (folder / recovery.REPORT_NAME).read_text(encoding="utf-8") == text
    with LocalStore.open(data_dir, PROFILE) as store:  # a working, empty cache to enrol into
        assert store.device() is None and store.outbox_size() == 0


def test_recovery_is_idempotent_and_never_touches_the_moved_files(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    fill_cache(data_dir)
    _damage_leaf(data_dir, stored_key(memory_keyring), "annotations")
    first = recover_profile(data_dir, PROFILE)
    (folder,) = _damaged_folders(data_dir)
    moved = snapshot(folder)
    with LocalStore.open(data_dir, PROFILE) as store:
        outbox = store.peek(1000)

    again = recover_profile(data_dir, PROFILE)

    assert first.damaged and not again.damaged
    assert "not damaged; nothing to do" in again.text()
    assert _damaged_folders(data_dir) == [folder] and snapshot(folder) == moved
    with LocalStore.open(data_dir, PROFILE) as store:
        assert store.peek(1000) == outbox


def test_a_recovery_interrupted_after_moving_the_files_is_finished_by_the_next_run(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    written = fill_cache(data_dir)
    _damage_leaf(data_dir, stored_key(memory_keyring), "annotations")
    paths = ProfilePaths.for_profile(data_dir, PROFILE)
    folder = recovery._new_folder(paths, "test: the power failed here")  # step 2 begins...
    recovery._move_aside(paths, folder)  # ...and ends, then a crash
    with pytest.raises(CacheDamaged, match="missing"):  # meanwhile: refused, not recreated
        LocalStore.open(data_dir, PROFILE)
    (paths.root / "cache.db.recovering").write_bytes(b"half")  # a crashed run's half-built cache

    report = recover_profile(data_dir, PROFILE)

    assert report.moved_to == str(folder) and report.identity_kept
    assert _damaged_folders(data_dir) == [folder]
    with LocalStore.open(data_dir, PROFILE) as store:
        assert store.outbox_size() == sum(k.startswith("out:") for k in written)


def test_a_recovery_interrupted_before_moving_the_files_moves_them_next_time(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    fill_cache(data_dir)
    _damage_leaf(data_dir, stored_key(memory_keyring), "annotations")
    paths = ProfilePaths.for_profile(data_dir, PROFILE)
    original = paths.database.read_bytes()
    folder = recovery._new_folder(paths, "test: the power failed here")  # then a crash

    report = recover_profile(data_dir, PROFILE)

    assert report.moved_to == str(folder) and report.identity_kept
    assert (folder / "cache.db").read_bytes() == original
    unsent = report.table("outbox")
    assert unsent is not None and unsent.kept == 40


def test_unsent_changes_the_new_cache_refuses_are_exported_encrypted_and_replayed(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    """An outbox row the new schema refuses (here: a text payload an older, non-STRICT cache
    could hold) is not lost: it goes to an encrypted file and back into the outbox later."""
    fill_cache(data_dir, notes=10, unsent=2)
    key = stored_key(memory_keyring)
    db = Database.open(profile_dir(data_dir) / "cache.db", key)
    db.execute("ALTER TABLE outbox RENAME TO outbox_strict")
    db.execute(
        "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, op_id TEXT NOT NULL UNIQUE, "
        "kind TEXT NOT NULL, meeting_id TEXT, payload, created_at INTEGER NOT NULL)"
    )
    db.execute("INSERT INTO outbox SELECT * FROM outbox_strict")
    db.execute(
        "INSERT INTO outbox (op_id, kind, meeting_id, payload, created_at) "
        "VALUES ('old-op', 'op', 'm1', '議事メモ：予算の根拠', 0)"
    )
    db.close()
    (profile_dir(data_dir) / "cache.db").write_bytes(
        (profile_dir(data_dir) / "cache.db").read_bytes()[:-100]  # and then it is cut short
    )

    report = recover_profile(data_dir, PROFILE)

    assert report.exported == 1 and report.export_file is not None
    exported = Path(report.export_file)
    assert exported.parent == profile_dir(data_dir)
    assert "議事メモ".encode() not in exported.read_bytes()  # encrypted like the rest
    assert "could not be put into the new cache" in report.text()

    replayed = recover_profile(data_dir, PROFILE)
    assert not replayed.damaged and replayed.replayed == 1
    assert "put back in the outbox" in replayed.text()
    with LocalStore.open(data_dir, PROFILE) as store:
        (entry,) = [e for e in store.peek(100) if e.op_id == "old-op"]
        assert entry.payload == "議事メモ：予算の根拠".encode()
    assert not exported.exists() and Path(f"{exported}.replayed").exists()
    assert recover_profile(data_dir, PROFILE).replayed == 0


def test_a_passphrase_protected_cache_needs_its_passphrase(
    data_dir: Path, fail_keyring: None
) -> None:
    with LocalStore.open(data_dir, PROFILE, passphrase="ふらの議会 2025 春") as store:
        store.enqueue("op1", "op", b"unsent", meeting_id=None)
    (profile_dir(data_dir) / "cache.db").write_bytes(b"")
    with pytest.raises(PassphraseRequired):
        recover_profile(data_dir, PROFILE)
    assert _damaged_folders(data_dir) == []  # nothing moved without the key
    report = recover_profile(data_dir, PROFILE, "ふらの議会 2025 春")
    assert report.damaged and not report.identity_kept
    LocalStore.open(data_dir, PROFILE, passphrase="ふらの議会 2025 春").close()


def test_a_wipe_after_recovery_leaves_nothing_behind(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    """Recovery never deletes the damaged files; a wipe (the user's decision) removes them."""
    fill_cache(data_dir, notes=10, unsent=2)
    (profile_dir(data_dir) / "cache.db").write_bytes(b"")
    recover_profile(data_dir, PROFILE)
    (profile_dir(data_dir) / "unsent-changes-20260101T000000000000Z.export.replayed").write_bytes(
        b"sealed"
    )
    assert _damaged_folders(data_dir)
    assert wipe_profile(data_dir, PROFILE) == []
    assert not data_dir.joinpath("profiles").exists()


def test_several_damaged_pages_at_once(data_dir: Path, memory_keyring: MemoryKeyring) -> None:
    """A failing disk rarely stops at one page: two leaves of notes, one of the outbox."""
    written = fill_cache(data_dir)
    key = stored_key(memory_keyring)
    for table, which in (("annotations", 0.2), ("annotations", 0.8), ("outbox", 0.0)):
        _damage_leaf(data_dir, key, table, which)

    report = recover_profile(data_dir, PROFILE)

    notes, unsent = report.table("annotations"), report.table("outbox")
    assert notes is not None and unsent is not None and report.identity_kept
    assert 0 < notes.lost <= 6 and notes.kept + notes.lost == 300
    assert 0 < unsent.lost <= 6 and unsent.kept + unsent.lost == 40
    with LocalStore.open(data_dir, PROFILE) as store:
        kept = {a.annotation_id: a.payload for a in store.annotations("d1", 1)}
        assert len(kept) == notes.kept and all(written[k] == v for k, v in kept.items())
        assert [e.op_id for e in store.peek(100)][-1] == "op039"  # the tail past the damage
