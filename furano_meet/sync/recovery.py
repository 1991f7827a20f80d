"""A member's recovery code: private notes that survive a lost device, unreadable to the relay.

Theory of operation
-------------------
Private-annotation keys live only on a member's devices (:mod:`.private_keys`). After
enrolment the app offers a **recovery code** (:meth:`Recovery.set_up`): a code made here and
shown once, from which a box key is derived (:mod:`furano_meet.crypto.recovery`). The device
keeps the derived key (never the code) in its encrypted store and seals *every* private key it
holds into one **recovery box** the relay keeps for the member (protocol 1.3,
``put_recovery_box``). Whenever the device learns a private key it did not hold
(``SyncContext.private_keys_learned``: a first private note, an envelope from the member's
other device) the box is sealed again, a moment later so that a burst of keys (a catch-up)
makes one upload, as a new version. At the start of every session the device also compares
the relay's version with its own and re-uploads when the relay has fallen behind (restored
from a backup, lost the box).

On a new device the member types the code (:meth:`Recovery.restore`): the box is fetched,
checked to be this member's and not older than one this device has seen, opened, and every key
is stored — the notes written under them decrypt once the ops are fetched again. That device
then keeps the box current too.

Two devices keeping one box: versions only grow and the relay refuses an older or equal one,
so when another device stored a newer box this device opens it (same code), keeps the keys it
lacks, and seals the union as the next version. If it cannot open it, the member made a new
code elsewhere (``--replace``): the older code is retired and this device stops keeping the box.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
from dataclasses import dataclass

from furano_meet.crypto import CryptoError, PrivateAnnotationKey
from furano_meet.crypto.errors import WrongContext
from furano_meet.crypto.recovery import (
    KeySets,
    RecoveryCodeWrong,
    RecoveryKey,
    check_box_context,
    derive_recovery_key,
    new_recovery_code,
    open_recovery_box,
    parse_recovery_code,
    read_box_header,
    seal_recovery_box,
)
from furano_meet.errors import Fault, FuranoError
from furano_meet.net import RelayConnection, RelayError
from furano_meet.protocol import messages as m
from furano_meet.store import LocalStore, StoreError

from . import private_keys
from .context import SyncContext
from .events import RecoveryBoxSaved

log = logging.getLogger("furano.sync")

SETTING = "recovery:box_key"
"""The derived box key, its salt and cost, the last version seen and what it held (JSON)."""
FIRST_MINOR = 3
"""The protocol minor that added recovery boxes."""


class RecoveryAlreadySetUp(FuranoError):
    """A recovery code exists for this member on this device; a new one replaces it."""

    code = "recovery_exists"
    fault = Fault.USER

    def __init__(self) -> None:
        super().__init__(
            "A recovery code was already made for your private notes.",
            "It is shown only once. If it is lost, make a new one with --replace: the old "
            "code then stops working.",
        )


class RecoveryBoxMissing(FuranoError):
    """The relay keeps no recovery box for this member (never set up, or lost by the relay)."""

    code = "recovery_box_missing"
    fault = Fault.ENVIRONMENT

    def __init__(self) -> None:
        super().__init__(
            "The relay keeps no saved private-note keys for you.",
            "A recovery code works only after it was set up on a device that held the notes. "
            "If you still have another enrolled device, sync it: it passes the keys on.",
        )


@dataclass(frozen=True, slots=True)
class Held:
    """What this device keeps to seal the member's box again."""

    key: RecoveryKey
    version: int
    """The newest box version this device stored or opened (0: not uploaded yet)."""
    digest: str
    """Which keys that version held (:func:`digest`), to skip uploads that change nothing."""


def digest(key_sets: KeySets) -> str:
    """A hash naming exactly which keys a box holds (meeting, epoch, key bytes)."""
    h = hashlib.sha256()
    for meeting_id in sorted(key_sets):
        for key in sorted(key_sets[meeting_id], key=lambda k: k.epoch):
            h.update(json.dumps([meeting_id, key.epoch, key.export().hex()]).encode())
    return h.hexdigest()


