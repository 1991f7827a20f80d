"""LocalStore end to end on real SQLCipher files and the real keyring API."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.errors
import pytest

from bench.client_fixtures import MemoryKeyring
from furano_meet.store import (
    Annotation,
    BlobHashMismatch,
    DatabaseCorrupt,
    DeviceIdentity,
    DocumentInfo,
    DocumentNotDownloading,
    DocumentState,
    KeyMismatch,
    KeySource,
    KeySourceMissing,
    KeyUnavailable,
    LocalStore,
    OutboxConflict,
    PassphraseRequired,
    ProfileMismatch,
    ReadOnlyLocation,
    ResumeOffsetMismatch,
    StorageFull,
    StoreBug,
    StoreClosed,
    UnknownDocument,
    UnknownMeeting,
    Visibility,
    WrongPassphrase,
    wipe_profile,
)
from furano_meet.store.keysource import KEYRING_SERVICE
from tests.conftest import keyring_backend

from .conftest import (
    PROFILE,
    T0,
    add_meeting_with_document,
    decrypted_pages,
    fill_up,
    profile_dir,
    remount,
    snapshot,
    stored_key,
)

SECRET_TEXT = "富良野市議会秘密会議メモ"  # stored as a meeting title, page text and annotation


def annotation(
    annotation_id: str = "a1",
    *,
    meeting_id: str = "m1",
    doc_id: str = "d1",
    page_no: int = 0,
    payload: bytes = b'{"ink": []}',
    server_seq: int | None = None,
    updated_at: datetime = T0,
) -> Annotation:
    return Annotation(
        annotation_id=annotation_id,
        meeting_id=meeting_id,
        doc_id=doc_id,
        version=1,
        page_no=page_no,
        visibility=Visibility.PRIVATE,
        author="member-1",
        payload=payload,
        created_at=T0,
        updated_at=updated_at,
        server_seq=server_seq,
    )


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# == opening and keys ==============================================================================


def test_new_store_keeps_a_random_key_in_the_keychain(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    with LocalStore.open(data_dir, PROFILE) as store:
        assert store.key_source is KeySource.KEYCHAIN
        assert store.directory == profile_dir(data_dir)
        store.set_setting("lang", "ja")
    key = stored_key(memory_keyring)
    assert len(key) == 32
    assert list(memory_keyring.secrets) == [(KEYRING_SERVICE, PROFILE)]
    record = json.loads((profile_dir(data_dir) / "keysource.json").read_text())
    assert record["source"] == "keychain" and "kdf" not in record
    for content in snapshot(profile_dir(data_dir)).values():
        assert key not in content and key.hex().encode() not in content
    database = profile_dir(data_dir) / "cache.db"
    assert database.stat().st_mode & 0o777 == 0o600
    plain = sqlite3.connect(database)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
            plain.execute("SELECT count(*) FROM sqlite_master").fetchall()
    finally:
        plain.close()
    with LocalStore.open(data_dir, PROFILE) as store:
        assert store.get_setting("lang") == "ja"


def test_without_a_keychain_the_store_asks_for_a_passphrase_before_creating_anything(
    data_dir: Path, fail_keyring: None
) -> None:
    with pytest.raises(PassphraseRequired) as caught:
        LocalStore.open(data_dir, PROFILE)
    assert caught.value.code == "passphrase_required"
    assert caught.value.new_store
    assert "keychain" in caught.value.reason and "fail" in caught.value.reason
    assert not data_dir.exists()


def test_passphrase_store_round_trip(data_dir: Path, fail_keyring: None) -> None:
    with LocalStore.open(data_dir, PROFILE, passphrase="ふらの議会2025年度") as store:
        assert store.key_source is KeySource.PASSPHRASE
        store.set_setting("lang", "ja")
    record = json.loads((profile_dir(data_dir) / "keysource.json").read_text())
    assert record["source"] == "passphrase"
    assert record["kdf"]["name"] == "scrypt" and record["kdf"]["n"] >= 2**17
    assert len(bytes.fromhex(record["kdf"]["salt"])) == 16

    with pytest.raises(PassphraseRequired) as caught:
        LocalStore.open(data_dir, PROFILE)
    assert not caught.value.new_store
    assert "created" in caught.value.reason

    before = snapshot(profile_dir(data_dir))
    with pytest.raises(WrongPassphrase) as wrong:
        LocalStore.open(data_dir, PROFILE, passphrase="ふらの議会2024年度")
    assert wrong.value.code == "wrong_passphrase"
    assert "passphrase does not unlock" in str(wrong.value)
    assert snapshot(profile_dir(data_dir)) == before

    # Full-width digits typed through an IME open the same store.
    with LocalStore.open(data_dir, PROFILE, passphrase="ふらの議会２０２５年度") as store:
        assert store.get_setting("lang") == "ja"


def test_keychain_that_refuses_to_store_falls_back_to_a_passphrase(data_dir: Path) -> None:
    class LockedKeyring(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise keyring.errors.KeyringLocked("the login keyring is locked")

    keyring.set_keyring(LockedKeyring())
    with pytest.raises(PassphraseRequired) as caught:
        LocalStore.open(data_dir, PROFILE)
    assert caught.value.new_store
    assert "refused" in caught.value.reason and "locked" in caught.value.reason
    assert snapshot(data_dir) == {}
    with LocalStore.open(data_dir, PROFILE, passphrase="locked keyring, typed instead") as store:
        assert store.key_source is KeySource.PASSPHRASE


def test_explicit_passphrase_selects_passphrase_protection(
    data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    with LocalStore.open(data_dir, PROFILE, passphrase="policy says a passphrase") as store:
        assert store.key_source is KeySource.PASSPHRASE
    assert memory_keyring.secrets == {}


def test_keychain_store_ignores_a_passphrase(data_dir: Path) -> None:
    LocalStore.open(data_dir, PROFILE).close()
    with LocalStore.open(data_dir, PROFILE, passphrase="whatever") as store:
        assert store.key_source is KeySource.KEYCHAIN


def test_missing_keychain_entry(data_dir: Path, memory_keyring: MemoryKeyring) -> None:
    LocalStore.open(data_dir, PROFILE).close()
    memory_keyring.secrets.clear()
    before = snapshot(profile_dir(data_dir))
    with pytest.raises(KeyUnavailable) as caught:
        LocalStore.open(data_dir, PROFILE)
    assert caught.value.code == "key_unavailable"
    assert PROFILE in caught.value.message
    assert snapshot(profile_dir(data_dir)) == before


def test_replaced_keychain_entry(data_dir: Path, memory_keyring: MemoryKeyring) -> None:
    LocalStore.open(data_dir, PROFILE).close()
    memory_keyring.secrets[(KEYRING_SERVICE, PROFILE)] = "ab" * 32
    before = snapshot(profile_dir(data_dir))
    with pytest.raises(KeyMismatch):
        LocalStore.open(data_dir, PROFILE)
    assert snapshot(profile_dir(data_dir)) == before


def test_keychain_that_disappeared(data_dir: Path) -> None:
    LocalStore.open(data_dir, PROFILE).close()
    keyring.set_keyring(keyring_backend(keyring.backends.fail.Keyring))
    before = snapshot(profile_dir(data_dir))
    with pytest.raises(KeyUnavailable) as caught:
        LocalStore.open(data_dir, PROFILE)
    assert "keychain" in caught.value.message
    assert snapshot(profile_dir(data_dir)) == before


def test_missing_key_description(data_dir: Path) -> None:
    LocalStore.open(data_dir, PROFILE).close()
    (profile_dir(data_dir) / "keysource.json").unlink()
    before = snapshot(profile_dir(data_dir))
    with pytest.raises(KeySourceMissing):
        LocalStore.open(data_dir, PROFILE)
    assert snapshot(profile_dir(data_dir)) == before


def test_folder_of_another_profile(data_dir: Path, fail_keyring: None) -> None:
    LocalStore.open(data_dir, "alice", passphrase="alice in Furano").close()
    shutil.move(profile_dir(data_dir, "alice"), profile_dir(data_dir, "bob"))
    with pytest.raises(ProfileMismatch):
        LocalStore.open(data_dir, "bob", passphrase="alice in Furano")


def _fill_with_annotations(store: LocalStore, count: int) -> None:
    add_meeting_with_document(store)
    with store.atomic():
        for i in range(count):
            store.put_annotation(annotation(f"a{i:04}", payload=os.urandom(1500)))


def test_corrupted_page_in_the_middle(data_dir: Path) -> None:
    with LocalStore.open(data_dir, PROFILE) as store:
        _fill_with_annotations(store, 400)
    database = profile_dir(data_dir) / "cache.db"
    pages = database.stat().st_size // 4096
    with database.open("r+b") as handle:
        handle.seek((pages // 2) * 4096)
        handle.write(os.urandom(4096))
    before = snapshot(profile_dir(data_dir))

    # The start-up check reads every page of the annotations table, so opening notices it.
    with pytest.raises(DatabaseCorrupt) as caught:
        LocalStore.open(data_dir, PROFILE)
    assert caught.value.code == "cache_damaged"
    assert "untouched" in caught.value.next_step
    assert "furano-meet recover" in caught.value.next_step
    assert snapshot(profile_dir(data_dir)) == before


def test_corrupted_first_page_is_not_mistaken_for_a_wrong_key(data_dir: Path) -> None:
    LocalStore.open(data_dir, PROFILE).close()
    database = profile_dir(data_dir) / "cache.db"
    with database.open("r+b") as handle:
        handle.seek(200)
        handle.write(b"\xff" * 100)
    before = snapshot(profile_dir(data_dir))
    with pytest.raises(DatabaseCorrupt) as caught:
        LocalStore.open(data_dir, PROFILE)
    assert "SQLITE_NOTADB" in caught.value.message
    assert snapshot(profile_dir(data_dir)) == before


@pytest.mark.skipif(
    getattr(os, "geteuid", lambda: -1)() == 0,
    reason="root ignores folder permissions; the read-only tmpfs test covers root",
)
def test_read_only_folder_by_permissions(data_dir: Path) -> None:
    LocalStore.open(data_dir, PROFILE).close()
    folder = profile_dir(data_dir)
    before = snapshot(folder)
    folder.chmod(0o500)
    try:
        with pytest.raises(ReadOnlyLocation) as caught:
            LocalStore.open(data_dir, PROFILE)
        assert caught.value.code == "read_only"
    finally:
        folder.chmod(0o700)
    assert snapshot(folder) == before


def test_read_only_file_system(tmpfs: Callable[[int], Path]) -> None:
    mount = tmpfs(4096)
    with LocalStore.open(mount, PROFILE) as store:
        store.set_setting("lang", "ja")
    before = snapshot(mount)
    remount(mount, "ro")
    with pytest.raises(ReadOnlyLocation) as caught:
        LocalStore.open(mount, PROFILE)
    assert str(profile_dir(mount)) in caught.value.message
    with pytest.raises(ReadOnlyLocation):
        LocalStore.open(mount, "someone-new")
    remount(mount, "rw")
    assert snapshot(mount) == before


def test_disk_full_portable(store: LocalStore) -> None:
    """SQLITE_FULL without a small disk: cap the database's page count (a test-only lever)."""
    add_meeting_with_document(store)
    store.put_annotation(annotation("kept"))
    pages = int(store._db.query_value("PRAGMA page_count"))
    store._db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StorageFull) as caught, store.atomic():
        store.enqueue("op-1", "annotation.put", b"x")
        for i in range(100):
            store.put_annotation(annotation(f"big{i}", payload=os.urandom(4000)))
    assert caught.value.code == "disk_full"
    assert "Free some disk space" in str(caught.value)
    assert store.outbox_size() == 0  # all or nothing
    assert [a.annotation_id for a in store.annotations("d1", 1)] == ["kept"]
    store._db.execute(f"PRAGMA max_page_count = {pages + 10_000}")
    store.enqueue("op-1", "annotation.put", b"x")
    assert store.outbox_size() == 1


