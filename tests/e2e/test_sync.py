"""The sync engine against the real relay: keys, documents, annotations, presenter, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from furano_meet.annotations import StickyNote, decode
from furano_meet.store.records import DocumentState, Visibility
from furano_meet.sync import private_keys
from furano_meet.sync.events import (
    AnnotationsChanged,
    Connectivity,
    DocumentIndexed,
    DocumentReady,
    KeyWaiting,
    PresenterMoved,
    StatusChanged,
)
from server.demo import MEETING_ID
from server.relay import Relay
from tests.e2e.council import (
    Council,
    Device,
    highlight,
    note,
    publish_fake_versions,
    stroke,
    wait_until,
)
from tests.pdfs import generate_agenda_pack


async def test_a_published_pack_reaches_members_verified_decrypted_and_searchable(
    council: Council,
) -> None:
    clerk = await council.device("jimukyoku")
    member = await council.device("giin1")
    await clerk.engine.create_meeting_key(MEETING_ID)
    pdf = generate_agenda_pack(title="総務文教委員会 議案書", pages=6)
    info = await clerk.engine.publish_document(
        MEETING_ID, pdf, title="議案書", agenda_item="議案第1号"
    )
    ready = await member.wait_for(DocumentReady, lambda e: e.document_id == info.document_id)
    assert ready.title == "議案書"
    assert await member.engine.open_document(info.document_id, 1) == pdf
    # Search covers the document once it is indexed, which follows DocumentReady.
    indexed = await member.wait_for(DocumentIndexed, lambda e: e.document_id == info.document_id)
    assert indexed.pages == 6
    hits = member.store.search("議案第1号")
    assert hits and hits[0].doc_id == info.document_id
    doc = member.store.document(info.document_id, 1)
    assert doc is not None and doc.state is DocumentState.COMPLETE and doc.page_count == 6


async def test_a_device_waits_for_its_key_until_a_holder_seals_it(council: Council) -> None:
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    pdf = generate_agenda_pack(title="議案書", pages=3)
    info = await clerk.engine.publish_document(MEETING_ID, pdf, title="議案書")
    admin = council.devices[0]
    await admin.stop()  # nobody can certify the newcomer for now
    late = await council.device("giin2")  # enrolled after the key was made
    await late.wait_for(KeyWaiting)
    await late.wait_for(StatusChanged, lambda e: MEETING_ID in e.status.waiting_for_key)
    restarted = await council.restart(admin)
    await restarted.engine.wait_online()
    ready = await late.wait_for(DocumentReady, lambda e: e.document_id == info.document_id)
    assert ready.version == 1
    assert late.store.meeting(MEETING_ID).has_key  # type: ignore[union-attr]
    assert late.engine.status.waiting_for_key == ()


async def test_shared_and_private_annotations_sync_between_devices(council: Council) -> None:
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    tablet = await council.device("giin1", "giin1-tablet")
    laptop = await council.device("giin1", "giin1-laptop")
    colleague = await council.device("giin2")
    for device in (tablet, laptop, colleague):
        await device.engine.wait_online()
    shared = await tablet.engine.add_annotation(
        MEETING_ID,
        "doc",
        1,
        2,
        highlight(10, 20, 200, 40, "#ffff00"),
        visibility=Visibility.SHARED,
    )
    private = await tablet.engine.add_annotation(
        MEETING_ID, "doc", 1, 2, note("要確認：補正額の根拠")
    )
    await colleague.wait_for(AnnotationsChanged, lambda e: shared in e.annotation_ids)
    await laptop.wait_for(AnnotationsChanged, lambda e: private in e.annotation_ids)
    seen = colleague.store.annotation(shared)
    assert seen is not None and b"highlight" in seen.payload
    assert colleague.store.annotation(private) is None  # private notes stay with their author
    mine = laptop.store.annotation(private)
    assert mine is not None and "要確認" in mine.payload.decode()


async def test_followers_see_the_presenters_page(council: Council) -> None:
    chair = await council.device("iincho")
    member = await council.device("giin3")
    await council.hold_pack(chair, member)
    await chair.engine.present_page(MEETING_ID, "pack", 1, 5)
    moved = await member.wait_for(
        PresenterMoved, lambda e: e.view.page is not None and e.view.page.page == 5
    )
    assert moved.view.presenter_user_id == "iincho"


async def test_a_second_device_gets_its_owners_private_key_even_if_it_joined_later(
    council: Council,
) -> None:
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    tablet = await council.device("giin1", "giin1-tablet")
    note_id = await tablet.engine.add_annotation(MEETING_ID, "doc", 1, 0, note("自分だけのメモ"))
    await tablet.stop()  # the tablet is off while the laptop is set up
    laptop = await council.device("giin1", "giin1-laptop")
    await laptop.wait_for(
        StatusChanged,
        lambda e: e.status.connectivity.value == "online" and not e.status.waiting_for_key,
    )  # the clerk sealed the meeting key
    assert laptop.store.annotation(note_id) is None  # the note's key lives only on the tablet
    assert private_keys.load(laptop.store, MEETING_ID, "giin1") == {}
    await council.restart(tablet)  # back on: it shares its owner's private key
    await laptop.wait_for(AnnotationsChanged, lambda e: note_id in e.annotation_ids)
    seen = laptop.store.annotation(note_id)
    assert seen is not None and "自分だけのメモ" in seen.payload.decode()


async def test_a_full_disk_pauses_sync_with_a_clear_status_and_it_recovers(
    council: Council, tmp_path: Path
) -> None:
    """The device's data folder is a real 24 MiB tmpfs that fills up while the engine runs."""
    import contextlib
    import os
    import subprocess

    from furano_meet.store import LocalStore

    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; tests/store covers the portable variant")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(disk)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        clerk = await council.device("jimukyoku")
        await clerk.engine.create_meeting_key(MEETING_ID)
        store = LocalStore.open(disk, "giin1")
        member = await council._enrol("giin1", store, label="giin1-small-disk")  # noqa: SLF001
        first = generate_agenda_pack(title="議案書", pages=3)
        info = await clerk.engine.publish_document(MEETING_ID, first, title="議案書")
        await member.wait_for(DocumentReady, lambda e: e.document_id == info.document_id)
        await member.stop()
        junk = disk / "junk"
        with contextlib.suppress(OSError), junk.open("wb") as f:
            f.write(b"\0" * (64 * 1024 * 1024))  # the disk is now full
        big = generate_agenda_pack(title="予算書", pages=3, padding_to_bytes=3_000_000)
        second = await clerk.engine.publish_document(MEETING_ID, big, title="予算書")
        member = await council.restart(member)
        full = await member.wait_for(StatusChanged, lambda e: "disk is full" in e.status.message)
        assert full.status.connectivity.value == "offline"  # paused, not crashed
        assert member.task is not None and not member.task.done()
        junk.unlink()
        ready = await member.wait_for(
            DocumentReady, lambda e: e.document_id == second.document_id, timeout=60
        )
        assert ready.title == "予算書"
        assert await member.engine.open_document(info.document_id, 1) == first  # nothing lost
        await member.stop()
        store.close()
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def replaced_version(pdf: bytes) -> bytes:
    """The clerk's 差し替え: a notice page inserted after the cover, and page 3 reworded."""
    import pymupdf

    doc = pymupdf.open(stream=pdf, filetype="pdf")
    notice = doc.new_page(pno=1)
    notice.insert_text((72, 100), "Replacement notice 2026-12-01", fontsize=14)
    doc[4].insert_text((72, 60), "Amended", fontsize=10)  # old page 3 is now page 4
    data = doc.tobytes()
    doc.close()
    return bytes(data)