def load_held(store: LocalStore, org_id: str, user_id: str) -> Held | None:
    raw = store.get_setting(SETTING)
    if raw is None:
        return None
    data = json.loads(raw)
    key = RecoveryKey(
        base64.b64decode(data["key"]),
        org_id=org_id,
        user_id=user_id,
        salt=bytes.fromhex(data["salt"]),
        log2_n=int(data["log2_n"]),
    )
    return Held(key, int(data["version"]), str(data["digest"]))


def save_held(store: LocalStore, held: Held | None) -> None:
    """Keep ``held`` (``None``: this device no longer keeps the member's box)."""
    value = None
    if held is not None:
        value = json.dumps(
            {
                "key": base64.b64encode(held.key.export()).decode("ascii"),
                "salt": held.key.salt.hex(),
                "log2_n": held.key.log2_n,
                "version": held.version,
                "digest": held.digest,
            }
        )
    store.set_setting(SETTING, value)


def adopt(store: LocalStore, key_sets: KeySets) -> list[str]:
    """Store every key of ``key_sets`` this device lacks; the meetings that gained one."""
    gained: list[str] = []
    with store.atomic():
        for meeting_id, keys in key_sets.items():
            added = [private_keys.add(store, meeting_id, key) for key in keys]
            if any(added):
                gained.append(meeting_id)
    return gained