def test_disk_full_on_a_small_file_system(tmpfs: Callable[[int], Path]) -> None:
    mount = tmpfs(1024)
    with LocalStore.open(mount, PROFILE) as store:
        add_meeting_with_document(store)
        store.put_annotation(annotation("kept"))
        store.append_partial("d1", 1, 0, b"c" * 1000)
        ballast = fill_up(mount)
        with pytest.raises(StorageFull):
            for i in range(200):
                store.put_annotation(annotation(f"big{i}", payload=os.urandom(4000)))
        with pytest.raises(StorageFull):
            store.append_partial("d1", 1, 1000, os.urandom(100_000))
        assert store.resume_offset("d1", 1) == 1000
        assert store.annotation("kept") is not None
        ballast.unlink()
        store.put_annotation(annotation("after"))
        assert store.append_partial("d1", 1, 1000, b"d" * 10) == 1010
    with LocalStore.open(mount, PROFILE) as store:
        assert {"kept", "after"} <= {a.annotation_id for a in store.annotations("d1", 1)}


def test_closed_store_refuses_use(store: LocalStore) -> None:
    store.close()
    store.close()
    assert store.closed
    with pytest.raises(StoreClosed):
        store.get_setting("x")


# == contents ======================================================================================


def test_settings(store: LocalStore) -> None:
    assert store.get_setting("lang") is None
    store.set_setting("lang", "ja")
    store.set_setting("zoom", "1.5")
    store.set_setting("lang", "en")
    assert store.settings() == {"lang": "en", "zoom": "1.5"}
    store.set_setting("zoom", None)
    assert store.settings() == {"lang": "en"}


