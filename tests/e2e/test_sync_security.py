"""What a malicious relay, a lost tablet and an expired meeting can get: nothing readable.

The relay here is real, but the tests play its operator turned attacker: they edit its blob
files and its database directly, the way someone with the relay's disk could.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring
import pytest

from furano_meet.crypto import DeviceKeys
from furano_meet.store.records import Visibility
from furano_meet.sync import documents as docs
from furano_meet.sync.events import (
    AnnotationsChanged,
    DeviceWiped,
    DocumentReady,
    DocumentRefused,
    KeyWaiting,
    MeetingShredded,
)
from furano_meet.sync.receiving import stored_meeting_key
from server.demo import MEETING_ID
from server.relay import Relay
from tests.e2e.council import Council, Device, note
from tests.pdfs import generate_agenda_pack

RECORD = 256 * 1024 + 16  # one encrypted chunk: 256 KiB of ciphertext and a 16-byte tag


def files_under(folder: Path) -> Iterator[Path]:
    return (p for p in folder.rglob("*") if p.is_file())


def windows(data: bytes, count: int = 24, size: int = 48, seed: int = 1) -> list[bytes]:
    """Distinctive slices of a plaintext, to look for on disk."""
    rng = random.Random(seed)
    return [data[i : i + size] for i in (rng.randrange(0, len(data) - size) for _ in range(count))]


def leaks(folder: Path, needles: list[bytes]) -> list[tuple[Path, bytes]]:
    found = []
    for path in files_under(folder):
        content = path.read_bytes()
        found += [(path, n) for n in needles if n in content]
    return found


async def published(council: Council, pdf: bytes, title: str = "議案書") -> tuple[Device, str]:
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    info = await clerk.engine.publish_document(MEETING_ID, pdf, title=title)
    return clerk, info.document_id


async def rewrite_blob(relay: Relay, doc_id: str, change: Callable[[bytes], bytes]) -> None:
    """Replace a published blob and make the relay's records agree (a lying relay)."""
    import hashlib

    document = await relay.store.run(relay.store.document, MEETING_ID, doc_id, 1)
    old = relay.blobs.path(document.sha256)
    new_bytes = change(old.read_bytes())
    sha = hashlib.sha256(new_bytes).hexdigest()
    target = relay.blobs.path(sha)
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(new_bytes)

    def update() -> None:
        relay.store.db.execute(
            "UPDATE documents SET sha256 = ?, size = ? WHERE document_id = ?",
            (sha, len(new_bytes), doc_id),
        )

    await relay.store.run(update)


def flip_a_byte(blob: bytes) -> bytes:
    at = len(blob) // 2
    return blob[:at] + bytes([blob[at] ^ 0x01]) + blob[at + 1 :]


