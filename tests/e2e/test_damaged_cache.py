"""A councillor's damaged cache, end to end: refused at start, recovered, back in the meeting.

A real relay, real sync engines and real SQLCipher files damaged as a failing disk or an
interrupted copy damages them; the CLI (``furano-meet documents`` / ``recover``) runs in-process
against the same keychain, as a councillor's IT helper would run it.
"""

from __future__ import annotations

import asyncio

import pytest

from bench.client_fixtures import MemoryKeyring
from furano_meet.cli import main
from furano_meet.store import LocalStore
from furano_meet.store.records import Visibility
from furano_meet.sync.account import enrol
from furano_meet.sync.backoff import Backoff
from furano_meet.sync.engine import SyncEngine
from furano_meet.sync.events import AnnotationsChanged, StatusChanged
from server.demo import MEETING_ID
from tests.e2e.council import Council, Device, wait_until
from tests.e2e.council import note as sticky
from tests.store.conftest import flip_bytes, leaf_pages, root_page, stored_key


def _cli(council: Council, label: str, *command: str) -> list[str]:
    return ["--data", str(council.root / label), "--profile", label, *command]


async def _tablet_with_a_key(council: Council) -> Device:
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    tablet = await council.device("giin1", "giin1-tablet")
    await tablet.wait_for(
        StatusChanged,
        lambda e: e.status.connectivity.value == "online" and not e.status.waiting_for_key,
    )
    return tablet


async def test_a_damaged_page_is_refused_at_start_and_recovery_sends_every_unsent_note(
    council: Council, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    tablet = await _tablet_with_a_key(council)
    colleague = await council.device("giin2")
    await tablet.stop()  # offline in the chamber: the notes wait in the outbox
    notes = [
        await tablet.engine.add_annotation(
            MEETING_ID,
            "doc",
            1,
            page,
            sticky(f"質疑{page}：財源の内訳"),
            visibility=Visibility.SHARED,
        )
        for page in range(3)
    ]
    assert tablet.store.outbox_size() == 3
    tablet.store.close()
    database = council.root / "giin1-tablet" / "profiles" / "giin1-tablet" / "cache.db"
    key = stored_key(memory_keyring, "giin1-tablet")
    flip_bytes(database, leaf_pages(database, key, root_page(database, key, "annotations"))[0])

    assert main(_cli(council, "giin1-tablet", "documents")) == 1
    refused = capsys.readouterr()
    assert "is damaged" in refused.err and "furano-meet recover" in refused.err
    assert "Traceback" not in refused.err and refused.out == ""

    assert main(_cli(council, "giin1-tablet", "recover")) == 0
    report = capsys.readouterr().out
    assert "this device's enrolment (device " in report and "unsent changes: 3" in report
    assert "What to ask the administrator for: nothing" in report

    tablet.store = LocalStore.open(council.root / "giin1-tablet", "giin1-tablet")
    await council.restart(tablet)
    for note in notes:

        def names(event: AnnotationsChanged, note: str = note) -> bool:
            return note in event.annotation_ids

        await colleague.wait_for(AnnotationsChanged, names)
        seen = colleague.store.annotation(note)
        assert seen is not None and "財源の内訳" in seen.payload.decode()
    await wait_until(lambda: tablet.store.outbox_size() == 0)
    # The tablet's own copies were on the damaged page; the relay gives them back at the next
    # start (the engine applies its own ops from the log, not from the outbox): nothing is lost.
    await council.restart(tablet)
    await wait_until(lambda: all(tablet.store.annotation(n) is not None for n in notes))


async def test_an_emptied_cache_tells_the_councillor_to_ask_for_an_invitation_and_that_works(
    council: Council, capsys: pytest.CaptureFixture[str]
) -> None:
    tablet = await _tablet_with_a_key(council)
    colleague = await council.device("giin2")
    shared = await colleague.engine.add_annotation(
        MEETING_ID, "doc", 1, 0, sticky("委員長への確認事項"), visibility=Visibility.SHARED
    )
    await tablet.wait_for(AnnotationsChanged, lambda e: shared in e.annotation_ids)
    await tablet.stop()
    tablet.store.close()
    folder = council.root / "giin1-tablet" / "profiles" / "giin1-tablet"
    (folder / "cache.db").write_bytes(b"")  # a sync tool copied an empty file over it

    assert await asyncio.to_thread(main, _cli(council, "giin1-tablet", "whoami")) == 1
    assert "the file is empty" in capsys.readouterr().err
    assert (folder / "cache.db").stat().st_size == 0  # never replaced by a new empty cache

    assert main(_cli(council, "giin1-tablet", "recover")) == 0
    report = capsys.readouterr().out
    assert "What to ask the administrator for: a new invitation for this device" in report
    assert "do not wipe this profile" in report

    # The administrator hands out a new invitation; the councillor enrols the same profile.
    store = LocalStore.open(council.root / "giin1-tablet", "giin1-tablet")
    await enrol(store, council.url, await council.invitation("giin1"), "giin1-tablet")
    engine = SyncEngine(store, backoff=Backoff(base=0.05, cap=0.5))
    council.devices.append(again := Device("giin1-tablet-again", store, engine))
    again.start()
    await wait_until(lambda: store.annotation(shared) is not None, timeout=30)
    seen = store.annotation(shared)
    assert seen is not None and "確認事項" in seen.payload.decode()
    assert sorted(p.name for p in folder.glob("damaged-*/cache.db")) == ["cache.db"]