def test_device_identity(store: LocalStore) -> None:
    assert store.device() is None
    with pytest.raises(StoreBug):
        store.set_device_token("t")
    device = DeviceIdentity(
        device_id="dev-1",
        relay_url="wss://relay.example/",
        private_keys=b"\x01private",
        device_token="token-secret",
    )
    store.save_device(device)
    assert store.device() == device
    assert "token-secret" not in repr(device) and "private" not in repr(device)
    store.set_device_token("token-2")
    again = store.device()
    assert again is not None and again.device_token == "token-2"
    assert again.private_keys == b"\x01private"


def test_meetings_and_key_epochs(store: LocalStore) -> None:
    store.upsert_meeting("m1", title="定例会", starts_at=T0, expires_at=T0 + timedelta(days=30))
    meeting = store.meeting("m1")
    assert meeting is not None
    assert meeting.title == "定例会" and meeting.starts_at == T0
    assert meeting.meeting_key is None and not meeting.has_key and meeting.key_epoch == 0
    assert store.set_meeting_key("m1", b"k0" * 16, 0)  # the first key
    assert not store.set_meeting_key("m1", b"kX" * 16, 0)  # same epoch again: ignored
    assert store.set_meeting_key("m1", b"k2" * 16, 2)
    assert store.set_meeting_key("m1", b"k1" * 16, 1)  # an older epoch: kept for older documents
    assert not store.set_meeting_key("m1", b"k1" * 16, 1)  # the same again: nothing new
    meeting = store.meeting("m1")
    assert meeting is not None and meeting.meeting_key == b"k2" * 16 and meeting.key_epoch == 2
    assert store.meeting_key_at("m1", 1) == b"k1" * 16 and store.meeting_key_at("m1", 5) is None
    assert [e for e, _ in store.meeting_key_epochs("m1")] == [0, 1, 2]
    assert "k2" not in repr(meeting)
    store.upsert_meeting("m1", title="定例会（改）", starts_at=T0)
    meeting = store.meeting("m1")
    assert meeting is not None and meeting.title == "定例会（改）" and meeting.has_key
    with pytest.raises(UnknownMeeting):
        store.set_meeting_key("nope", b"k", 1)
    with pytest.raises(ValueError):
        store.upsert_meeting("m2", title="naive", starts_at=datetime(2025, 1, 1))  # noqa: DTZ001


