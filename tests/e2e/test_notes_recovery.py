"""Issue #10: a councillor who loses their only tablet gets their private notes back with the
recovery code — real relay, real engines, real SQLCipher stores, real scrypt."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest

from furano_meet.cli import main
from furano_meet.crypto import framing
from furano_meet.crypto.recovery import RecoveryCodeInvalid, RecoveryCodeWrong, new_recovery_code
from furano_meet.errors import Fault, FuranoError
from furano_meet.store import LocalStore
from furano_meet.store.cache import wipe_profile
from furano_meet.sync import private_keys
from furano_meet.sync.events import AnnotationsChanged, RecoveryBoxSaved, StatusChanged
from furano_meet.sync.recovery import RecoveryAlreadySetUp, RecoveryBoxMissing
from server.demo import MEETING_ID
from server.relay import Relay
from tests.e2e.council import Council, Device
from tests.e2e.council import note as sticky

NOTE = "非公開メモ：補正予算の根拠を委員会で質問する"


async def _certified_and_keyed(device: Device) -> None:
    """Online with the meeting key: the administrator certified it and the clerk sealed it."""
    await device.wait_for(
        StatusChanged,
        lambda e: e.status.connectivity.value == "online" and not e.status.waiting_for_key,
    )


async def _lose(council: Council, device: Device) -> None:
    """The tablet is gone: engine stopped, its whole profile deleted."""
    await device.stop()
    device.store.close()
    label = device.name
    assert wipe_profile(council.root / label, label) == []
    assert not (council.root / label).exists() or not any((council.root / label).rglob("*.db"))


async def _relay_box(relay: Relay, user_id: str) -> tuple[int, bytes]:
    return await relay.store.run(relay.store.recovery_box, user_id)


async def _hostile_relay_sets(relay: Relay, user_id: str, version: int, box: bytes) -> None:
    """What a dishonest relay operator can do: rewrite the stored row behind the relay's back."""
    store = relay.store
    await store.run(
        lambda: store.db.execute(
            "UPDATE recovery_boxes SET version = ?, box = ? WHERE user_id = ?",
            (version, box, user_id),
        )
    )


