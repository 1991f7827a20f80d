"""Issue #8 findings 3 and 5 end to end: members and a malicious relay against signed ops.

Real relay, real engines; the relay's side of each attack is played by :mod:`.hostile_ops`
in flight. Each test waits for a later, genuine op (a marker) to have arrived at the victim,
so the attack frame before it has been processed — then checks what the victim shows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from furano_meet.annotations import StickyNote, decode
from furano_meet.protocol import messages as m
from furano_meet.store.records import Visibility
from furano_meet.sync.events import AnnotationsChanged
from server.demo import MEETING_ID, PEOPLE
from server.relay import Relay
from tests.e2e.council import Council, Device, note, wait_until
from tests.e2e.hostile_ops import HostileOps, Link, forge_op, passthrough


@dataclass
class World:
    hostile: HostileOps
    clerk: Device
    author: Device
    rival: Device
    third: Device


@pytest.fixture
async def world(relay: Relay, tmp_path: Path) -> AsyncIterator[World]:
    hostile = HostileOps(relay.url)
    await hostile.start()
    council = Council(relay, tmp_path / "devices")
    council.url = hostile.url
    await council.setup_admin()
    clerk = await council.device("jimukyoku")
    author = await council.device("giin1")
    rival = await council.device("giin2")
    third = await council.device("giin3")
    await clerk.engine.create_meeting_key(MEETING_ID)
    yield World(hostile, clerk, author, rival, third)
    await council.close()
    await hostile.close()


async def shared_note(device: Device, text: str, *readers: Device) -> str:
    """``device`` writes a shared note; returns its id once every reader has it."""
    note_id = await device.engine.add_annotation(
        MEETING_ID, "pack", 1, 1, note(text), visibility=Visibility.SHARED
    )
    for reader in readers:
        await reader.wait_for(AnnotationsChanged, lambda e: note_id in e.annotation_ids)
    return note_id


def logged(device: Device, annotation_id: str) -> bool:
    """Whether the relay has acknowledged the note's add (it has a sequence number)."""
    stored = device.store.annotation(annotation_id)
    return stored is not None and stored.server_seq is not None


def text_of(device: Device, annotation_id: str) -> str | None:
    stored = device.store.annotation(annotation_id)
    if stored is None or stored.deleted:
        return None
    mark = decode(stored.payload).mark
    assert isinstance(mark, StickyNote)
    return mark.text


async def test_a_member_cannot_rewrite_anothers_shared_note(world: World) -> None:
    victim = await shared_note(world.author, "反対", world.rival, world.third)
    await world.rival.engine.edit_annotation(victim, note("賛成"))
    await shared_note(world.rival, "marker", world.author, world.third)
    for device in (world.author, world.third):
        assert text_of(device, victim) == "反対"
        stored = device.store.annotation(victim)
        assert stored is not None and stored.author == "giin1"
    (view,) = [
        v for v in await world.third.engine.annotations("pack", 1, 1) if v.annotation_id == victim
    ]
    assert view.author == "giin1"


async def test_a_member_cannot_delete_anothers_note(world: World) -> None:
    victim = await shared_note(world.author, "反対", world.rival, world.third)
    await world.rival.engine.delete_annotation(victim)
    await shared_note(world.rival, "marker", world.author, world.third)
    assert text_of(world.author, victim) == "反対"  # on the author's own tablet too
    assert text_of(world.third, victim) == "反対"


async def test_a_replayed_add_does_not_bring_a_deleted_note_back(world: World) -> None:
    captured: list[m.OpsAdded] = []

    def record(link: Link, msg: m.Msg) -> list[m.Msg]:
        if isinstance(msg, m.OpsAdded) and link.device_id == world.third.engine.account.device_id:
            captured.append(msg)
        return [msg]

    world.hostile.tamper = record
    victim = await shared_note(world.author, "反対", world.third)
    await world.author.engine.delete_annotation(victim)
    await world.third.wait_for(
        AnnotationsChanged,
        lambda e: victim in e.annotation_ids and text_of(world.third, victim) is None,
    )
    (add,) = [msg for msg in captured if any(op.op_id == victim for op in msg.ops)]
    await world.hostile.inject(world.third, add)  # the relay replays the old "add"
    await shared_note(world.author, "marker", world.third)
    assert text_of(world.third, victim) is None