def test_expired_meetings(store: LocalStore) -> None:
    store.upsert_meeting("old", title="a", starts_at=T0, expires_at=T0 + timedelta(days=1))
    store.upsert_meeting("new", title="b", starts_at=T0, expires_at=T0 + timedelta(days=90))
    store.upsert_meeting("forever", title="c", starts_at=T0)
    assert store.expired_meetings(T0 + timedelta(days=2)) == ["old"]
    store.shred_meeting("old")
    assert store.expired_meetings(T0 + timedelta(days=2)) == []
    assert [m.meeting_id for m in store.meetings()] == ["forever", "new", "old"]


def test_documents_download_resume_and_complete(store: LocalStore) -> None:
    add_meeting_with_document(store)
    doc = store.document("d1", 1)
    assert doc is not None and doc.state is DocumentState.DOWNLOADING and doc.received_bytes == 0
    data = os.urandom(200_000)
    assert store.append_partial("d1", 1, 0, data[:50_000]) == 50_000
    with pytest.raises(ResumeOffsetMismatch):
        store.append_partial("d1", 1, 0, data[:10])
    assert store.resume_offset("d1", 1) == 50_000
    store.append_partial("d1", 1, 50_000, data[50_000:])
    with pytest.raises(DocumentNotDownloading):
        store.read_blob("d1", 1)
    store.complete("d1", 1, sha(data))
    store.complete("d1", 1, sha(data))  # idempotent
    doc = store.document("d1", 1)
    assert doc is not None and doc.state is DocumentState.COMPLETE
    assert doc.received_bytes == 200_000 and doc.ciphertext_sha256 == sha(data)
    assert store.read_blob("d1", 1) == data
    assert store.blob_path("d1", 1).read_bytes() == data
    with pytest.raises(DocumentNotDownloading):
        store.append_partial("d1", 1, 200_000, b"more")
    # Re-announcing the document keeps its download state.
    store.upsert_document(
        DocumentInfo(meeting_id="m1", doc_id="d1", version=1, title="改題", manifest=b"m2")
    )
    doc = store.document("d1", 1)
    assert doc is not None and doc.title == "改題" and doc.state is DocumentState.COMPLETE