async def test_notes_follow_a_replaced_document_to_unchanged_pages(council: Council) -> None:
    from furano_meet.sync.events import AnnotationsCarried, DocumentIndexed

    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    member = await council.device("giin1")
    v1 = generate_agenda_pack(title="議案書", pages=5)
    info = await clerk.engine.publish_document(MEETING_ID, v1, title="議案書")
    await member.wait_for(DocumentIndexed, lambda e: e.document_id == info.document_id)
    kept = await member.engine.add_annotation(
        MEETING_ID, info.document_id, 1, 2, stroke((10, 10), (90, 40))
    )
    changed = await member.engine.add_annotation(
        MEETING_ID,
        info.document_id,
        1,
        3,
        note("この数字を確認"),
        visibility=Visibility.SHARED,
    )
    await clerk.engine.publish_document(
        MEETING_ID,
        replaced_version(v1),
        title="議案書（差し替え）",
        document_id=info.document_id,
        version=2,
    )
    moved = await member.wait_for(AnnotationsCarried, lambda e: e.document_id == info.document_id)
    assert (moved.from_version, moved.to_version) == (1, 2)
    assert [old for old, _ in moved.carried] == [kept] and moved.needs_review == (changed,)
    new_id = moved.carried[0][1]
    carried = member.store.annotation(new_id)
    assert carried is not None and (carried.version, carried.page_no) == (2, 3)  # page shifted
    assert member.store.annotation(kept) is not None  # the original stays on version 1
    assert member.store.annotation(changed).version == 1  # type: ignore[union-attr]


async def test_a_member_removed_by_the_clerk_is_told(council: Council, relay: Relay) -> None:
    from furano_meet.sync.events import MeetingAccessLost
    from server.demo import PEOPLE

    member = await council.device("giin3")
    remaining = [uid for uid, _, role in PEOPLE if role != "admin" and uid != "giin3"]
    await relay.store.run(relay.store.set_members, MEETING_ID, remaining)
    await relay.apply_admin_changes()
    lost = await member.wait_for(MeetingAccessLost)
    assert lost.meeting_id == MEETING_ID and "removed" in lost.message


