"""A member's set of private-annotation keys, kept in a real (SQLCipher) store."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from furano_meet.crypto import PrivateAnnotationKey
from furano_meet.store import LocalStore
from furano_meet.sync import private_keys

MEETING = "r8-4"
USER = "giin1"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    with LocalStore.open(tmp_path, "giin1") as opened:
        yield opened


def test_keys_made_apart_are_all_kept_and_the_lowest_epoch_writes(store: LocalStore) -> None:
    assert private_keys.load(store, MEETING, USER) == {}
    assert private_keys.writing_key({}) is None
    first = private_keys.new_key(USER, set())
    second = private_keys.new_key(USER, {first.epoch})
    assert first.epoch != second.epoch
    assert private_keys.LEGACY_EPOCH not in (first.epoch, second.epoch)
    assert private_keys.add(store, MEETING, first)
    assert private_keys.add(store, MEETING, second)
    assert not private_keys.add(store, MEETING, second)  # known epoch: nothing changes
    held = private_keys.load(store, MEETING, USER)
    assert {e: k.export() for e, k in held.items()} == {
        first.epoch: first.export(),
        second.epoch: second.export(),
    }
    writer = private_keys.writing_key(held)
    assert writer is not None and writer.epoch == min(first.epoch, second.epoch)
    assert private_keys.load(store, "another-meeting", USER) == {}


def test_a_single_key_from_before_key_sets_is_read_and_folded_in(store: LocalStore) -> None:
    legacy = PrivateAnnotationKey.generate(USER, private_keys.LEGACY_EPOCH)
    store.set_setting(
        private_keys.legacy_setting_name(MEETING), base64.b64encode(legacy.export()).decode()
    )
    held = private_keys.load(store, MEETING, USER)
    assert list(held) == [private_keys.LEGACY_EPOCH]
    assert held[private_keys.LEGACY_EPOCH].export() == legacy.export()
    newer = private_keys.new_key(USER, set(held))
    assert private_keys.add(store, MEETING, newer)
    assert store.get_setting(private_keys.legacy_setting_name(MEETING)) is None
    held = private_keys.load(store, MEETING, USER)
    assert set(held) == {private_keys.LEGACY_EPOCH, newer.epoch}
    assert private_keys.writing_key(held).epoch == private_keys.LEGACY_EPOCH  # type: ignore[union-attr]


def test_forget_drops_every_key_of_the_meeting_only(store: LocalStore) -> None:
    private_keys.add(store, MEETING, private_keys.new_key(USER, set()))
    private_keys.add(store, "other", private_keys.new_key(USER, set()))
    store.set_setting(private_keys.legacy_setting_name(MEETING), "AAAA")
    private_keys.forget(store, MEETING)
    assert private_keys.load(store, MEETING, USER) == {}
    assert len(private_keys.load(store, "other", USER)) == 1