def test_crash_between_rename_and_database_update(store: LocalStore) -> None:
    add_meeting_with_document(store)
    data = os.urandom(5000)
    store.append_partial("d1", 1, 0, data)
    final = store.blob_path("d1", 1)
    final.with_name(final.name + ".part").rename(final)  # what finish() does before the update
    assert store.resume_offset("d1", 1) == 5000  # the engine sees it has everything ...
    store.complete("d1", 1, sha(data))  # ... and completing verifies and records it
    doc = store.document("d1", 1)
    assert doc is not None and doc.state is DocumentState.COMPLETE
    assert store.read_blob("d1", 1) == data


def test_checksum_mismatch_then_restart(store: LocalStore) -> None:
    add_meeting_with_document(store)
    store.append_partial("d1", 1, 0, b"tampered")
    with pytest.raises(BlobHashMismatch):
        store.complete("d1", 1, sha(b"original"))
    doc = store.document("d1", 1)
    assert doc is not None and doc.state is DocumentState.DOWNLOADING
    store.restart_download("d1", 1)
    assert store.resume_offset("d1", 1) == 0
    store.append_partial("d1", 1, 0, b"original")
    store.complete("d1", 1, sha(b"original"))
    assert store.read_blob("d1", 1) == b"original"


def test_announced_checksum_is_enforced(store: LocalStore) -> None:
    store.upsert_meeting("m1", title="t", starts_at=T0)
    store.upsert_document(
        DocumentInfo(
            meeting_id="m1",
            doc_id="d1",
            version=1,
            title="t",
            manifest=b"m",
            ciphertext_sha256=sha(b"real"),
            content_key=b"content-key",
        )
    )
    store.append_partial("d1", 1, 0, b"fake")
    with pytest.raises(BlobHashMismatch):
        store.complete("d1", 1, sha(b"fake"))
    store.restart_download("d1", 1)
    store.store_blob("d1", 1, b"real", sha(b"real"))
    doc = store.document("d1", 1)
    assert doc is not None and doc.state is DocumentState.COMPLETE
    assert doc.content_key == b"content-key" and "content-key" not in repr(doc)