@pytest.mark.relay_config(max_text_frame=64 * 1024)
async def test_a_meeting_with_more_documents_than_one_frame_holds_is_known_in_full(
    council: Council, relay: Relay
) -> None:
    """``meeting_joined`` keeps only the newest documents that fit a frame; the engine pages
    through ``list_documents`` for the rest, so none is silently missing."""
    await publish_fake_versions(relay.store, MEETING_ID, 20)
    member = await council.device("giin1")
    await wait_until(lambda: len(member.store.documents(MEETING_ID)) == 20)
    assert sorted(d.version for d in member.store.documents(MEETING_ID)) == list(range(1, 21))


@pytest.mark.relay_config(max_text_frame=64 * 1024)
async def test_device_keys_of_a_meeting_larger_than_one_frame_are_all_fetched(
    council: Council, relay: Relay
) -> None:
    """Each device's post-quantum public keys and certificate take ~13 KB on the wire, so six
    devices overflow a 64 KiB frame: the engine pages through ``list_device_keys`` and still
    seals the meeting key to every one of them."""
    clerk = await council.device("jimukyoku")
    members = [await council.device(user) for user in ("giin1", "giin2", "giin3", "iincho")]
    tablet = await council.device("giin1", "giin1-tablet")
    await clerk.engine.create_meeting_key(MEETING_ID)
    listed = await relay.store.run(relay.store.member_device_keys, MEETING_ID)
    assert len(listed) == 6
    for device in (*members, tablet):

        def has_key(d: Device = device) -> bool:
            meeting = d.store.meeting(MEETING_ID)
            assert meeting is not None
            return meeting.has_key

        await wait_until(has_key, timeout=30)


async def test_two_devices_of_one_user_editing_one_note_both_reach_the_log(
    council: Council, relay: Relay
) -> None:
    """Edit and delete op ids carry a random suffix: with a fixed "{id}.del" the relay kept
    only the first of two devices' changes and acknowledged the second as a duplicate."""
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    tablet = await council.device("giin1", "giin1-tablet")
    laptop = await council.device("giin1", "giin1-laptop")
    colleague = await council.device("giin2")
    note_id = await tablet.engine.add_annotation(
        MEETING_ID, "doc", 1, 1, note("案"), visibility=Visibility.SHARED
    )

    def text(device: Device) -> str:
        stored = device.store.annotation(note_id)
        assert stored is not None
        mark = decode(stored.payload).mark
        return mark.text if isinstance(mark, StickyNote) else ""

    for device in (laptop, colleague):
        await device.wait_for(AnnotationsChanged, lambda e: note_id in e.annotation_ids)
    await tablet.engine.edit_annotation(note_id, note("修正案"))
    await laptop.wait_for(
        AnnotationsChanged, lambda e: note_id in e.annotation_ids and text(laptop) == "修正案"
    )
    await laptop.engine.edit_annotation(note_id, note("再修正案"))
    await colleague.wait_for(
        AnnotationsChanged, lambda e: note_id in e.annotation_ids and text(colleague) == "再修正案"
    )
    logged, _ = await relay.store.run(relay.store.fetch_ops, MEETING_ID, "giin2", 0, 100)
    edits = [op.op_id for op in logged if op.kind == "update"]
    assert len(set(edits)) == 2 and all(e.startswith(f"{note_id}.") for e in edits)


async def test_ops_the_relay_refuses_as_stale_are_held_without_a_reconnect_loop(
    council: Council, caplog: pytest.LogCaptureFixture
) -> None:
    """A device restored from an old backup signs with counters the relay has seen: its notes
    wait (logged) and the session stays up, instead of reconnecting and resending for ever."""
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    member = await council.device("giin1")
    first = await member.engine.add_annotation(
        MEETING_ID, "doc", 1, 1, note("一"), visibility=Visibility.SHARED
    )
    await wait_until(lambda: member.store.outbox_size() == 0)
    member.store._db.execute("DELETE FROM own_op_streams")  # noqa: SLF001 - the "restore"
    events_before = len(member.events)
    await member.engine.add_annotation(
        MEETING_ID, "doc", 1, 1, note("二"), visibility=Visibility.SHARED
    )
    await wait_until(lambda: any("not sent" in r.getMessage() for r in caplog.records))
    assert member.store.outbox_size() == 1 and first
    offline = [
        e
        for e in member.events[events_before:]
        if isinstance(e, StatusChanged) and e.status.connectivity is not Connectivity.ONLINE
    ]
    assert offline == []