def swap_chunks(blob: bytes) -> bytes:
    header = len(blob) - ((len(blob) - 1) // RECORD) * RECORD  # header + short last record
    first, second = header, header + RECORD
    assert second + RECORD <= len(blob)
    return (
        blob[:first] + blob[second : second + RECORD] + blob[first:second] + blob[second + RECORD :]
    )


def drop_last_chunk(blob: bytes) -> bytes:
    return blob[: len(blob) - (len(blob) % RECORD or RECORD)]


@pytest.mark.parametrize(
    ("tamper", "code"),
    [(flip_a_byte, "tampered"), (swap_chunks, "tampered"), (drop_last_chunk, "truncated")],
    ids=["tampered", "reordered", "truncated"],
)
async def test_a_tampered_document_is_refused_never_shown(
    council: Council, relay: Relay, tamper: Callable[[bytes], bytes], code: str
) -> None:
    pdf = generate_agenda_pack(title="議案書", pages=3, padding_to_bytes=1_200_000)
    _, doc_id = await published(council, pdf)
    await rewrite_blob(relay, doc_id, tamper)
    member = await council.device("giin1")
    refused = await member.wait_for(DocumentRefused, lambda e: e.document_id == doc_id)
    assert refused.code == code
    assert not any(isinstance(e, DocumentReady) for e in member.events)
    with pytest.raises(LookupError):
        await member.engine.open_document(doc_id, 1)


async def forge_as_member(
    council: Council, relay: Relay, doc_id: str, padding: int | None = None
) -> None:
    """A member (who holds the meeting key but may not publish) signs a different document
    under ``doc_id``'s id and version, and the relay serves it in place of the clerk's."""
    forger = await council.device("giin2")
    await forger.wait_for(DocumentReady, lambda e: e.document_id == doc_id, timeout=60)
    key = stored_meeting_key(forger.store, MEETING_ID)
    assert key is not None
    fake = docs.prepare_upload(
        generate_agenda_pack(title="偽の議案書", pages=3, padding_to_bytes=padding, seed=9),
        meeting_key=key,
        keys=forger.engine.account.keys,
        device_id=forger.engine.account.device_id,
        document_id=doc_id,
        version=1,
        title="議案書",
    )
    await rewrite_blob(relay, doc_id, lambda _: bytes(fake.blob))

    def swap_manifest() -> None:
        relay.store.db.execute(
            "UPDATE documents SET manifest = ? WHERE document_id = ?",
            (fake.sealed_manifest, doc_id),
        )

    await relay.store.run(swap_manifest)


async def test_a_manifest_signed_by_a_member_is_refused(council: Council, relay: Relay) -> None:
    _, doc_id = await published(council, generate_agenda_pack(title="議案書", pages=3))
    await forge_as_member(council, relay, doc_id)
    victim = await council.device("giin3")
    refused = await victim.wait_for(DocumentRefused, lambda e: e.document_id == doc_id)
    assert refused.code in {"unauthorised_signer", "bad_signature"}


async def test_a_relay_substituting_a_device_key_gets_no_meeting_key(
    council: Council, relay: Relay
) -> None:
    target = await council.device("giin1")
    device_id = target.engine.account.device_id
    attacker = DeviceKeys.generate()

    def substitute() -> None:
        relay.store.db.execute(
            "UPDATE devices SET public_keys = ? WHERE device_id = ?",
            (attacker.public_bundle().to_bytes(), device_id),
        )

    await relay.store.run(substitute)
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    envelopes = await relay.store.run(relay.store.envelopes_for, MEETING_ID, device_id)
    assert envelopes == []  # the clerk refused to seal to keys the root never certified
    assert await relay.store.run(
        relay.store.envelopes_for, MEETING_ID, clerk.engine.account.device_id
    )
    await target.wait_for(KeyWaiting)


async def test_the_relay_stores_no_plaintext(council: Council, relay: Relay) -> None:
    pdf = generate_agenda_pack(title="総務文教委員会 議案書", pages=4)
    clerk, doc_id = await published(council, pdf, title="秘匿タイトル補正予算第三号")
    member = await council.device("giin1")
    await member.wait_for(DocumentReady, lambda e: e.document_id == doc_id)
    text = "非公開メモ：財政調整基金の取り崩し額を確認"
    shared = "共有ハイライト：ふらのワイン振興条例"
    private_id = await member.engine.add_annotation(MEETING_ID, doc_id, 1, 0, note(text))
    shared_id = await member.engine.add_annotation(
        MEETING_ID, doc_id, 1, 0, note(shared), visibility=Visibility.SHARED
    )
    await clerk.wait_for(AnnotationsChanged, lambda e: shared_id in e.annotation_ids)
    assert private_id
    needles = [
        *windows(pdf),
        text.encode(),
        shared.encode(),
        "秘匿タイトル補正予算第三号".encode(),
    ]
    assert leaks(relay.config.data_dir, needles) == []
    assert leaks(member.store.directory, needles) == []  # the device cache is encrypted too


async def test_an_expired_meeting_is_shredded_even_offline(council: Council, relay: Relay) -> None:
    pdf = generate_agenda_pack(title="議案書", pages=3)
    await relay.store.run(
        lambda: relay.store.db.execute(
            "UPDATE meetings SET expires_at = ? WHERE meeting_id = ?",
            ((datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"), MEETING_ID),
        )
    )
    _, doc_id = await published(council, pdf)
    member = await council.device("giin1")
    await member.wait_for(DocumentReady, lambda e: e.document_id == doc_id)
    note_id = await member.engine.add_annotation(MEETING_ID, doc_id, 1, 0, note("審査メモ"))
    await member.stop()  # the tablet goes into a drawer, offline, for months
    member.engine.clock = lambda: datetime.now(UTC) + timedelta(days=31)
    shredded = await member.engine.enforce_expiry()  # what the app does at start, offline
    assert shredded == [MEETING_ID]
    await member.wait_for(MeetingShredded)  # events reach observers through a queue
    meeting = member.store.meeting(MEETING_ID)
    assert meeting is not None and meeting.meeting_key is None and meeting.shredded_at is not None
    assert member.store.annotation(note_id) is None
    assert leaks(member.store.directory, [*windows(pdf), "審査メモ".encode()]) == []
    with pytest.raises(LookupError):
        await member.engine.open_document(doc_id, 1)


async def test_a_revoked_device_wipes_itself(council: Council, relay: Relay) -> None:
    member = await council.device("giin1")
    directory = member.store.directory
    assert directory.exists()
    profile = member.store.profile_id
    await relay.store.run(relay.store.revoke_device, member.engine.account.device_id)
    await relay.apply_admin_changes()
    wiped = await member.wait_for(DeviceWiped)
    assert "revoked" in wiped.reason
    assert not directory.exists() or not any(directory.iterdir())
    assert keyring.get_password("FuranoMeet", profile) is None


async def test_a_rotated_key_leaves_a_removed_member_behind(council: Council, relay: Relay) -> None:
    from furano_meet.crypto import CryptoError
    from furano_meet.crypto.manifest import open_manifest
    from server.demo import PEOPLE

    old_pdf = generate_agenda_pack(title="旧議案書", pages=3)
    clerk, old_doc = await published(council, old_pdf)
    staying = await council.device("giin1")
    leaving = await council.device("giin2")
    for device in (staying, leaving):
        await device.wait_for(DocumentReady, lambda e: e.document_id == old_doc)
    members = [uid for uid, _, role in PEOPLE if role != "admin" and uid != "giin2"]
    await relay.store.run(relay.store.set_members, MEETING_ID, members)
    await relay.apply_admin_changes()
    assert await clerk.engine.rotate_meeting_key(MEETING_ID) == 2
    new_pdf = generate_agenda_pack(title="新議案書", pages=3, seed=4)
    new = await clerk.engine.publish_document(MEETING_ID, new_pdf, title="新議案書")
    await staying.wait_for(DocumentReady, lambda e: e.document_id == new.document_id)
    assert await staying.engine.open_document(old_doc, 1) == old_pdf  # old epoch still readable
    assert await staying.engine.open_document(new.document_id, 1) == new_pdf
    leaving_device = leaving.engine.account.device_id
    epochs = {
        e.epoch
        for e in await relay.store.run(relay.store.envelopes_for, MEETING_ID, leaving_device)
    }
    assert epochs == {1}  # never sealed the new key
    assert leaving.store.meeting_key_at(MEETING_ID, 2) is None
    old_key = stored_meeting_key(leaving.store, MEETING_ID)
    assert old_key is not None and old_key.epoch == 1
    with pytest.raises(CryptoError):  # even a copy of the new manifest stays closed to it
        open_manifest(new.manifest, old_key, doc_id=new.document_id, version=1)
    newcomer = await council.device("giin1", "giin1-new-laptop")  # enrolled after the rotation
    for doc_id in (old_doc, new.document_id):

        def is_ready(event: DocumentReady, d: str = doc_id) -> bool:
            return event.document_id == d

        await newcomer.wait_for(DocumentReady, is_ready)
    assert {e for e, _ in newcomer.store.meeting_key_epochs(MEETING_ID)} == {1, 2}


async def test_manual_certification_compares_the_fingerprint_on_the_device(
    council: Council, relay: Relay
) -> None:
    from furano_meet.net import RelayError
    from furano_meet.sync.admin import certify, device_fingerprint, pending_devices

    admin = council.devices[0]
    await admin.stop()  # no automatic certification: the administrator checks by hand
    clerk = await council.device("jimukyoku", start=False)
    shown_on_screen = device_fingerprint(clerk.engine.account)
    pending = await pending_devices(admin.engine.account)
    listed = next(d for d in pending if d.device_id == clerk.engine.account.device_id)
    assert listed.fingerprint == shown_on_screen and listed.role == "clerk"
    attacker = DeviceKeys.generate()

    def substitute() -> None:  # the relay swaps in its own keys before the admin looks
        relay.store.db.execute(
            "UPDATE devices SET public_keys = ? WHERE device_id = ?",
            (attacker.public_bundle().to_bytes(), clerk.engine.account.device_id),
        )

    await relay.store.run(substitute)
    with pytest.raises(RelayError) as refused:
        await certify(admin.engine.account, admin.store, listed.device_id, shown_on_screen)
    assert refused.value.code == "key_substitution"

    def restore() -> None:
        relay.store.db.execute(
            "UPDATE devices SET public_keys = ? WHERE device_id = ?",
            (clerk.engine.account.keys.public_bundle().to_bytes(), clerk.engine.account.device_id),
        )

    await relay.store.run(restore)
    done = await certify(admin.engine.account, admin.store, listed.device_id, shown_on_screen)
    assert done.device_id == listed.device_id
    clerk.start()
    await clerk.engine.wait_online()
    await clerk.engine.create_meeting_key(MEETING_ID)  # possible only with a certificate