def test_work_alongside_a_store_that_fails_leaves_the_document_downloading(
    store: LocalStore,
) -> None:
    """The receiver decrypts alongside the write; when that refuses the piece, the store keeps
    neither the blob nor a "complete" row, and the download can start again."""
    add_meeting_with_document(store)

    def refuse() -> None:
        raise ValueError("chunk 0 does not authenticate")

    with pytest.raises(ValueError, match="authenticate"):
        store.store_blob("d1", 1, b"cipher", sha(b"cipher"), alongside=refuse)
    doc = store.document("d1", 1)
    assert doc is not None and doc.state is DocumentState.DOWNLOADING
    assert store.resume_offset("d1", 1) == 0
    with pytest.raises(ValueError, match="authenticate"):
        store.append_partial("d1", 1, 0, b"cipher", alongside=refuse)
    assert store.resume_offset("d1", 1) == 0
    ran: list[bool] = []
    store.store_blob("d1", 1, b"cipher", lambda: sha(b"cipher"), alongside=lambda: ran.append(True))
    doc = store.document("d1", 1)
    assert ran == [True] and doc is not None and doc.state is DocumentState.COMPLETE
    assert doc.ciphertext_sha256 == sha(b"cipher")


def test_withdrawn_document(store: LocalStore) -> None:
    add_meeting_with_document(store)
    store.store_blob("d1", 1, b"cipher", sha(b"cipher"))
    store.withdraw_document("d1", 1)
    doc = store.document("d1", 1)
    assert doc is not None and doc.state is DocumentState.WITHDRAWN and doc.content_key is None
    assert not store.blob_path("d1", 1).exists()
    with pytest.raises(DocumentNotDownloading):
        store.append_partial("d1", 1, 0, b"x")


def test_unknown_documents_and_meetings(store: LocalStore) -> None:
    with pytest.raises(UnknownDocument):
        store.append_partial("nope", 1, 0, b"x")
    with pytest.raises(UnknownMeeting):
        store.upsert_document(
            DocumentInfo(meeting_id="nope", doc_id="d", version=1, title="t", manifest=b"")
        )
    with pytest.raises(UnknownMeeting):
        store.put_annotation(annotation(meeting_id="nope"))


def test_orphan_blobs_are_swept(store: LocalStore) -> None:
    add_meeting_with_document(store)
    store.store_blob("d1", 1, b"kept", sha(b"kept"))
    orphan = store.directory / "blobs" / ("0" * 64)
    orphan.write_bytes(b"left by a crash")
    assert store.sweep_orphan_blobs() == 1
    assert not orphan.exists() and store.read_blob("d1", 1) == b"kept"


def test_annotations(store: LocalStore) -> None:
    add_meeting_with_document(store)
    assert store.put_annotation(annotation("a1", page_no=0))
    assert store.put_annotation(annotation("a2", page_no=3))
    assert [a.annotation_id for a in store.annotations("d1", 1)] == ["a1", "a2"]
    assert [a.annotation_id for a in store.annotations("d1", 1, page_no=3)] == ["a2"]

    later = T0 + timedelta(minutes=5)
    assert store.put_annotation(annotation("a1", payload=b"v2", server_seq=10, updated_at=later))
    assert not store.put_annotation(annotation("a1", payload=b"stale", server_seq=9))
    stored = store.annotation("a1")
    assert stored is not None and stored.payload == b"v2" and stored.server_seq == 10
    assert stored.updated_at == later and stored.created_at == T0
    assert store.put_annotation(annotation("a1", payload=b"local edit", updated_at=later))
    stored = store.annotation("a1")
    assert stored is not None and stored.payload == b"local edit" and stored.server_seq == 10

    assert store.set_annotation_seq("a2", 11)
    assert store.delete_annotation("a2", later)
    assert not store.delete_annotation("a2", later)
    assert [a.annotation_id for a in store.annotations("d1", 1)] == ["a1"]
    tomb = store.annotations("d1", 1, include_deleted=True)[1]
    assert tomb.deleted and tomb.payload == b"" and tomb.server_seq == 11


