"""The sync engine when things go wrong: offline work, a relay killed mid-transfer, tampering."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from furano_meet.store.records import Visibility
from furano_meet.sync import private_keys
from furano_meet.sync.events import (
    AnnotationsChanged,
    Connectivity,
    DocumentReady,
    DownloadProgress,
    StatusChanged,
)
from server.demo import MEETING_ID
from tests.e2e.council import Council, Device, note, stroke, wait_until
from tests.e2e.council import note as sticky
from tests.e2e.relay_process import RelayProcess, free_port, seeded
from tests.pdfs import generate_agenda_pack


class KillableRelay:
    """A relay process on a fixed port, so devices reconnect to the same address."""

    def __init__(self, data: Path) -> None:
        self.data = seeded(data)
        self.port = free_port()
        self.process = RelayProcess(self.data, port=self.port).start()

    def kill(self) -> None:
        self.process.kill()

    def restart(self) -> None:
        self.process = RelayProcess(self.data, port=self.port).start()

    def ops_logged(self) -> list[str]:
        with sqlite3.connect(self.data / "relay.sqlite3") as db:
            rows = db.execute("SELECT op_id FROM ops ORDER BY seq").fetchall()
        db.close()
        return [r[0] for r in rows]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[KillableRelay, Council]]:
    relay = KillableRelay(tmp_path / "relay")
    council = Council(None, tmp_path / "devices", url=relay.process.url, data_dir=relay.data)
    await council.setup_admin()
    try:
        yield relay, council
    finally:
        await council.close()
        relay.kill()


def holds_annotations(device: Device, page_no: int, wanted: set[str]) -> Callable[[], bool]:
    """A ``wait_until`` condition: ``device`` has stored every annotation in ``wanted`` on page
    ``page_no`` of the pack (bound to this device, not to a loop variable that moves on)."""
    return lambda: (
        {a.annotation_id for a in device.store.annotations("pack", 1, page_no=page_no)} >= wanted
    )


async def test_offline_edits_are_delivered_once_in_order_after_reconnecting(
    world: tuple[KillableRelay, Council],
) -> None:
    relay, council = world
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    writer = await council.device("giin1")
    reader = await council.device("giin2")
    relay.kill()
    await writer.wait_for(StatusChanged, lambda e: e.status.connectivity is Connectivity.OFFLINE)
    ids = [
        await writer.engine.add_annotation(
            MEETING_ID,
            "pack",
            1,
            n,
            note(f"電車の中で {n}"),
            visibility=Visibility.SHARED,
        )
        for n in range(5)
    ]
    assert writer.store.outbox_size() == 5  # kept safely while offline
    relay.restart()
    await reader.wait_for(AnnotationsChanged, lambda e: ids[-1] in e.annotation_ids, timeout=30)
    await wait_until(lambda: writer.store.outbox_size() == 0)
    assert relay.ops_logged() == ids  # once each, in the order written
    pages = [reader.store.annotation(i).page_no for i in ids]  # type: ignore[union-attr]
    assert pages == [0, 1, 2, 3, 4]


async def test_a_download_interrupted_by_a_relay_crash_resumes_and_verifies(
    world: tuple[KillableRelay, Council],
) -> None:
    relay, council = world
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    big = generate_agenda_pack(title="予算書", pages=4, padding_to_bytes=40_000_000)
    member = await council.device("giin1", start=False)
    info = await clerk.engine.publish_document(MEETING_ID, big, title="予算書")
    member.start()

    def received() -> int:
        doc = member.store.document(info.document_id, 1)
        return doc.received_bytes if doc is not None else 0

    await wait_until(lambda: received() > 0, timeout=30)
    relay.kill()
    interrupted_at = received()
    assert 0 < interrupted_at < len(big)
    relay.restart()
    ready = await member.wait_for(
        DocumentReady, lambda e: e.document_id == info.document_id, timeout=60
    )
    assert ready.title == "予算書"
    assert await member.engine.open_document(info.document_id, 1) == big
    progress = [
        e.received
        for e in member.events
        if isinstance(e, DownloadProgress) and e.document_id == info.document_id
    ]
    assert progress == sorted(set(progress))  # resumed where it stopped, never from 0 again
    assert progress[-1] == info.size


async def test_a_relay_killed_while_1000_ops_sync_loses_and_doubles_nothing(
    world: tuple[KillableRelay, Council],
) -> None:
    relay, council = world
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    writer = await council.device("giin1")
    reader = await council.device("giin2")
    await writer.stop()
    ids = [
        await writer.engine.add_annotation(
            MEETING_ID,
            "pack",
            1,
            n % 30,
            stroke((n, n + 1)),
            visibility=Visibility.SHARED,
        )
        for n in range(1000)
    ]
    writer = await council.restart(writer)
    await wait_until(lambda: writer.store.outbox_size() < 1000, timeout=30)
    relay.kill()  # mid-sync: some batches acknowledged, maybe one committed but unacknowledged
    assert writer.store.outbox_size() > 0
    relay.restart()
    await wait_until(lambda: writer.store.outbox_size() == 0, timeout=60)
    logged = relay.ops_logged()
    assert sorted(logged) == sorted(ids) and len(logged) == 1000  # nothing lost, nothing doubled
    await wait_until(lambda: len(reader.store.annotations("pack", 1)) == 1000, timeout=60)


async def test_two_devices_writing_offline_on_the_same_page_keep_both_inks(
    world: tuple[KillableRelay, Council],
) -> None:
    relay, council = world
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    tablet = await council.device("giin1", "giin1-tablet")
    laptop = await council.device("giin1", "giin1-laptop")
    colleague = await council.device("giin2")
    relay.kill()
    for device in (tablet, laptop):
        await device.wait_for(
            StatusChanged, lambda e: e.status.connectivity is Connectivity.OFFLINE
        )
    stroke_a = await tablet.engine.add_annotation(
        MEETING_ID,
        "pack",
        1,
        7,
        stroke((1, 1), (5, 5)),
        visibility=Visibility.SHARED,
    )
    stroke_b = await laptop.engine.add_annotation(
        MEETING_ID,
        "pack",
        1,
        7,
        stroke((9, 9), (3, 3)),
        visibility=Visibility.SHARED,
    )
    relay.restart()
    for device in (tablet, laptop, colleague):
        await wait_until(holds_annotations(device, 7, {stroke_a, stroke_b}), timeout=30)


async def test_two_devices_that_each_made_a_private_key_offline_read_each_others_notes(
    world: tuple[KillableRelay, Council],
) -> None:
    """The tablet and the laptop of one member both write their first private note while the
    relay is down, and each makes its own private key. Once back, each must read both notes;
    nobody else may, and both then write new notes under one key."""
    relay, council = world
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    tablet = await council.device("giin1", "giin1-tablet")
    laptop = await council.device("giin1", "giin1-laptop")
    colleague = await council.device("giin2")
    for device in (tablet, laptop):
        await device.wait_for(StatusChanged, lambda e: not e.status.waiting_for_key)
    # The colleague reads shared notes before the relay goes down: it holds the meeting key, so
    # the shared notes used as markers below can reach it.
    welcome = await clerk.engine.add_annotation(
        MEETING_ID, "pack", 1, 0, sticky("ようこそ"), visibility=Visibility.SHARED
    )
    await wait_until(lambda: colleague.store.annotation(welcome) is not None, timeout=30)
    relay.kill()
    for device in (tablet, laptop):
        await device.wait_for(
            StatusChanged, lambda e: e.status.connectivity is Connectivity.OFFLINE
        )
    on_tablet = await tablet.engine.add_annotation(
        MEETING_ID, "pack", 1, 2, note("タブレットのメモ"), visibility=Visibility.PRIVATE
    )
    on_laptop = await laptop.engine.add_annotation(
        MEETING_ID, "pack", 1, 2, note("ノートPCのメモ"), visibility=Visibility.PRIVATE
    )
    # A shared note queued right behind each private one: a device sends its outbox in order,
    # so once the colleague holds both, the relay has passed on every private note it would.
    markers = [
        await device.engine.add_annotation(
            MEETING_ID, "pack", 1, 1, sticky("共有メモ"), visibility=Visibility.SHARED
        )
        for device in (tablet, laptop)
    ]
    # Both devices send their first private note the moment the relay is back, each before
    # the other's key has arrived, so each makes a key of its own. Made here while offline
    # (the engine then has no connection to share it over), the race is certain.
    for device in (tablet, laptop):  # what the engine does offline: a key of its own
        private_keys.add(device.store, MEETING_ID, private_keys.new_key("giin1", set()))
    tablet_keys = private_keys.load(tablet.store, MEETING_ID, "giin1")
    laptop_keys = private_keys.load(laptop.store, MEETING_ID, "giin1")
    assert len(tablet_keys) == len(laptop_keys) == 1 and set(tablet_keys) != set(laptop_keys)
    relay.restart()
    for device in (tablet, laptop):
        await wait_until(holds_annotations(device, 2, {on_tablet, on_laptop}), timeout=30)
    for device in (tablet, laptop):
        texts = {a.payload.decode() for a in device.store.annotations("pack", 1, page_no=2)}
        assert any("タブレットのメモ" in t for t in texts)
        assert any("ノートPCのメモ" in t for t in texts)
    both = set(tablet_keys) | set(laptop_keys)
    assert set(private_keys.load(tablet.store, MEETING_ID, "giin1")) == both
    assert set(private_keys.load(laptop.store, MEETING_ID, "giin1")) == both
    # New notes from either device now use the same key (the lowest epoch).
    assert private_keys.writing_key(
        private_keys.load(tablet.store, MEETING_ID, "giin1")
    ).epoch == min(both)  # type: ignore[union-attr]
    await wait_until(
        lambda: all(colleague.store.annotation(x) is not None for x in markers), timeout=30
    )
    assert colleague.store.annotation(on_tablet) is None
    assert colleague.store.annotation(on_laptop) is None