def _relay_files_contain(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


async def test_a_lost_tablets_private_notes_come_back_on_a_new_tablet_with_the_code(
    council: Council, relay: Relay
) -> None:
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    tablet = await council.device("giin1", "giin1-tablet")
    await _certified_and_keyed(tablet)
    note = await tablet.engine.add_annotation(MEETING_ID, "doc", 1, 0, sticky(NOTE))
    await tablet.wait_for(AnnotationsChanged, lambda e: note in e.annotation_ids)

    code = await tablet.engine.set_up_recovery()
    saved = await tablet.wait_for(RecoveryBoxSaved)
    assert saved.keys == 1
    with pytest.raises(RecoveryAlreadySetUp) as again:  # shown once; never silently replaced
        await tablet.engine.set_up_recovery()
    assert again.value.fault is Fault.USER and "--replace" in again.value.next_step

    # The relay keeps the box and cannot read it: neither the note, nor the key, nor the code.
    key = private_keys.load(tablet.store, MEETING_ID, "giin1")
    material = next(iter(key.values())).export()
    assert (await _relay_box(relay, "giin1"))[0] == saved.version
    relay_dir = relay.store.path.parent
    for secret in (
        NOTE.encode(),
        material,
        base64.b64encode(material),
        code.encode(),
        code.replace("-", "").encode(),
    ):
        assert _relay_files_contain(relay_dir, secret) == []
    assert _relay_files_contain(relay_dir, b"giin1")  # the grep itself does find what is there

    await _lose(council, tablet)
    new_tablet = await council.device("giin1", "giin1-new-tablet")
    await _certified_and_keyed(new_tablet)
    assert new_tablet.store.annotation(note) is None  # the key went with the old tablet

    typo = code[:3] + ("X" if code[3] != "X" else "Y") + code[4:]
    with pytest.raises(RecoveryCodeInvalid) as mistyped:
        await new_tablet.engine.recover_private_notes(typo)
    assert mistyped.value.fault is Fault.USER and "typo" in mistyped.value.message
    with pytest.raises(RecoveryCodeWrong) as wrong:
        await new_tablet.engine.recover_private_notes(new_recovery_code())
    assert wrong.value.code == "recovery_code_wrong" and wrong.value.next_step
    assert private_keys.load_all(new_tablet.store, "giin1") == {}  # nothing kept from either

    # Typed as a Japanese IME might give it back: full-width, lower case, long-vowel dashes.
    typed = (
        code.lower()
        .replace("-", "ー")
        .translate({c: c + 0xFEE0 for c in range(0x21, 0x7F) if chr(c).isalnum()})
    )
    assert await new_tablet.engine.recover_private_notes(typed) == 1
    await new_tablet.wait_for(AnnotationsChanged, lambda e: note in e.annotation_ids)
    restored = new_tablet.store.annotation(note)
    assert restored is not None and NOTE in restored.payload.decode()


async def test_a_key_learned_after_setup_is_in_the_box(council: Council, relay: Relay) -> None:
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    tablet = await council.device("giin1", "giin1-tablet")
    await _certified_and_keyed(tablet)
    code = await tablet.engine.set_up_recovery()  # offered at first run: no private key yet
    first = await tablet.wait_for(RecoveryBoxSaved)
    assert first.keys == 0
    note = await tablet.engine.add_annotation(MEETING_ID, "doc", 1, 0, sticky(NOTE))
    second = await tablet.wait_for(RecoveryBoxSaved, lambda e: e.version > first.version)
    assert second.keys == 1
    assert (await _relay_box(relay, "giin1"))[0] == second.version

    await _lose(council, tablet)
    new_tablet = await council.device("giin1", "giin1-new-tablet")
    await _certified_and_keyed(new_tablet)
    assert await new_tablet.engine.recover_private_notes(code) == 1
    await new_tablet.wait_for(AnnotationsChanged, lambda e: note in e.annotation_ids)


async def test_the_relay_cannot_swap_in_another_members_box_or_roll_one_back(
    council: Council, relay: Relay
) -> None:
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    tablet = await council.device("giin1", "giin1-tablet")
    colleague = await council.device("giin2")
    await _certified_and_keyed(tablet)
    await _certified_and_keyed(colleague)
    code = await tablet.engine.set_up_recovery()
    empty = await _relay_box(relay, "giin1")  # version 1: no key yet
    await tablet.engine.add_annotation(MEETING_ID, "doc", 1, 0, sticky(NOTE))
    newer = await tablet.wait_for(RecoveryBoxSaved, lambda e: e.keys == 1)
    await colleague.engine.set_up_recovery()
    theirs = await _relay_box(relay, "giin2")

    # The tablet is off: it must not repair the box while the relay misbehaves, and the
    # laptop gets its owner's key only from the box, so nothing makes it seal a box itself.
    await tablet.stop()
    laptop = await council.device("giin1", "giin1-laptop")
    await _certified_and_keyed(laptop)
    await laptop.engine.recover_private_notes(code)  # sees version `newer.version`
    assert private_keys.load_all(laptop.store, "giin1")

    refusals: dict[str, tuple[int, bytes]] = {
        "wrong_context": theirs,  # another member's box
        "stale": empty,  # the genuine but older box, under its own version
    }
    for expected, (version, box) in refusals.items():
        await _hostile_relay_sets(relay, "giin1", version, box)
        with pytest.raises(FuranoError) as refused:
            await laptop.engine.recover_private_notes(code)
        assert refused.value.code == expected, refused.value
    # The older box relabelled as a newer version, in its header too: the version is
    # authenticated, so the box no longer opens.
    fields = framing.decode(empty[1], b"FMRB", 7, "box")
    fields[3] = framing.u64(newer.version + 1)
    relabelled = framing.encode(b"FMRB", *fields)
    await _hostile_relay_sets(relay, "giin1", newer.version + 1, relabelled)
    with pytest.raises(RecoveryCodeWrong):
        await laptop.engine.recover_private_notes(code)


async def test_no_box_on_the_relay_is_a_plain_error(council: Council) -> None:
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    tablet = await council.device("giin3")
    await _certified_and_keyed(tablet)
    with pytest.raises(RecoveryBoxMissing) as missing:
        await tablet.engine.recover_private_notes(new_recovery_code())
    assert missing.value.fault is Fault.ENVIRONMENT and missing.value.next_step


def _cli(council: Council, label: str, *command: str) -> list[str]:
    return ["--data", str(council.root / label), "--profile", label, *command]


async def test_the_cli_shows_the_code_once_and_restores_notes_with_it(
    council: Council, capsys: pytest.CaptureFixture[str]
) -> None:
    clerk = await council.device("jimukyoku")
    await clerk.engine.create_meeting_key(MEETING_ID)
    tablet = await council.device("giin1", "giin1-tablet")
    await _certified_and_keyed(tablet)
    note = await tablet.engine.add_annotation(MEETING_ID, "doc", 1, 0, sticky(NOTE))
    await tablet.wait_for(AnnotationsChanged, lambda e: note in e.annotation_ids)
    await tablet.stop()
    tablet.store.close()  # the CLI opens the profile on its own, as the IT helper would

    capsys.readouterr()
    assert await asyncio.to_thread(main, _cli(council, "giin1-tablet", "recovery-code")) == 0
    shown = capsys.readouterr().out
    code = next(word for word in shown.split() if word.count("-") == 7)
    assert await asyncio.to_thread(main, _cli(council, "giin1-tablet", "recovery-code")) == 1
    refused = capsys.readouterr()
    assert "--replace" in refused.err and code not in refused.out + refused.err

    await _lose(council, tablet)
    new_tablet = await council.device("giin1", "giin1-new-tablet")
    await _certified_and_keyed(new_tablet)
    await new_tablet.stop()
    new_tablet.store.close()
    label = "giin1-new-tablet"
    assert await asyncio.to_thread(main, _cli(council, label, "restore-notes", code[:-1])) == 1
    assert "40 characters" in capsys.readouterr().err
    assert await asyncio.to_thread(main, _cli(council, label, "restore-notes", code)) == 0
    assert "1 meeting" in capsys.readouterr().out
    with LocalStore.open(council.root / label, label) as store:
        restored = store.annotation(note)
    assert restored is not None and NOTE in restored.payload.decode()