def test_outbox_order_and_idempotency(store: LocalStore) -> None:
    first = store.enqueue("op-1", "annotation.put", b"p1", meeting_id="m1")
    second = store.enqueue("op-2", "annotation.delete", b"p2")
    assert first.seq < second.seq
    assert store.enqueue("op-1", "annotation.put", b"p1", meeting_id="m1") == first
    with pytest.raises(OutboxConflict):
        store.enqueue("op-1", "annotation.put", b"different", meeting_id="m1")
    assert [e.op_id for e in store.peek(10)] == ["op-1", "op-2"]
    assert [e.op_id for e in store.peek(1)] == ["op-1"]
    assert store.ack(["op-1", "unknown"]) == 1
    assert store.ack(["op-1"]) == 0  # acking twice is harmless
    third = store.enqueue("op-3", "annotation.put", b"p3")
    assert third.seq > second.seq  # sequence numbers are never reused
    assert [e.op_id for e in store.peek(10)] == ["op-2", "op-3"]
    assert store.ack(f"op-{i}" for i in range(1000)) == 2
    assert store.peek(10) == []


def test_outbox_survives_reopening(data_dir: Path) -> None:
    with LocalStore.open(data_dir, PROFILE) as store:
        store.enqueue("op-1", "k", b"p")
    with LocalStore.open(data_dir, PROFILE) as store:
        assert [e.op_id for e in store.peek(5)] == ["op-1"]


def test_annotation_and_its_outbox_entry_are_atomic(store: LocalStore) -> None:
    add_meeting_with_document(store)
    with pytest.raises(OutboxConflict), store.atomic():
        store.enqueue("op-x", "k", b"1")
        store.put_annotation(annotation("a1"))
        store.enqueue("op-x", "k", b"2")
    assert store.annotation("a1") is None
    assert store.peek(10) == []
    with pytest.raises(StoreBug), store.atomic():
        store.shred_meeting("m1")  # deletes files, so it refuses to run inside a transaction


def test_sync_cursors(store: LocalStore) -> None:
    assert store.sync_cursor("m1", "annotations") is None
    assert store.advance_cursor("m1", "annotations", 5) == 5
    assert store.advance_cursor("m1", "annotations", 3) == 5  # never backwards
    assert store.advance_cursor("m1", "annotations", 8) == 8
    assert store.advance_cursor("", "meetings", 2) == 2
    assert store.sync_cursor("m1", "annotations") == 8
    assert store.sync_cursor("m1", "documents") is None


async def test_store_is_usable_from_worker_threads(store: LocalStore) -> None:
    await asyncio.gather(
        *(asyncio.to_thread(store.enqueue, f"op-{i}", "k", b"p") for i in range(40)),
        *(asyncio.to_thread(store.peek, 5) for _ in range(20)),
    )
    entries = store.peek(100)
    assert len(entries) == 40
    assert len({e.seq for e in entries}) == 40


# == wipe and shred ================================================================================


def _populate(store: LocalStore, meeting_id: str, doc_id: str) -> bytes:
    store.upsert_meeting(meeting_id, title=f"{SECRET_TEXT}{meeting_id}", starts_at=T0)
    meeting_key = os.urandom(32)
    store.set_meeting_key(meeting_id, meeting_key, 1)
    store.upsert_document(
        DocumentInfo(
            meeting_id=meeting_id,
            doc_id=doc_id,
            version=1,
            title="資料",
            manifest=b"manifest",
            content_key=os.urandom(32),
        )
    )
    cipher = os.urandom(10_000)
    store.append_partial(doc_id, 1, 0, cipher)
    store.complete(doc_id, 1, sha(cipher))
    store.index_pages(doc_id, 1, [(0, f"本文{SECRET_TEXT}{doc_id}の説明"), (1, "予算の審議")])
    store.put_annotation(
        annotation(
            f"ann-{doc_id}",
            meeting_id=meeting_id,
            doc_id=doc_id,
            payload=json.dumps({"note": f"{SECRET_TEXT}{doc_id}"}, ensure_ascii=False).encode(),
        )
    )
    store.enqueue(f"op-{doc_id}", "annotation.put", b"sealed", meeting_id=meeting_id)
    store.advance_cursor(meeting_id, "annotations", 7)
    return meeting_key