async def test_reordered_ops_are_detected_and_ignored(world: World) -> None:
    held: list[m.OpsAdded] = []
    third_id = world.third.engine.account.device_id

    def reorder(link: Link, msg: m.Msg) -> list[m.Msg]:
        if not (isinstance(msg, m.OpsAdded) and link.device_id == third_id):
            return [msg]
        if len(held) < 1:
            held.append(msg)  # hold the "add" back ...
            return []
        world.hostile.tamper = passthrough
        return [msg, held[0]]  # ... and deliver it after the "delete"

    world.hostile.tamper = reorder
    victim = await world.author.engine.add_annotation(
        MEETING_ID, "pack", 1, 1, note("撤回した意見"), visibility=Visibility.SHARED
    )
    await wait_until(lambda: logged(world.author, victim))  # its own frame, not batched
    await world.author.engine.delete_annotation(victim)
    await wait_until(lambda: world.author.store.outbox_size() == 0)  # the marker comes after
    await shared_note(world.author, "marker", world.third)
    assert held and text_of(world.third, victim) is None  # not resurrected by the reorder


async def test_an_op_whose_id_is_bound_to_another_note_is_refused(world: World) -> None:
    victim = await shared_note(world.author, "反対", world.rival, world.third)
    own = await shared_note(world.rival, "自分のメモ", world.third)
    forged = forge_op(
        world.rival,
        op_id=f"{own}.u-0000000000000001",  # bound to the rival's own note ...
        annotation_id=victim,  # ... but naming the victim's
        kind="update",
        body=note("賛成"),
        counter=3,
        prev_sha256="",
    )
    await world.hostile.inject(world.third, m.OpsAdded(meeting_id=MEETING_ID, ops=(forged,)))
    await shared_note(world.author, "marker", world.third)
    assert text_of(world.third, victim) == "反対"
    assert text_of(world.third, own) == "自分のメモ"


async def test_a_signed_op_whose_note_does_not_decode_is_refused_and_sync_goes_on(
    world: World,
) -> None:
    own = await shared_note(world.rival, "自分のメモ", world.third)
    broken = forge_op(
        world.rival,
        op_id=f"{own}.u-0000000000000002",
        annotation_id=own,
        kind="update",
        body=None,
        plain=b'{"v":"1.0","kind":"note","colour":"#FFD54F","at":[0,0],"text":"x"}',  # not canonical
        counter=2,
    )
    await world.hostile.inject(world.third, m.OpsAdded(meeting_id=MEETING_ID, ops=(broken,)))
    marker = await shared_note(world.author, "marker", world.third)
    assert text_of(world.third, own) == "自分のメモ" and text_of(world.third, marker) == "marker"


async def test_the_author_shown_is_the_signer_not_the_relays_label(world: World) -> None:
    third_id = world.third.engine.account.device_id

    def relabel(link: Link, msg: m.Msg) -> list[m.Msg]:
        if isinstance(msg, m.OpsAdded) and link.device_id == third_id:
            ops = tuple(replace(op, author_user_id="iincho") for op in msg.ops)
            return [replace(msg, ops=ops)]
        return [msg]

    world.hostile.tamper = relabel
    note_id = await shared_note(world.author, "反対", world.third)
    stored = world.third.store.annotation(note_id)
    assert stored is not None and stored.author == "giin1"
    (view,) = [
        v for v in await world.third.engine.annotations("pack", 1) if v.annotation_id == note_id
    ]
    assert view.author == "giin1"


async def test_a_role_the_clerks_roster_names_may_edit_shared_notes_and_no_one_else(
    world: World,
) -> None:
    """The meeting's signed roster (made on the clerk's device, never the relay's word) names
    the roles that may change others' shared notes; a role it does not name may not."""
    victim = await shared_note(world.author, "原案", world.rival, world.third)
    first = world.third.store.roster(MEETING_ID)  # version 1, made with the key: names no role
    assert first is not None
    await world.clerk.engine.edit_annotation(victim, note("書記の修正"))
    await world.rival.engine.edit_annotation(victim, note("委員の修正"))
    await wait_until(lambda: world.clerk.store.outbox_size() == 0)  # logged before the marker
    await shared_note(world.rival, "marker", world.author, world.third)
    assert text_of(world.third, victim) == "原案"
    members = tuple(user_id for user_id, _, _ in PEOPLE)
    await world.clerk.engine.set_roster(MEETING_ID, members, note_editors=("clerk",))
    await wait_until(lambda: world.third.store.roster(MEETING_ID) != first)
    await wait_until(lambda: world.author.store.roster(MEETING_ID) != first)
    await world.clerk.engine.edit_annotation(victim, note("事務局が修正"))
    await world.rival.engine.edit_annotation(victim, note("委員の再修正"))
    await wait_until(lambda: world.clerk.store.outbox_size() == 0)
    await shared_note(world.rival, "marker 2", world.author, world.third)
    assert text_of(world.third, victim) == "事務局が修正"
    assert text_of(world.author, victim) == "事務局が修正"
