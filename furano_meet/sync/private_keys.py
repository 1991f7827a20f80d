"""A member's private-annotation keys for one meeting: every key any of their devices made.

Why a set and not one key: a member's tablet and laptop may each write a private note while
offline, before either has received the other's key, and each then makes a key of its own.
Neither key may be dropped or overwritten — the notes written under it would become unreadable
on every device — so a device keeps every key it learns, each under its own random *epoch*
(which every note names in its header), and seals all of them to the member's other devices.
New notes are written under the key with the lowest epoch, so once the devices have exchanged
their keys they all write under the same one.

The set is stored as one JSON setting in the encrypted store. Before key sets existed a device
stored a single key, always of epoch 1, under another setting; it is read as a set of one and
folded into the new setting the first time a key is added.
"""

from __future__ import annotations

import base64
import json
import secrets

from furano_meet.crypto import PrivateAnnotationKey
from furano_meet.store import LocalStore

#: The epoch every key had before key sets; new keys never use it.
LEGACY_EPOCH = 1
_MAX_EPOCH = 2**31 - 1


def setting_name(meeting_id: str) -> str:
    return f"private_keys:{meeting_id}"


def legacy_setting_name(meeting_id: str) -> str:
    return f"private_key:{meeting_id}"


def load(store: LocalStore, meeting_id: str, user_id: str) -> dict[int, PrivateAnnotationKey]:
    """Every private key this device holds for ``meeting_id``, by epoch."""
    keys: dict[int, PrivateAnnotationKey] = {}
    legacy = store.get_setting(legacy_setting_name(meeting_id))
    if legacy is not None:
        keys[LEGACY_EPOCH] = PrivateAnnotationKey(
            base64.b64decode(legacy), user_id=user_id, epoch=LEGACY_EPOCH
        )
    raw = store.get_setting(setting_name(meeting_id))
    for epoch_text, material in (json.loads(raw) if raw else {}).items():
        epoch = int(epoch_text)
        keys[epoch] = PrivateAnnotationKey(base64.b64decode(material), user_id=user_id, epoch=epoch)
    return keys


def add(store: LocalStore, meeting_id: str, key: PrivateAnnotationKey) -> bool:
    """Keep ``key`` beside the others (one transaction); ``False`` if its epoch was known."""
    with store.atomic():
        keys = load(store, meeting_id, key.user_id)
        if key.epoch in keys:
            return False
        keys[key.epoch] = key
        encoded = {
            str(epoch): base64.b64encode(k.export()).decode("ascii")
            for epoch, k in sorted(keys.items())
        }
        store.set_setting(setting_name(meeting_id), json.dumps(encoded))
        store.set_setting(legacy_setting_name(meeting_id), None)
        return True


def load_all(store: LocalStore, user_id: str) -> dict[str, dict[int, PrivateAnnotationKey]]:
    """Every private key this device holds, by meeting (the recovery box seals them all)."""
    meeting_ids = {
        name.partition(":")[2]
        for name in store.settings()
        if name.startswith((setting_name(""), legacy_setting_name("")))
    }
    found = {mid: load(store, mid, user_id) for mid in sorted(meeting_ids)}
    return {mid: keys for mid, keys in found.items() if keys}


def forget(store: LocalStore, meeting_id: str) -> None:
    """Drop every private key of a meeting (expiry: the notes are shredded with it)."""
    with store.atomic():
        store.set_setting(setting_name(meeting_id), None)
        store.set_setting(legacy_setting_name(meeting_id), None)


def writing_key(keys: dict[int, PrivateAnnotationKey]) -> PrivateAnnotationKey | None:
    """The key new notes are written under: the lowest epoch, the same on every device that
    holds the same keys."""
    return keys[min(keys)] if keys else None


def new_key(user_id: str, taken: set[int]) -> PrivateAnnotationKey:
    """A fresh key under a random epoch (not the legacy one, not one already held)."""
    while True:
        epoch = LEGACY_EPOCH + 1 + secrets.randbelow(_MAX_EPOCH - LEGACY_EPOCH)
        if epoch not in taken:
            return PrivateAnnotationKey.generate(user_id, epoch)