def test_wipe_leaves_nothing(data_dir: Path, memory_keyring: MemoryKeyring) -> None:
    other = LocalStore.open(data_dir, "other-profile")
    other.close()
    store = LocalStore.open(data_dir, PROFILE)
    _populate(store, "m1", "d1")
    assert store.directory.exists()
    assert store.wipe() == []
    assert store.closed
    assert not profile_dir(data_dir).exists()
    assert (KEYRING_SERVICE, PROFILE) not in memory_keyring.secrets
    # Another profile on the same device is not touched.
    assert (KEYRING_SERVICE, "other-profile") in memory_keyring.secrets
    assert (profile_dir(data_dir, "other-profile") / "cache.db").exists()
    wipe_profile(data_dir, "other-profile")
    assert list(data_dir.iterdir()) == []
    assert memory_keyring.secrets == {}


def test_wipe_without_the_passphrase(data_dir: Path, fail_keyring: None) -> None:
    LocalStore.open(data_dir, PROFILE, passphrase="forgotten passphrase").close()
    assert wipe_profile(data_dir, PROFILE) == []
    assert not profile_dir(data_dir).exists()
    with LocalStore.open(data_dir, PROFILE, passphrase="a brand new passphrase") as store:
        assert store.settings() == {}


def test_shred_meeting(data_dir: Path, memory_keyring: MemoryKeyring) -> None:
    with LocalStore.open(data_dir, PROFILE) as store:
        key1 = _populate(store, "m1", "d1")
        key2 = _populate(store, "m2", "d2")
    database = profile_dir(data_dir) / "cache.db"
    db_key = stored_key(memory_keyring)
    plain = decrypted_pages(database, db_key)
    # Positive control: with the key, the decrypted pages do show the content.
    assert f"{SECRET_TEXT}d1".encode() in plain and key1 in plain

    with LocalStore.open(data_dir, PROFILE) as store:
        blob1 = store.blob_path("d1", 1)
        store.shred_meeting("m1")
        meeting = store.meeting("m1")
        assert meeting is not None and meeting.meeting_key is None
        assert meeting.shredded_at is not None
        assert not store.set_meeting_key("m1", os.urandom(32), 5)  # stays shredded
        assert store.documents("m1") == []
        assert not blob1.exists()
        assert store.annotations("d1", 1, include_deleted=True) == []
        assert [e.op_id for e in store.peek(10)] == ["op-d2"]
        assert store.sync_cursor("m1", "annotations") == 7
        hits = store.search(SECRET_TEXT)
        assert [h.doc_id for h in hits] == ["d2"]
        assert [h.doc_id for h in store.search("予算")] == ["d2"]
        assert [h.doc_id for h in store.search("本")] == ["d2"]
        assert (profile_dir(data_dir) / "cache.db-wal").stat().st_size == 0
        # The other meeting is intact.
        assert store.read_blob("d2", 1)
        other = store.meeting("m2")
        assert other is not None and other.meeting_key == key2
        plain = decrypted_pages(database, db_key)  # checkpointed: the main file is complete
    assert f"{SECRET_TEXT}d1".encode() not in plain
    assert f"本文{SECRET_TEXT}".encode() in plain  # d2's page is still there
    assert key1 not in plain
    assert key2 in plain


def test_no_plaintext_anywhere_in_the_data_folder(data_dir: Path) -> None:
    encodings = ("utf-8", "utf-16-le", "utf-16-be", "shift_jis", "euc_jp")
    needles = [SECRET_TEXT.encode(e) for e in encodings] + [
        "予算の審議".encode(e) for e in encodings
    ]

    def assert_clean() -> None:
        files = [p for p in data_dir.rglob("*") if p.is_file()]
        assert any(p.name == "cache.db" for p in files)
        for path in files:
            content = path.read_bytes()
            for needle in needles:
                assert needle not in content, f"plaintext found in {path.name}"

    store = LocalStore.open(data_dir, PROFILE)
    try:
        _populate(store, "m1", "d1")
        _populate(store, "m2", "d2")
        wal = profile_dir(data_dir) / "cache.db-wal"
        assert wal.stat().st_size > 0  # the WAL holds recent writes and is scanned too
        assert_clean()
    finally:
        store.close()
    assert_clean()