class Recovery:
    debounce = 1.0
    """Seconds to wait after a new key before sealing the box, so a burst makes one upload."""

    def __init__(self, ctx: SyncContext) -> None:
        self._ctx = ctx
        self._busy = asyncio.Lock()

    def _require_support(self, conn: RelayConnection) -> None:
        if conn.session.peer_minor < FIRST_MINOR:
            raise RelayError(
                "version_unsupported",
                "This relay is too old to keep recovery codes (it needs protocol "
                f"1.{FIRST_MINOR}); ask the administrator to update it.",
            )

    async def _held(self) -> Held | None:
        account = self._ctx.account
        return await self._ctx.db(load_held, self._ctx.store, account.org_id, account.user_id)

    async def _all_keys(self) -> dict[str, list[PrivateAnnotationKey]]:
        held = await self._ctx.db(private_keys.load_all, self._ctx.store, self._ctx.account.user_id)
        return {mid: list(keys.values()) for mid, keys in held.items()}

    async def _fetch(self, conn: RelayConnection) -> m.RecoveryBox:
        reply = await conn.request(m.GetRecoveryBox(user_id=self._ctx.account.user_id))
        assert isinstance(reply, m.RecoveryBox)
        return reply

    # -- setting up and restoring ------------------------------------------------------------

    async def set_up(self, *, replace: bool = False) -> str:
        """Make a recovery code, seal every private key held into the box, upload it now;
        return the code (to show once: the device keeps only the key derived from it)."""
        conn = self._ctx.require_connection()
        self._require_support(conn)
        async with self._busy:
            held = await self._held()
            if held is not None and not replace:
                raise RecoveryAlreadySetUp
            code = new_recovery_code()
            account = self._ctx.account
            key = await asyncio.to_thread(
                derive_recovery_key, code, org_id=account.org_id, user_id=account.user_id
            )
            version = held.version if held is not None else 0
            await self._ctx.db(save_held, self._ctx.store, Held(key, version, ""))
            try:
                await self._upload(conn, replacing=True)
            except BaseException:  # a code never shown must not be kept (nor block a new one)
                await self._ctx.db(save_held, self._ctx.store, held)
                raise
        return code

    async def restore(self, code: str) -> list[str]:
        """Open the member's box with ``code`` and keep every key; the meetings that gained one.

        Refuses (typed errors, nothing stored): a typo (:class:`RecoveryCodeInvalid`, before
        anything is asked of the relay), no box (:class:`RecoveryBoxMissing`), another member's
        box or a relabelled one (``wrong_context``), one older than this device has seen
        (``stale``), a code that does not open it (:class:`RecoveryCodeWrong`).
        """
        parse_recovery_code(code)
        conn = self._ctx.require_connection()
        self._require_support(conn)
        account = self._ctx.account
        async with self._busy:
            reply = await self._fetch(conn)
            if reply.version == 0:
                raise RecoveryBoxMissing
            held = await self._held()
            seen = held.version if held is not None else 0
            header = read_box_header(reply.box)
            check_box_context(
                header, org_id=account.org_id, user_id=account.user_id, min_version=seen
            )
            if header.version != reply.version:
                raise WrongContext(
                    f"the relay calls recovery box version {header.version} version {reply.version}"
                )
            key = await asyncio.to_thread(
                derive_recovery_key,
                code,
                org_id=account.org_id,
                user_id=account.user_id,
                salt=header.salt,
                log2_n=header.log2_n,
            )
            version, key_sets = open_recovery_box(reply.box, key, min_version=seen)
            gained = await self._ctx.db(adopt, self._ctx.store, key_sets)
            boxed = digest(key_sets)
            await self._ctx.db(save_held, self._ctx.store, Held(key, version, boxed))
            if digest(await self._all_keys()) != boxed:
                self._ctx.private_keys_learned.set()  # keys the box lacks: seal them in soon
        return gained

    # -- keeping the box current -------------------------------------------------------------

    async def keep_current(self, conn: RelayConnection) -> None:
        """(Live task) Re-seal the box when a key is learned, and when the relay is behind."""
        if conn.session.peer_minor < FIRST_MINOR:
            return
        while True:
            try:
                async with self._busy:
                    await self._upload(conn)
            except (RelayError, CryptoError, StoreError) as exc:
                log.warning("could not update the recovery box: %s", exc)
            await self._ctx.private_keys_learned.wait()
            await asyncio.sleep(self.debounce)  # a burst of keys (a catch-up) is one upload
            self._ctx.private_keys_learned.clear()  # before looking: a later key sets it again

    async def _upload(self, conn: RelayConnection, *, replacing: bool = False) -> None:
        """Seal every key held as the next version when it differs from the relay's box."""
        for _attempt in range(3):
            held = await self._held()
            if held is None:
                return
            relay = await self._fetch(conn)
            if relay.version > held.version and not replacing:
                held = await self._merge(relay, held)
                if held is None:
                    return
            key_sets = await self._all_keys()
            current = digest(key_sets)
            if relay.version == held.version and current == held.digest:
                return  # the relay keeps exactly this already
            version = max(relay.version, held.version) + 1
            box = await asyncio.to_thread(seal_recovery_box, held.key, key_sets, version=version)
            try:
                await conn.request(
                    m.PutRecoveryBox(user_id=self._ctx.account.user_id, version=version, box=box)
                )
            except RelayError as exc:
                if exc.code == "conflict":  # another device of the member was quicker
                    continue
                raise
            await self._ctx.db(save_held, self._ctx.store, Held(held.key, version, current))
            keys = sum(len(k) for k in key_sets.values())
            self._ctx.emit(RecoveryBoxSaved(version, keys))
            return

    async def _merge(self, relay: m.RecoveryBox, held: Held) -> Held | None:
        """A newer box from the member's other device: keep its keys; ``None`` if it was sealed
        under a newer code (this device's code is retired and it stops keeping the box)."""
        try:
            version, key_sets = open_recovery_box(relay.box, held.key, min_version=held.version)
        except RecoveryCodeWrong:
            log.warning("the recovery box was replaced under a new code; no longer keeping it")
            await self._ctx.db(save_held, self._ctx.store, None)
            return None
        if await self._ctx.db(adopt, self._ctx.store, key_sets):
            self._ctx.private_keys_learned.set()
        merged = Held(held.key, version, digest(key_sets))
        await self._ctx.db(save_held, self._ctx.store, merged)
        return merged
