"""A presenter frame moves a reader only within its own meeting (furano_meet/sync/presenter_guard.py).

The relay is hostile here (``tests/e2e/hostile.py``): in meeting A's ``presenter_changed`` it
names a document the councillor holds from meeting B, a document nobody published, a page past
the end, a withdrawn document — live, as a summons, in a join snapshot, and as a frame the codec
cannot read. Each leaves the reader where they were (counted in ``MeetingView.ignored_frames``),
and a good frame afterwards still moves them. A page of a version that has not arrived yet
(published a moment ago; a late joiner's snapshot) is shown once it has — never before. Real
relay behind the proxy, real engines, real SQLCipher stores and real PDFs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import pytest

from furano_meet.protocol import codec
from furano_meet.protocol import messages as m
from furano_meet.sync.events import DocumentReady, DocumentWithdrawn, PresenterMoved
from furano_meet.sync.follow import Mode, PageRef
from server.demo import MEETING_ID
from tests.e2e.council import PACK_PAGES, Council, Device, wait_until
from tests.e2e.hostile import TO_CLIENT, TO_RELAY, HostileRelay
from tests.pdfs import generate_agenda_pack

OTHER = "r8-yosan"
"""Meeting B: the councillor and the clerk are members of it too."""
HERE = PageRef("pack", 1, 2)
"""Where the chair has taken the room before the relay starts lying."""


async def room_with_two_meetings(hostile: HostileRelay, council: Council) -> tuple[Device, ...]:
    """Meeting B with a real 3-page document the councillor holds (``other-doc``), the pack
    in meeting A, a withdrawn document of meeting A (``gone``); the chair has shown page 3 of
    the pack and the councillor follows there. Returns (chair, clerk, member)."""
    store = hostile.relay.store
    await store.run(store.create_meeting, OTHER, "furano", "予算特別委員会")
    await store.run(store.set_members, OTHER, ["jimukyoku", "giin1"])
    chair = await council.device("iincho")
    clerk = await council.device("jimukyoku")
    member = await council.device("giin1")
    await clerk.engine.create_meeting_key(OTHER)
    pdf = generate_agenda_pack(title="予算書", pages=3)
    await clerk.engine.publish_document(OTHER, pdf, title="予算書", document_id="other-doc")
    await member.wait_for(DocumentReady, lambda e: e.document_id == "other-doc", timeout=40)
    await council.hold_pack(chair, member)
    gone = generate_agenda_pack(title="撤回資料", pages=3, seed=1)
    await clerk.engine.publish_document(MEETING_ID, gone, title="撤回資料", document_id="gone")
    await member.wait_for(DocumentReady, lambda e: e.document_id == "gone", timeout=40)
    await clerk.engine.withdraw_document(MEETING_ID, "gone")
    await member.wait_for(DocumentWithdrawn, lambda e: e.document_id == "gone")
    await chair.engine.present_page(MEETING_ID, *_ref(HERE))
    await member.wait_for(PresenterMoved, lambda e: e.view.page == HERE)
    return chair, clerk, member


def _ref(page: PageRef) -> tuple[str, int, int]:
    return page.document_id, page.version, page.page


def frame(
    seq: int,
    document_id: str,
    version: int,
    page: int,
    summon: int = 0,
    presenter: str = "iincho",
) -> m.Msg:
    """A forged ``presenter_changed`` of meeting A (the relay's word, as every frame is)."""
    state = m.PresenterState(
        seq=seq,
        presenter_user_id=presenter,
        document_id=document_id,
        version=version,
        page=page,
        summon=summon,
    )
    return m.PresenterChanged(meeting_id=MEETING_ID, state=state)


def presented_by(user_id: str) -> Callable[[PresenterMoved], bool]:
    return lambda e: e.view.presenter_user_id == user_id


BAD = {
    "another meeting's document": ("other-doc", 1, 1),
    "a document nobody published": ("nosuch", 1, 0),
    "the page just past the end": ("pack", 1, PACK_PAGES),
    "a page far past the end": ("pack", 1, 99_999),
    "a version never published": ("pack", 2, 0),
    "a withdrawn document": ("gone", 1, 0),
}


@pytest.mark.parametrize("summon", [0, 1], ids=["turn", "summons"])
async def test_a_frame_naming_a_page_outside_the_meeting_leaves_the_reader_where_they_are(
    hostile: HostileRelay, hostile_council: Council, summon: int
) -> None:
    """Every bad frame is ignored (a summons too: a browsing reader is not brought), and the
    good frame after them still moves the reader."""
    _chair, _clerk, member = await room_with_two_meetings(hostile, hostile_council)
    device_id = member.engine.account.device_id
    if summon:
        await member.engine.browse(MEETING_ID, HERE)  # browsing, on the same page
    seq = 10_000
    for count, (document_id, version, page) in enumerate(BAD.values(), start=1):
        bad = frame(seq + 1, document_id, version, page, summon=(seq + 1) * summon)
        marker = frame(seq + 2, *_ref(HERE), presenter=f"marker-{count}")  # harmless, after it
        seq += 2
        await hostile.inject(TO_CLIENT, device_id, bad)
        await hostile.inject(TO_CLIENT, device_id, marker)
        await member.wait_for(PresenterMoved, presented_by(f"marker-{count}"))
        moved = [e.view for e in member.events if isinstance(e, PresenterMoved)]
        since = moved[[v.page for v in moved].index(HERE) :]  # since the chair showed HERE
        assert {(v.page, v.presenter_page) for v in since} == {(HERE, HERE)}, since
        view = member.engine.view(MEETING_ID)
        assert view.view.mode is (Mode.BROWSING if summon else Mode.FOLLOWING)
        assert view.ignored_frames == count
    # A good frame still moves the reader (and a good summons still brings them).
    await hostile.inject(
        TO_CLIENT, device_id, frame(seq + 1, "pack", 1, PACK_PAGES - 1, summon=(seq + 1) * summon)
    )
    end = PageRef("pack", 1, PACK_PAGES - 1)
    await member.wait_for(PresenterMoved, lambda e: e.view.page == end)
    assert member.engine.view(MEETING_ID).view.mode is Mode.FOLLOWING
    assert member.engine.view(MEETING_ID).ignored_frames == len(BAD)


async def test_the_chairs_own_turns_still_move_the_reader_after_ignored_frames(
    hostile: HostileRelay, hostile_council: Council
) -> None:
    """Ignored frames leave the sequence number where it was, so the relay cannot use one
    (with a huge ``seq``) to make the chair's real turns look stale."""
    chair, _clerk, member = await room_with_two_meetings(hostile, hostile_council)
    device_id = member.engine.account.device_id
    await hostile.inject(TO_CLIENT, device_id, frame(900_000, "other-doc", 1, 0))
    await chair.engine.present_page(MEETING_ID, "pack", 1, 5)  # its frame comes after the lie
    await member.wait_for(PresenterMoved, lambda e: e.view.page == PageRef("pack", 1, 5))
    assert member.engine.view(MEETING_ID).ignored_frames == 1


async def test_a_version_that_passed_is_checked_afresh_once_withdrawn(
    hostile: HostileRelay, hostile_council: Council
) -> None:
    """A version that passed once is remembered (no store read per turn), and forgotten when
    it is withdrawn: the relay cannot keep showing it with frames it forges afterwards."""
    chair, clerk, member = await room_with_two_meetings(hostile, hostile_council)
    device_id = member.engine.account.device_id
    pdf = generate_agenda_pack(title="差替前資料", pages=3, seed=2)
    await clerk.engine.publish_document(MEETING_ID, pdf, title="差替前資料", document_id="soon")
    await member.wait_for(DocumentReady, lambda e: e.document_id == "soon", timeout=40)
    await chair.engine.present_page(MEETING_ID, "soon", 1, 1)  # passes: remembered from here
    await member.wait_for(PresenterMoved, lambda e: e.view.page == PageRef("soon", 1, 1))
    await clerk.engine.withdraw_document(MEETING_ID, "soon")
    await member.wait_for(DocumentWithdrawn, lambda e: e.document_id == "soon")
    ignored = member.engine.view(MEETING_ID).ignored_frames
    await hostile.inject(TO_CLIENT, device_id, frame(800_000, "soon", 1, 2))
    await hostile.inject(TO_CLIENT, device_id, frame(800_001, *_ref(HERE), presenter="marker"))
    await member.wait_for(PresenterMoved, presented_by("marker"))
    assert PageRef("soon", 1, 2) not in [
        e.view.page for e in member.events if isinstance(e, PresenterMoved)
    ]
    assert member.engine.view(MEETING_ID).ignored_frames == ignored + 1


async def test_a_join_snapshot_naming_another_meetings_page_keeps_the_reader_in_place(
    hostile: HostileRelay, hostile_council: Council
) -> None:
    """The snapshot is authoritative for who presents and the sequence, not for a page this
    reader does not hold in the meeting: after a reconnect whose snapshot names meeting B's
    document, the reader still shows the pack's page; the chair's next turn moves them."""
    chair, _clerk, member = await room_with_two_meetings(hostile, hostile_council)
    device_id = member.engine.account.device_id

    def lie(joined: m.MeetingJoined) -> m.MeetingJoined:
        if joined.meeting.meeting_id != MEETING_ID:
            return joined
        lied = replace(joined.presenter, document_id="other-doc", version=1, page=0)
        return replace(joined, presenter=lied)

    lying = hostile.replace(TO_CLIENT, m.MeetingJoined, lie, device=device_id)
    joins = len(hostile.seen(TO_RELAY, m.JoinMeeting, device_id))
    start = len(member.events)
    for conn in hostile.of(device_id):
        await conn.client.close()  # the relay drops the councillor; they reconnect
    await wait_until(lambda: len(hostile.seen(TO_RELAY, m.JoinMeeting, device_id)) > joins)
    await wait_until(
        lambda: any(
            isinstance(e, PresenterMoved) and e.meeting_id == MEETING_ID
            for e in member.events[start:]
        )
    )  # meeting A's snapshot was applied (its page kept or not)
    lying.remove()
    view = member.engine.view(MEETING_ID)
    assert view.joined and view.view.page == HERE
    assert view.ignored_frames == 1
    await chair.engine.present_page(MEETING_ID, "pack", 1, 6)
    await member.wait_for(PresenterMoved, lambda e: e.view.page == PageRef("pack", 1, 6))


async def test_a_frame_the_codec_cannot_read_moves_nobody(
    hostile: HostileRelay, hostile_council: Council
) -> None:
    """A negative page never reaches the follow state: the codec refuses the frame (the
    engine reconnects), the reader is where they were, and the chair's next turn moves them."""
    chair, _clerk, member = await room_with_two_meetings(hostile, hostile_council)
    device_id = member.engine.account.device_id
    good = json.loads(codec.encode(frame(20_000, "pack", 1, 0)))
    good["state"]["page"] = -1
    joins = len(hostile.seen(TO_RELAY, m.JoinMeeting, device_id))
    for conn in hostile.of(device_id):
        await conn.client.send(json.dumps(good))
    await wait_until(lambda: len(hostile.seen(TO_RELAY, m.JoinMeeting, device_id)) > joins)
    await wait_until(lambda: member.engine.view(MEETING_ID).joined)
    assert member.engine.view(MEETING_ID).view.page == HERE
    await chair.engine.present_page(MEETING_ID, "pack", 1, 7)
    await member.wait_for(PresenterMoved, lambda e: e.view.page == PageRef("pack", 1, 7))


async def test_a_page_of_a_version_still_arriving_is_shown_once_it_has(
    hostile: HostileRelay, hostile_council: Council
) -> None:
    """The clerk publishes two documents and the chair shows them at once, before the
    councillor's device has them: the frames are held back (the viewer could not open the
    page) and the newest is shown as soon as its version is received and verified; the older
    one, superseded, never is."""
    chair, clerk, member = await room_with_two_meetings(hostile, hostile_council)
    device_id = member.engine.account.device_id
    held = hostile.hold(TO_RELAY, m.BeginDownload, device=device_id)
    for document_id, seed in (("late", 2), ("later", 3)):
        pdf = generate_agenda_pack(title="追加資料", pages=3, seed=seed)
        await clerk.engine.publish_document(
            MEETING_ID, pdf, title="追加資料", document_id=document_id
        )
        await chair.wait_for(DocumentReady, presented_document(document_id), timeout=40)
    await held.wait(1)  # the councillor's downloads wait in the proxy
    await chair.engine.present_page(MEETING_ID, "later", 1, 2)
    await chair.engine.present_page(MEETING_ID, "late", 1, 1)
    await wait_until(lambda: member.engine.view(MEETING_ID).ignored_frames == 2)
    assert member.engine.view(MEETING_ID).view.page == HERE
    await held.release()
    await member.wait_for(PresenterMoved, lambda e: e.view.page == PageRef("late", 1, 1))
    await member.wait_for(DocumentReady, presented_document("later"), timeout=40)
    await member.engine.events_delivered()  # the engine has seen "later" arrive, too
    view = member.engine.view(MEETING_ID)
    assert (view.view.mode, view.view.page) == (Mode.FOLLOWING, PageRef("late", 1, 1))
    assert view.ignored_frames == 2


def presented_document(document_id: str) -> Callable[[DocumentReady], bool]:
    return lambda e: e.document_id == document_id


async def test_a_late_joiner_is_taken_to_the_chairs_page_once_the_pack_has_arrived(
    council: Council,
) -> None:
    """A councillor whose device joins mid-meeting: the snapshot names a page of a document
    not on the device yet (the join comes before its downloads); it is shown as soon as the
    pack has been received and verified."""
    chair = await council.device("iincho")
    await council.hold_pack(chair)
    await chair.engine.present_page(MEETING_ID, "pack", 1, 5)
    late = await council.device("giin2")
    page = PageRef("pack", 1, 5)
    await late.wait_for(PresenterMoved, lambda e: e.view.page == page, timeout=40)
    ready = await late.wait_for(DocumentReady, presented_document("pack"))
    shown = next(
        i
        for i, e in enumerate(late.events)
        if isinstance(e, PresenterMoved) and e.view.page == page
    )
    assert late.events.index(ready) < shown  # never a page the device could not open yet
